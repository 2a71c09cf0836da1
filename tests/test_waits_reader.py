"""Reading published waits by weeks band: the CHS wide CSV, CHS workbooks, plain band CSVs.

The real panel is read from ``../shared/data/chs`` (never copied into the repository) and its
figures are checked against the raw file read with the csv module, not with the reader.
Workbooks are built here with openpyxl in the published layout, from a few invented rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from calibration.waits import BandHistory, Problem, WaitsError, list_series, read_waits

# Beside the repository (``../shared/data/chs``); DCSIM_CHS_DIR points elsewhere, e.g. from a git worktree.
CHS = Path(
    os.environ.get("DCSIM_CHS_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chs"
)
WIDE = CHS / "chs_england_therapy_wide.csv.gz"
needs_panel = pytest.mark.skipif(not WIDE.exists(), reason=f"the public CHS panel is not at {CHS}")
OT = "(CYP) Therapy interventions: Occupational therapy"
AUD = "(A) Audiology"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def kinds(history: BandHistory) -> dict[str, list[str | None]]:
    found: dict[str, list[str | None]] = {}
    for problem in history.problems:
        found.setdefault(problem.kind, []).append(problem.month)
    return found


# ---------------------------------------------------------------- the real CHS wide file


def raw_rows(code: str, service: str) -> list[dict[str, str]]:
    with gzip.open(WIDE, "rt", encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["org_code"] == code and r["service"] == service]


@needs_panel
def test_wide_csv_series_matches_the_raw_file():
    # PROVIDE, adult audiology: all 23 months, bands summing, a real over-18-weeks count.
    history = read_waits(WIDE, provider="NQA", service=AUD)
    raw = raw_rows("NQA", AUD)
    assert history.provider_code == "NQA" and history.service == AUD
    assert history.edges_weeks == (0, 1, 2, 4, 12, 18, 52, math.inf)
    assert list(history.months) == [r["month"] for r in raw]
    over_52 = [
        int(r["wk_over_52"]) if r["wk_over_52"] else int(r["wk_52_104"]) + int(r["wk_over_104"]) for r in raw
    ]
    over_18 = [int(r["wk_18_52"]) + o for r, o in zip(raw, over_52, strict=True)]
    over_12 = [int(r["wk_12_18"]) + o for r, o in zip(raw, over_18, strict=True)]
    assert history.over(18).tolist() == over_18
    assert history.over(12).tolist() == over_12
    assert history.over(52).tolist() == over_52
    assert history.totals.tolist() == [int(r["waiting_total"]) for r in raw]
    # Hand-checked from the raw file: October 2025, 18-52 weeks plus 52-104 plus 104+.
    last = raw[-1]
    assert last["month"] == "2025-10"
    assert history.over(18)[-1] == int(last["wk_18_52"]) + int(last["wk_52_104"]) + int(last["wk_over_104"])
    assert [p.kind for p in history.problems] == ["gap", "gap"]  # Nov 2023-Jul 2024, Aug-Sep 2025
    assert history.consecutive_runs() == [
        ("2023-01", "2023-10"),
        ("2024-08", "2025-07"),
        ("2025-10", "2025-10"),
    ]


@needs_panel
def test_wide_csv_lists_every_series_and_chooses_by_name_or_part():
    listing = list_series(WIDE)
    assert list(listing.columns[:6]) == [
        "provider_code",
        "provider_name",
        "service",
        "months",
        "first_month",
        "last_month",
    ]
    with gzip.open(WIDE, "rt", encoding="utf-8", newline="") as handle:
        keys = {(r["org_code"] or r["org_name"], r["service"]) for r in csv.DictReader(handle)}
    assert len(listing) == len(keys)
    england = read_waits(WIDE, provider="england", service="cyp) therapy interventions: occ")
    assert england.provider_name == "England" and england.service == OT
    by_name = read_waits(WIDE, provider="PROVIDE", service="(a) audiology")
    assert by_name.provider_code == "NQA"


@needs_panel
def test_every_series_of_the_real_panel_reads():
    listing = list_series(WIDE)
    seen = {"bands_do_not_sum": 0, "stale_repeat": 0, "gap": 0}
    for row in listing.itertuples():
        history = read_waits(WIDE, provider=row.provider_code or row.provider_name, service=row.service)
        assert history.counts.shape == (len(history.months), 7)
        assert len(history.months) == row.months
        assert (history.counts >= 0).all() and list(history.months) == sorted(history.months)
        usable = history.usable()
        assert set(usable.months) <= set(history.months)
        assert np.array_equal(usable.over(0), usable.totals)  # usable months: the bands sum to the total
        for problem in history.problems:
            seen[problem.kind] = seen.get(problem.kind, 0) + 1
    assert seen["bands_do_not_sum"] > 0 and seen["stale_repeat"] > 0 and seen["gap"] > 0


@needs_panel
def test_wide_csv_choosing_errors_name_candidates():
    with pytest.raises(WaitsError, match="holds .* organisations; choose one with provider"):
        read_waits(WIDE)
    with pytest.raises(WaitsError, match=r"provider 'NQX' not found.*NQA"):
        read_waits(WIDE, provider="NQX", service=AUD)
    with pytest.raises(
        WaitsError, match=r"service 'audiology' is ambiguous.*\(A\) Audiology, \(CYP\) Audiology"
    ):
        read_waits(WIDE, provider="NQA", service="audiology")
    with pytest.raises(WaitsError, match=r"service 'podiatree' not found for NQA; near matches"):
        read_waits(WIDE, provider="NQA", service="podiatree")
    with pytest.raises(WaitsError, match="services for NQA; choose one"):
        read_waits(WIDE, provider="NQA")


def test_wide_layout_merges_the_52_week_split_and_checks_columns(tmp_path):
    header = "month,org_type,org_code,org_name,service,waiting_total,"
    header += "wk_0_1,wk_1_2,wk_2_4,wk_4_12,wk_12_18,wk_18_52,"
    rows = [
        "2024-11,Provider,RX1,A TRUST,(A) Audiology,28,1,2,3,4,5,6,7,,",
        "2024-12,Provider,RX1,A TRUST,(A) Audiology,29,1,2,3,4,5,6,,4,4",
        '2025-01,Provider,RX1,"A TRUST, NORTH",(A) Audiology,30,1,2,3,4,5,6,,5,',
    ]
    path = write(tmp_path, "wide.csv", header + "wk_over_52,wk_52_104,wk_over_104\n" + "\n".join(rows) + "\n")
    history = read_waits(path, provider="rx1", service="audio")
    assert history.months == ("2024-11", "2024-12")  # January has no 104+ figure
    assert history.counts[:, -1].tolist() == [7, 8]
    assert kinds(history) == {"missing_band": ["2025-01"]}
    assert "band_52_inf" in history.problems[0].message
    broken = write(
        tmp_path, "broken.csv", header[:-1] + "\n" + "2024-11,Provider,RX1,A,(A) Audiology,1,1,0,0,0,0,0\n"
    )
    with pytest.raises(WaitsError, match=r"broken.csv: column wk_over_52: required"):
        read_waits(broken)
    bad = write(
        tmp_path,
        "bad.csv",
        header + "wk_over_52\n" + "2024-11,Provider,RX1,A,(A) Audiology,1,1,0,lots,0,0,0,0\n",
    )
    with pytest.raises(WaitsError, match=r"bad.csv: row 2, column wk_2_4: not a number: 'lots'"):
        read_waits(bad)


def test_gzip_csv_is_told_by_content_and_bounded(tmp_path):
    text = "month,band_0_18,band_18_inf\n2024-01,5,2\n"
    packed = tmp_path / "waits.data"
    packed.write_bytes(gzip.compress(text.encode()))
    assert read_waits(packed).over(18).tolist() == [2]
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(text.encode() * 50)[:30])
    with pytest.raises(WaitsError, match="cut.csv.gz: the gzip file is cut short"):
        read_waits(cut)


# ---------------------------------------------------------------- plain CSVs (any edges)


WELSH = """month,band_0_14,band_14_26,band_26_inf,total
2024-04,120,40,10,170
2024-05,125,42,12,179
2024-06,130,45,15,190
"""


def test_plain_csv_with_welsh_14_week_edges(tmp_path):
    history = read_waits(write(tmp_path, "welsh.csv", WELSH), provider="7A2", service="Paediatric OT")
    assert history.edges_weeks == (0, 14, 26, math.inf)
    assert history.provider_code == "7A2" and history.service == "Paediatric OT"
    assert history.over(14).tolist() == [50, 54, 60]
    assert history.over(26).tolist() == [10, 12, 15]
    assert history.over(0).tolist() == history.totals.tolist()
    frame = history.frame()
    assert list(frame.columns) == [
        "month",
        "total",
        "band_0_14",
        "band_14_26",
        "band_26_inf",
        "over_0",
        "over_14",
        "over_26",
    ]
    assert frame["over_14"].tolist() == [50, 54, 60]
    assert history.up_to("2024-05").months == ("2024-04", "2024-05")
    assert history.problems == ()
    other = "month,wk_0_14,wk_14_inf,waiting,breaches\n2024-04,10,5,15,5\n"
    assert read_waits(write(tmp_path, "wk.csv", other)).over(14).tolist() == [5]
    no_total = read_waits(write(tmp_path, "nototal.csv", "month,band_0_14,band_over_14\n2024-04,10,5\n"))
    assert no_total.totals.tolist() == [15] and no_total.edges_weeks == (0, 14, math.inf)


def test_over_needs_a_band_edge(tmp_path):
    history = read_waits(write(tmp_path, "welsh.csv", WELSH))
    with pytest.raises(
        WaitsError, match=r"over 18 weeks cannot be read .*between the 14 and 26 week edges.*0, 14, 26"
    ):
        history.over(18)
    with pytest.raises(WaitsError, match="cannot be read"):
        history.over(100)
    with pytest.raises(WaitsError, match="cannot be read"):
        history.over(math.inf)
    assert history.over(14.0).tolist() == [50, 54, 60]
    with pytest.raises(WaitsError, match="not a month"):
        history.up_to("May 2024")


def test_every_problem_kind_is_reported_and_usable_drops_the_unusable(tmp_path):
    text = """month,band_0_12,band_12_18,band_18_inf,total
