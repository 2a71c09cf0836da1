"""Users' text in outputs: shown as written, never run as markup, formulas or TeX.

One comparison is run whose every free-text field holds markup, whose file names start with
spreadsheet formula characters, and whose baseline is named with dollar signs (matplotlib's
mathtext delimiters). Its report must hold no live markup, its CSV and xlsx cells no formula,
and its charts must be drawn.
"""

from __future__ import annotations

import csv
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from services import service_document
from typer.testing import CliRunner

from sim.cli import app
from sim.reports import setting_words

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'
MARKUP = {
    "service": f"Service {SCRIPT}",
    "role": f"band6{SCRIPT}",
    "pathway": f"path{IMAGE}",
    "priority": f"soon{IMAGE}",
    "appointment": f"visit{SCRIPT}",
    "label": f"Posts {IMAGE} {SCRIPT}",
    "comment": f"Header {SCRIPT} {IMAGE}",
}
BASELINE = "budget_$2m_vs_$3m"  # mathtext would read $2m_vs_$ as TeX
FORMULA_NAMES = ["=SUM(1,2)", "@SUM(A1)", "+1+2", "-2+3", IMAGE]  # file names; no "/" possible
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def hostile_baseline() -> dict:
    m = MARKUP
    document = service_document({"service": {"name": m["service"], "horizon_months": 6}})
    rename = {
        "band6": m["role"],
        "specialist": m["pathway"],
        "routine": m["priority"],
        "assessment": m["appointment"],
    }

    def renamed(value):
        if isinstance(value, dict):
            return {rename.get(k, k): renamed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [renamed(v) for v in value]
        return rename.get(value, value) if isinstance(value, str) else value

    return renamed(document)


def scenario(number: int) -> dict:
    """A scenario changing a field under each hostile name, with a labelled event."""
    m = MARKUP
    return {
        "triage": {"delay_days": {m["priority"]: 2 + number}},
        "appointment_types": {m["appointment"]: {"dna_rate": 0.05}},
        "events": [
            {"date": "2024-05-01", "label": m["label"], "add_staff": {"role": m["role"], "wte": 2 + number}},
            {
                "date": "2024-06-01",
                "label": m["label"],
                "set": {f"pathways.{m['pathway']}.interval_weeks": 2},
            },
        ],
    }


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    comment = f"# {MARKUP['comment']}\n\n"
    base = folder / f"{BASELINE}.yaml"
    base.write_text(comment + yaml.safe_dump(hostile_baseline(), sort_keys=False))
    paths = [base]
    for number, name in enumerate(FORMULA_NAMES):
        path = folder / f"{name}.yaml"
        document = {"extends": base.name, **scenario(number)}
        path.write_text(comment + yaml.safe_dump(document, sort_keys=False))
        paths.append(path)
    out = folder / "out"
    arguments = ["compare", *map(str, paths), "-n", "2", "-s", "3", "-w", "1", "-o", str(out)]
    result = CliRunner().invoke(app, [*arguments, "--goal", "breaches<=0 by 2024-09"])
    assert result.exit_code == 0, result.output
    return out


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_no_markup_from_users_survives_into_the_report(compared):
    document = (compared / "report.html").read_text()
    parser = Tags()
    parser.feed(document)
    assert parser.tags, "the report did not parse"
    assert not [t for t, _ in parser.tags if t in ("script", "iframe", "object", "embed")]
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,"), attrs
    # Every hostile text reached the report, shown as text (file comments no longer do: the
    # report shows assumptions as a table, never a file's raw comments).
    for what, text in {**MARKUP, "file": f"{IMAGE}.yaml"}.items():
        if what == "comment":
            assert text not in document, what
            continue
        # The report names roles, pathways and the like in words (band6 -> Band 6, path -> Path).
        words = (text, setting_words.role_name(text), setting_words.name(text))
        shown = {html.escape(form) for form in words}
        assert [form for form in shown if form in document], what


def cells(path: Path) -> list[str]:
    with open(path, newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(compared):
    tables = sorted(compared.glob("*.csv"))
    assert {p.name for p in tables} >= {
        "monthly.csv",
        "summary.csv",
        "comparison.csv",
        "board_table.csv",
        "goals.csv",
    }
    for path in tables:
        for cell in cells(path):
            assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell), (path.name, cell)
    shown = set(pd.read_csv(compared / "board_table.csv")["series"])
    assert {"'=SUM(1,2)", "'@SUM(A1)", "'+1+2", "'-2+3", IMAGE, BASELINE} <= shown
    differences = pd.read_csv(compared / "comparison.csv")["wait_p92_weeks_diff_mean"]
    assert differences.dtype.kind in "if" and (differences < 0).any()  # negative numbers left as numbers


def test_xlsx_cells_are_never_formulas(compared):
    book = openpyxl.load_workbook(compared / "board_table.xlsx")
    labels, negatives = set(), 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.value)
                    labels.add(cell.value)
                elif isinstance(cell.value, int | float):
                    negatives += cell.value < 0
    assert {"'=SUM(1,2)", "'@SUM(A1)", "'+1+2", "'-2+3"} <= labels
    assert negatives > 0


def test_dollar_signs_in_names_are_drawn_as_written(compared):
    charts = {p.name for p in compared.glob("*.png")}
    assert {
        "breaches_fan.png",
        "waiting_fan.png",
        f"capacity_demand_{BASELINE.replace('$', '_')}.png",
    } <= charts


def test_calibration_pages_escape_users_text():
    from calibration.report import _settings, _table, _warnings, page

    frame = pd.DataFrame({"parameter": [f"job_plans.{MARKUP['role']}.non_clinical_share"], IMAGE: [1.0]})
    document = page(SCRIPT, [_table(frame), _warnings([SCRIPT]), _settings({IMAGE: SCRIPT})])
    parser = Tags()
    parser.feed(document)
    assert not [t for t, _ in parser.tags if t in ("script", "img")]
    assert html.escape(MARKUP["role"]) in document
