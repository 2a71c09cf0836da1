"""`dcsim compare` end to end: every output is written and the report and workbook hold every
scenario and month."""

from __future__ import annotations

import base64
import json
import re
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sim.cli import app
from sim.reports.board import PUBLISHED_ROW, month_heading

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
SCENARIOS = ["baseline", "three_band6_posts", "council_band6", "backlog_clinic"]
TITLES = [
    "Do nothing (current service)",
    "Three funded Band 6 posts",
    "Three posts + council-funded Band 6",
    "Six-month backlog clinic",
]  # the files' title: lines label rows, charts and the report
QUARTERS = [
    m
    for m in [f"{2024 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" for m in range(36)]
    if m.endswith(("-03", "-06", "-09", "-12"))
]  # Jun 2024 .. Mar 2027, 12 columns
BOARD_ROWS = [row for title in TITLES for row in (title, f"{title}: simulation only")]
MONTHS = [f"{2024 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" for m in range(36)]  # 2024-04 .. 2027-03
REPS = 3


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    args = [
        "compare",
        *(str(EXAMPLE / f"{s}.yaml") for s in SCENARIOS),
        "--reps",
        str(REPS),
        "--seed",
        "9",
        "--actuals",
        str(EXAMPLE / "actuals.csv"),
        "--goal",
        "breaches<=200 by 2025-09",
        "--out",
        str(folder),
    ]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    return folder


def test_every_output_is_written(out):
    expected = [
        "monthly.csv",
        "summary.csv",
        "manifest.json",
        "comparison.csv",
        "board_table.csv",
        "board_table_monthly.csv",
        "board_table.xlsx",
        "goals.csv",
        "breaches_fan.png",
        "waiting_fan.png",
        "followup_overdue_fan.png",
        "breach_flow.png",
        "breach_flow.csv",
        "trajectory_tracking.csv",
        "waiting_list_theory.csv",
        "goal_capacity.csv",
        "goal_capacity_by_wait.csv",
        "report.html",
    ]
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
        "baseline.yaml",
        "three_band6_posts.yaml",
        "council_band6.yaml",
    ]
    assert manifest["seed"] == 9 and manifest["replications"] == REPS
    assert Path(manifest["actuals"]["path"]).name == "actuals.csv"
    assert pd.read_csv(out / "goals.csv")["scenario"].tolist() == SCENARIOS
    takes = pd.read_csv(out / "goal_capacity.csv")
    assert takes["scenario"].tolist() == SCENARIOS
    assert (takes["allowed_over_target"] == 200).all() and (takes["goal_month"] == "2025-09").all()
    by_wait = pd.read_csv(out / "goal_capacity_by_wait.csv")
    assert by_wait["scenario"].unique().tolist() == SCENARIOS
    # Conservation: each scenario's groups add up to what it needs a month.
    totals = by_wait.groupby("scenario", sort=False)["needed_per_month"].sum()
    assert totals.tolist() == pytest.approx(takes["needed_per_month"].tolist(), rel=1e-4)  # 6 figures in CSV


def test_board_table_csv_holds_actuals_trajectory_and_bands(out):
    """Changed with issue 14: quarter-end columns (the goal month 2025-09 is one), rows labelled by
    the scenario files' titles, cells "median (p10-p90)"; every month in board_table_monthly.csv."""
    board = pd.read_csv(out / "board_table.csv", dtype=str, keep_default_na=False).set_index("series")
    assert list(board.columns) == QUARTERS
    assert list(board.index) == ["Actual breaches", PUBLISHED_ROW, *BOARD_ROWS]
    assert board.loc["Actual breaches", "2024-06"] == "310"
    assert (board.loc["Actual breaches", "2024-09":] == "").all()
    assert board.loc[PUBLISHED_ROW, "2025-03"] == "396"
    monthly = pd.read_csv(out / "monthly.csv")
    rows = monthly.groupby(["scenario", "month"])["breaches"]
    # Changed with issues 24/25: the scenario's band includes the model's real-world error, as
    # comparison.csv's *_with_model_error columns; the simulation's own band is the row under it.
    wide = pd.read_csv(out / "comparison.csv").set_index(["scenario", "month"])
    for scenario, title in zip(SCENARIOS, TITLES, strict=True):
        for month in ("2024-06", "2025-09", "2027-03"):
            low, mid, high = (
                int(np.floor(rows.quantile(q)[(scenario, month)] + 0.5)) for q in (0.1, 0.5, 0.9)
            )
            error_low, error_high = (
                int(np.floor(wide.loc[(scenario, month), f"breaches_{q}_with_model_error"] + 0.5))
                for q in ("p10", "p90")
            )
            assert board.loc[title, month] == f"{mid:,} ({error_low:,}-{error_high:,})", (title, month)
            assert board.loc[f"{title}: simulation only", month] == f"{low:,}-{high:,}", (title, month)
    full = pd.read_csv(out / "board_table_monthly.csv").set_index("series")
    assert list(full.columns) == MONTHS
    assert full.loc["Actual breaches", ["2024-04", "2024-07"]].tolist() == [329, 303]
    medians = rows.median()
    for scenario, title in zip(SCENARIOS, TITLES, strict=True):
        assert full.loc[title, "2027-03"] == np.floor(medians[(scenario, "2027-03")] + 0.5)