2024-01,10,5,1,16
2024-02,11,5,2,20
2024-03,11,5,2,18
2024-04,11,5,2,18
2024-05,0,0,0,0
2024-06,0,0,0,0
2024-09,9,,3,20
2024-10,9,4,-1,12
2024-11,8,4,2,14
2024-11,8,4,2,14
2024-12,8,4,2,14
2024-12,9,4,2,15
2025-01,7,3,2,12
"""
    history = read_waits(write(tmp_path, "problems.csv", text))
    found = kinds(history)
    assert found["bands_do_not_sum"] == ["2024-02"]
    assert found["stale_repeat"] == ["2024-04"]  # the repeated zeros in June are no list, not a resubmission
    assert found["missing_band"] == ["2024-09"]
    assert found["negative"] == ["2024-10"]
    assert found["duplicate_month"] == ["2024-11", "2024-12"]
    assert found["gap"] == ["2024-07", "2024-12"]  # September and October were unusable, December conflicting
    assert all(isinstance(p, Problem) and p.message for p in history.problems)
    assert history.months == (
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
        "2024-11",
        "2025-01",
    )
    usable = history.usable()
    assert usable.months == ("2024-01", "2024-03", "2024-05", "2024-06", "2024-11", "2025-01")
    assert usable.consecutive_runs() == [
        ("2024-01", "2024-01"),
        ("2024-03", "2024-03"),
        ("2024-05", "2024-06"),
        ("2024-11", "2024-11"),
        ("2025-01", "2025-01"),
    ]
    assert history.up_to("2024-03").problems == tuple(p for p in history.problems if p.month <= "2024-03")


BAD_FILES = [
    ("month,band_0_14,band_14_inf\n2024-13,1,2\n", r"row 2, column month: not a month: '2024-13'"),
    (
        "month,band_0_14,band_14_inf\n2024-01,1,2\n2024-02,x,2\n",
        r"row 3, column band_0_14: not a number: 'x'",
    ),
    ("month,band_0_14,band_14_inf\n2024-01,1.5,2\n", r"row 2, column band_0_14: not a whole number: 1.5"),
    ("month,band_0_14,band_14_inf\n\n2024-01,1,2,3\n", r"row 3: 4 cells but the header has 3 columns"),
    ("band_0_14,band_14_inf\n1,2\n", r"column month: required"),
    ("month,total\n2024-01,5\n", r"no band columns"),
    ("month,band_0_14,band_14_inf,colour\n2024-01,1,2,red\n", r"column colour: unknown column"),
    (
        "month,band_0_14,band_18_inf\n2024-01,1,2\n",
        r"column band_18_inf: leaves a gap before \(from 14 weeks\)",
    ),
    ("month,band_0_14,band_12_inf\n2024-01,1,2\n", r"column band_12_inf: overlaps the band band_0_14"),
    ("month,band_0_14,band_14_26\n2024-01,1,2\n", r"column band_14_26: the last band must be open-ended"),
    ("month,band_1_14,band_14_inf\n2024-01,1,2\n", r"column band_1_14: the first band must start at 0 weeks"),
    ("month,band_0_14,band_14_inf,total,waiting\n2024-01,1,2,3,3\n", r"column waiting: means the total"),
    ("month,band_0_14,band_0_14\n2024-01,1,2\n", r"row 1, column band_0_14: appears twice"),
    ("month,band_0_14,band_14_inf\n", r"no data rows"),
    ('month,band_0_14,band_14_inf\n2024-01,1,"2\n', r"not readable as CSV|row 2"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_plain_csv_names_file_row_and_column(tmp_path, text, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(WaitsError, match=rf"^{tmp_path}/bad.csv: .*{message}"):
        read_waits(path)


def test_bad_files_are_refused_with_the_reason(tmp_path):
    with pytest.raises(WaitsError, match="missing.csv: file not found"):
        read_waits(tmp_path / "missing.csv")
    with pytest.raises(WaitsError, match="empty.csv: the file is empty"):
        read_waits(write(tmp_path, "empty.csv", ""))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("month,band_0_14,band_14_inf\n2024-01,1,2 caf\xe9\n".encode("latin-1"))
    with pytest.raises(WaitsError, match=r"latin.csv: row 2, column band_14_inf: not UTF-8"):
        read_waits(latin)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(WaitsError, match="old.xls: an old binary .xls workbook"):
        read_waits(old)
    archive = tmp_path / "notabook.xlsx"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("hello.txt", "hi")
    with pytest.raises(WaitsError, match="notabook.xlsx: a zip archive, not an xlsx workbook"):
        read_waits(archive)
    (tmp_path / "nobooks").mkdir()
    with pytest.raises(WaitsError, match="nobooks: a folder with no .xlsx workbooks"):
        read_waits(tmp_path / "nobooks")
    with pytest.raises(WaitsError, match="provider: '' is not a name"):
        read_waits(write(tmp_path, "ok.csv", WELSH), provider="")
    # Content decides, not the name: CSV text saved as .xlsx is still read as CSV.
    assert read_waits(write(tmp_path, "csv.xlsx", WELSH)).over(26).tolist() == [10, 12, 15]


# ---------------------------------------------------------------- NHS England workbooks


SERVICES = [AUD, "(A) Therapy interventions: Physiotherapy", OT]
ORGS = [
    ("", "", "ENGLAND"),
    ("Provider", "RX1", "A COMMUNITY TRUST"),
    ("Provider", "RX2", "B HEALTHCARE CIC"),
]
SPLIT_BANDS = (
    "0-1 weeks",
    "1-2 weeks",
    "2-4 weeks",
    "4-12 weeks",
    "12-18 weeks",
    "18-52 weeks",
    "52-104 weeks",
    "104+ weeks",
)


def band_values(org: int, service: int, month: int, split: bool) -> list[int]:
    """Invented counts: a different small number for every organisation x service x band x month."""
    values = [1 + org + service + band + month for band in range(7)]
    return values[:6] + [values[6], 2] if split else values


def build_workbook(
    path: Path,
    month_title: str | None = "January 2025",
    header_row: int = 5,
    split: bool = False,
    codes: bool = True,
    month: int = 0,
    cell: tuple[str, int, int, object] | None = None,
    drop: str | None = None,
    band_titles: tuple[str, ...] = SPLIT_BANDS,
) -> Path:
    """A CHS waiting-list workbook in the published layout, with invented figures."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Community Health Services Waiting Lists"])
    cover.append(["Published: 13 March 2025"])
    letters = "abcdefgh" if split else "abcdefg"
    for index, letter in enumerate(["", *letters]):
        name = f"Table 4{letter}"
        if name == drop:
            continue
        sheet = book.create_sheet(name)
        title = "Total waiting list" if not letter else f"Waiting {band_titles[index - 1]}"
        sheet.cell(1, 1, f"{name}: {title} by provider and service")
        if month_title:
            sheet.cell(2, 1, f"Period: {month_title}")
        ids = (
            ["Organisation Type", "Organisation Code", "Organisation Name"]
            if codes
            else ["Organisation Type", "Organisation Name"]
        )
        for column, text in enumerate(ids + SERVICES, start=1):
            sheet.cell(header_row, column, text)
        for row, (kind, code, org_name) in enumerate(ORGS, start=header_row + 1):
            org = row - header_row - 1
            labels = [kind, code, org_name] if codes else [kind, org_name]
            for column, text in enumerate(labels, start=1):
                sheet.cell(row, column, text or None)
            for s in range(len(SERVICES)):
                bands = band_values(org, s, month, split)
                value = sum(bands) if not letter else bands[index - 1]
                sheet.cell(row, len(ids) + 1 + s, value)
        sheet.cell(header_row + len(ORGS) + 2, 1, "Source: invented figures for a test")
    if cell:
        sheet_name, row, column, value = cell
        book[sheet_name].cell(row, column, value)
    book.save(path)
    return path


