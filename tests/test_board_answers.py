"""Answers a board paper can use as they are: trajectory tracking, the solve sentence, the workbook."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sim.engine.sweep import load_scenarios
from sim.questions.goals import parse_goal
from sim.questions.solve_sentence import solve_sentence
from sim.questions.trajectory import BEHIND, INSIDE, ON_TRACK, OUTSIDE, trajectory_tracking
from sim.reports.board_xlsx import A4_LANDSCAPE_CM, LABEL_WIDTH, MONTH_WIDTH, width_cm, write_board_xlsx

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"


def test_trajectory_statuses_on_a_known_input():
    months = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08"]
    summary = pd.DataFrame(
        {
            "scenario": "base",
            "month": months,
            "breaches_p10": [90] * 5,
            "breaches_p50": [100] * 5,
            "breaches_p90": [110] * 5,
        }
    )
    actuals = pd.DataFrame(
        {
            "month": months,
            "breaches": [95.0, 105.0, 120.0, 100.0, float("nan")],  # no actual in August: no row
            "trajectory": [100.0, 100.0, 130.0, float("nan"), 50.0],
        }
    )
    table = trajectory_tracking(summary, actuals, ["trajectory"])
    assert table["month"].tolist() == months[:4]
    assert table["status"].tolist() == [ON_TRACK, BEHIND, OUTSIDE, INSIDE]
    assert table["against_trajectory"].tolist() == [ON_TRACK, BEHIND, ON_TRACK, ""]
    assert table["against_model"].tolist() == ["inside", "inside", "above", "inside"]
    assert table["trajectory_value"].tolist()[:3] == [100.0, 100.0, 130.0]
    assert table["model_p10"].eq(90).all() and table["model_p90"].eq(110).all()


@pytest.mark.parametrize(
    "lever, value, planned, total, start",
    [
        ("events.0.add_staff.wte", 2.5, "3", "3.5", "plus 0.5 more from October 2024"),  # 2 + 1 planned
        ("events.1.add_staff.wte", 0, "3", "2", "less 1 from October 2024"),
        ("workforce.1.wte", 5.8, "4.8", "5.8", "plus 1 more from the start (April 2024)"),
    ],
)
def test_solve_sentence_total_is_the_lever_plus_what_the_scenario_holds(lever, value, planned, total, start):
    (scenario,) = load_scenarios(EXAMPLE / "three_band6_posts.yaml")
    goal = parse_goal("breaches<=0 by 2025-12")
    text = solve_sentence(scenario, lever, value, goal, 36, 40, 0.9)
    assert text.startswith(f"{total} WTE Band 6 ")
    assert f"the {planned} " in text and start in text
    assert "reaches zero breaches by the end of December 2025 in 36 of 40 simulated futures" in text


def test_workbook_fits_an_a4_page_and_keeps_every_month(tmp_path):
    months = [f"{2024 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" for m in range(36)]
    quarters = [m for m in months if m.endswith(("-03", "-06", "-09", "-12"))]
    board = pd.DataFrame(
        [["Three funded Band 6 posts", *["1,234 (1,100-1,400)"] * len(quarters)]],
        columns=["series", *quarters],
    )
    monthly = pd.DataFrame([["Three funded Band 6 posts", *range(36)]], columns=["series", *months])
    path = write_board_xlsx(board, tmp_path / "b.xlsx", monthly, observed=set())
    book = load_workbook(path)
    assert book.sheetnames == ["Board table", "Monthly"]
    sheet = book["Board table"]
    assert sheet.max_column == 1 + 12
    assert width_cm([LABEL_WIDTH, *[MONTH_WIDTH] * 12]) <= A4_LANDSCAPE_CM
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # "9": A4
    assert sheet["B2"].value == "1,234\n(1,100-1,400)" and sheet["B2"].alignment.wrap_text
    assert book["Monthly"].max_column == 1 + 36