def test_workbook_holds_every_scenario_and_month(out):
    book = load_workbook(out / "board_table.xlsx")
    assert book.sheetnames == ["Board table", "Monthly", "Comparison", "Notes"]
    sheet = book["Board table"]
    header = [c.value for c in sheet[1]]
    assert header[1:] == [month_heading(m) for m in QUARTERS]
    assert header[1] == "Jun 2024" and header[-1] == "Mar 2027"
    labels = [sheet.cell(row, 1).value for row in range(2, 2 + 2 + len(BOARD_ROWS))]
    assert labels == ["Actual breaches", PUBLISHED_ROW, *BOARD_ROWS]
    board = pd.read_csv(out / "board_table.csv", dtype=str, keep_default_na=False).set_index("series")
    for row, label in enumerate(labels, start=2):
        values = [sheet.cell(row, column).value for column in range(2, 2 + len(QUARTERS))]
        expected = [v.replace(" (", "\n(") or None for v in board.loc[label]]
        assert values == expected, label
    assert sheet.freeze_panes == "B2"
    assert sheet["B1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("005EB8")
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    monthly = book["Monthly"]
    assert [c.value for c in monthly[1]][1:] == [month_heading(m) for m in MONTHS]
    assert monthly["C4"].number_format == "#,##0"
    comparison = book["Comparison"]
    assert comparison.max_row == 1 + len(SCENARIOS) * 36
    assert {comparison.cell(r, 1).value for r in range(2, comparison.max_row + 1)} == set(SCENARIOS)


def test_trajectory_tracking_and_breach_flow_files(out):
    tracking = pd.read_csv(out / "trajectory_tracking.csv")
    base = tracking[tracking["scenario"] == "baseline"]
    assert base["month"].tolist() == ["2024-04", "2024-05", "2024-06", "2024-07"]  # months with an actual
    assert base["trajectory_value"].tolist() == [328, 335, 341, 347]
    assert set(base["status"]) <= {"on track", "behind", "outside the model's 80% band"}
    flow = pd.read_csv(out / "breach_flow.csv")
    net = flow["opening"] + flow["crossing"] - flow[["seen", "removed", "other"]].sum(axis=1)
    assert (net - flow["closing"]).abs().max() < 0.01  # means written to 3 decimals


def test_report_is_self_contained_and_complete(out):
    html = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)  # nothing fetched from outside
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 4 + len(SCENARIOS)  # breaches, flow, waiting, follow-ups; capacity per scenario
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for title in TITLES:
        assert html.count(f">{html_escape(title)}<") >= 5, title  # goal, board, flow, comparison, assumptions
    for month in QUARTERS:
        assert f"<th>{month_heading(month)}</th>" in html, month
    for label in ("Two funded Band 6 posts take up post (October 2024)", "Six-month backlog clinic"):
        assert label in html
    assert "`" not in html  # no raw YAML comments (backticks, file paths) as assumptions
    assert "+16 clinical hours a week of new work until Nov 2024" in html
    assert "breaches&lt;=200 by 2025-09" in html and "percentage points" in html
    assert "Queueing theory beside the simulation" in html and "Why breaches move" in html
    assert "<h2>What the goal takes</h2>" in html and "Who must be seen by Sep 2025, by weeks waited" in html
    assert "at most 200 waiting over 14 weeks at the end of Sep 2025" in html
    assert "Six-month backlog clinic: adds " in html and "extra sessions +" in html  # named by what adds
    assert "@page{size:A4 landscape" in html
    assert '"seed": 9' in html and "sha256" in html