def test_workbook_in_the_published_layout(tmp_path):
    path = build_workbook(tmp_path / "chs.xlsx")
    history = read_waits(path, provider="RX1", service="occupational")
    assert history.months == ("2025-01",)
    assert history.provider_name == "A COMMUNITY TRUST" and history.service == OT
    expected = band_values(1, 2, 0, split=False)
    assert history.counts.tolist() == [expected]
    assert history.totals.tolist() == [sum(expected)]
    assert history.over(18).tolist() == [expected[5] + expected[6]]
    assert history.problems == ()
    listing = list_series(path)
    assert len(listing) == len(ORGS) * len(SERVICES)
    assert set(listing["provider_code"].dropna()) == {"RX1", "RX2"}
    assert read_waits(path, provider="england", service=AUD).provider_code is None


def test_workbook_header_offset_split_bands_and_month_from_the_name(tmp_path):
    path = build_workbook(
        tmp_path / "Community-health-services-waiting-lists-2024-25-December.xlsx",
        month_title=None,
        header_row=9,
        split=True,
    )
    history = read_waits(path, provider="RX2", service="physio")
    assert history.months == ("2024-12",)
    expected = band_values(2, 1, 0, split=True)
    assert history.counts.tolist() == [expected[:6] + [expected[6] + expected[7]]]  # 52-104 and 104+ merged
    assert history.edges_weeks[-2:] == (52, math.inf)
    subset = build_workbook(
        tmp_path / "subset.xlsx", split=True, band_titles=(*SPLIT_BANDS[:6], "52+ weeks", "104+ weeks")
    )
    expected = band_values(2, 1, 0, split=True)
    assert (
        read_waits(subset, provider="RX2", service="physio").counts[0, -1] == expected[6]
    )  # 4h is part of 4g
    named = build_workbook(tmp_path / "chs-March-2025.xlsx", month_title=None)
    assert read_waits(named, provider="RX1", service=AUD).months == ("2025-03",)


