"""`dcsim compare` end to end: every output is written and the report and workbook hold every
scenario and month."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sim.cli import app
from sim.reports.board import month_heading

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
SCENARIOS = ["baseline", "three_band6_posts", "council_band6", "backlog_clinic"]
MONTHS = [f"{2024 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" for m in range(36)]  # 2024-04 .. 2027-03
REPS = 3


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    args = ["compare", *(str(EXAMPLE / f"{s}.yaml") for s in SCENARIOS), "--reps", str(REPS), "--seed", "9",
            "--actuals", str(EXAMPLE / "actuals.csv"), "--goal", "breaches<=200 by 2025-09",
            "--out", str(folder)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    return folder


def test_every_output_is_written(out):
    expected = ["monthly.csv", "summary.csv", "manifest.json", "comparison.csv", "board_table.csv",
                "board_table.xlsx", "goals.csv", "breaches_fan.png", "waiting_fan.png", "report.html"]
    for name in expected:
        assert (out / name).stat().st_size > 0, name
    monthly = pd.read_csv(out / "monthly.csv")
    assert monthly["scenario"].unique().tolist() == SCENARIOS
    assert len(monthly) == len(SCENARIOS) * REPS * 36
    comparison = pd.read_csv(out / "comparison.csv")
    assert len(comparison) == len(SCENARIOS) * 36
    for metric in ("breaches", "waiting", "wait_p92_weeks"):
        for stat in ("p10", "p50", "p90", "diff_mean", "diff_p10", "diff_p90"):
            assert f"{metric}_{stat}" in comparison.columns
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["scenarios"]) == SCENARIOS
    assert [Path(f["path"]).name for f in manifest["scenarios"]["council_band6"]] == [
        "baseline.yaml", "three_band6_posts.yaml", "council_band6.yaml"]
    assert manifest["seed"] == 9 and manifest["replications"] == REPS
    assert Path(manifest["actuals"]["path"]).name == "actuals.csv"
    assert pd.read_csv(out / "goals.csv")["scenario"].tolist() == SCENARIOS


def test_board_table_csv_holds_actuals_and_medians(out):
    board = pd.read_csv(out / "board_table.csv").set_index("series")
    assert list(board.columns) == MONTHS
    assert list(board.index) == ["Actual breaches", "Projected (published)", *SCENARIOS]
    assert board.loc["Actual breaches", ["2024-04", "2024-07"]].tolist() == [329, 303]
    assert board.loc["Actual breaches", "2024-08":].isna().all()
    assert board.loc["Projected (published)", "2025-03"] == 396
    monthly = pd.read_csv(out / "monthly.csv")
    medians = monthly.groupby(["scenario", "month"])["breaches"].median()
    for scenario in SCENARIOS:
        for month in ("2024-04", "2025-09", "2027-03"):
            assert board.loc[scenario, month] == np.floor(medians[(scenario, month)] + 0.5)


def test_workbook_holds_every_scenario_and_month(out):
    book = load_workbook(out / "board_table.xlsx")
    assert book.sheetnames == ["Board table", "Comparison", "Notes"]
    sheet = book["Board table"]
    header = [c.value for c in sheet[1]]
    assert header[1:] == [month_heading(m) for m in MONTHS]
    assert header[1] == "Apr-24" and header[-1] == "Mar-27"
    labels = [sheet.cell(row, 1).value for row in range(2, 2 + 2 + len(SCENARIOS))]
    assert labels == ["Actual breaches", "Projected (published)", *SCENARIOS]
    board = pd.read_csv(out / "board_table.csv").set_index("series")
    for row, label in enumerate(labels, start=2):
        values = [sheet.cell(row, column).value for column in range(2, 38)]
        expected = [None if pd.isna(v) else int(v) for v in board.loc[label]]
        assert values == expected, label
    assert sheet.freeze_panes == "B2"
    assert sheet["B1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("005EB8")
    assert sheet["C4"].number_format == "#,##0"
    assert sheet.column_dimensions["A"].width >= len("Projected (published)")
    comparison = book["Comparison"]
    assert comparison.max_row == 1 + len(SCENARIOS) * 36
    assert {comparison.cell(r, 1).value for r in range(2, comparison.max_row + 1)} == set(SCENARIOS)


def test_report_is_self_contained_and_complete(out):
    html = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)  # nothing fetched from outside
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 2
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for scenario in SCENARIOS:
        assert html.count(f">{scenario}<") >= 4, scenario  # goal, board, comparison, assumptions rows
    for month in MONTHS:
        assert f"<th>{month_heading(month)}</th>" in html, month
    for label in ("Two funded Band 6 posts take up post (October 2024)", "Six-month backlog clinic"):
        assert label in html
    assert "Decision modelled: the improvement plan" in html  # the file's header comment
    assert "+16 clinical hours a week of new work until 2024-11-30" in html
    assert "breaches&lt;=200 by 2025-09" in html
    assert '"seed": 9' in html and "sha256" in html