def test_folder_of_workbooks_one_series_across_months(tmp_path):
    folder = tmp_path / "chs"
    folder.mkdir()
    build_workbook(folder / "a.xlsx", month_title="October 2023", codes=False, month=0)  # 2023: names only
    build_workbook(folder / "b.xlsx", month_title="November 2023", month=1)
    build_workbook(folder / "c.xlsx", month_title="January 2024", month=3)
    history = read_waits(folder, provider="RX1", service="(A) Therapy interventions: Physiotherapy")
    assert history.months == ("2023-10", "2023-11", "2024-01")
    assert history.counts[:, 0].tolist() == [band_values(1, 1, m, False)[0] for m in (0, 1, 3)]
    assert kinds(history) == {"gap": ["2023-12"]}
    assert history.consecutive_runs() == [("2023-10", "2023-11"), ("2024-01", "2024-01")]
    build_workbook(folder / "d.xlsx", month_title="January 2024", month=4)
    assert kinds(read_waits(folder, provider="RX1", service=AUD))["duplicate_month"] == ["2024-01"]


def test_workbook_errors_name_sheet_row_and_column(tmp_path):
    bad = build_workbook(tmp_path / "bad.xlsx", cell=("Table 4c", 7, 5, "lots"))
    with pytest.raises(
        WaitsError,
        match=r"bad.xlsx: sheet Table 4c, row 7, column E \(\(A\) Therapy interventions: "
        r"Physiotherapy\): not a number: 'lots'",
    ):
        read_waits(bad, provider="RX1", service=AUD)
    fraction = build_workbook(tmp_path / "fraction.xlsx", cell=("Table 4", 6, 4, 2.5))
    with pytest.raises(
        WaitsError, match=r"sheet Table 4, row 6, column D \(\(A\) Audiology\): not a whole number"
    ):
        read_waits(fraction)
    blanked = build_workbook(tmp_path / "blank.xlsx", cell=("Table 4b", 7, 4, "-"))
    assert kinds(read_waits(blanked, provider="RX1", service=AUD)) == {"missing_band": ["2025-01"]}
    with pytest.raises(WaitsError, match=r"nobands.xlsx: no sheet 'Table 4c' \(the wk_2_4 band\)"):
        read_waits(build_workbook(tmp_path / "nobands.xlsx", drop="Table 4c"))
    with pytest.raises(WaitsError, match=r"nototal.xlsx: no sheet 'Table 4'"):
        read_waits(build_workbook(tmp_path / "nototal.xlsx", drop="Table 4"))
    with pytest.raises(WaitsError, match="undated.xlsx: cannot tell which month"):
        read_waits(build_workbook(tmp_path / "undated.xlsx", month_title=None))
    headless = build_workbook(tmp_path / "headless.xlsx", cell=("Table 4a", 5, 3, "Trust"))
    with pytest.raises(WaitsError, match=r"headless.xlsx: sheet Table 4a: no header row"):
        read_waits(headless)


def test_workbook_bytes_read_from_memory_match_the_file(tmp_path):
    # The same workbook under a CSV name is still a workbook: the zip signature decides.
    path = build_workbook(tmp_path / "chs.xlsx")
    renamed = tmp_path / "chs.csv"
    renamed.write_bytes(path.read_bytes())
    assert (
        read_waits(renamed, provider="RX1", service=AUD).counts.tolist()
        == read_waits(path, provider="RX1", service=AUD).counts.tolist()
    )
    assert io.BytesIO(path.read_bytes()).read(2) == b"PK"


@needs_panel
def test_the_guide_example_runs(capsys):
    guide = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text()
    (code,) = re.findall(r"^```py\n(.*?)^```", guide, re.MULTILINE | re.DOTALL)
    assert '"../shared/data/chs/chs_england_therapy_wide.csv.gz"' in code
    exec(code.replace('"../shared/data/chs/chs_england_therapy_wide.csv.gz"', repr(str(WIDE))), {})
    assert "gap" in capsys.readouterr().out


def test_size_limits_refuse_before_parsing(tmp_path, monkeypatch):
    import calibration.waits.reader as reader

    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"month,band_0_14,band_14_inf\n" + b"2024-01,1,2\n" * 20_000))
    monkeypatch.setattr(reader, "MAX_DATA_BYTES", 100_000)
    with pytest.raises(WaitsError, match="bomb.csv.gz: decompresses to more than 100,000 bytes"):
        read_waits(bomb)
    monkeypatch.setattr(reader, "MAX_COMPRESSED_BYTES", 10)
    with pytest.raises(WaitsError, match=r"welsh.csv: larger than 10 bytes"):
        read_waits(write(tmp_path, "welsh.csv", WELSH))
