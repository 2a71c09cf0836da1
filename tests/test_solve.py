"""Solving for a lever value that meets a goal, and one-way sensitivity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.api import run, write
from sim.cli import app
from sim.engine.scenario import ConfigError
from sim.engine.sweep import load_scenarios
from sim.questions.sensitivity import parse_vary, sensitivity
from sim.questions.solve import lever_grid, solve

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
REPS, SEED = 8, 21
GOAL_MONTH, GOAL_LIMIT = "2025-03", 150


@pytest.fixture(scope="module")
def posts_file(tmp_path_factory) -> Path:
    """A year of the example service with one dated Band 6 recruitment (the lever)."""
    path = tmp_path_factory.mktemp("solve") / "posts.yaml"
    path.write_text(
        f"extends: {EXAMPLE / 'baseline.yaml'}\n"
        "service: {horizon_months: 12}\n"
        "events:\n"
        "  - {date: 2024-06-03, label: new posts, add_staff: {role: band6, wte: 1}}\n"
    )
    return path


def p_goal(path: Path, lever: str, value: float) -> float:
    """P(breaches <= limit at the goal month), computed directly from a run at that value."""
    (scenario,) = load_scenarios(path)
    config = scenario.with_changes({lever: value}).config
    monthly = run(config, REPS, SEED, workers=1).monthly
    at = monthly.loc[monthly["month"] == GOAL_MONTH, "breaches"]
    return float(np.mean(at <= GOAL_LIMIT))


def test_lever_grid():
    assert lever_grid(0, 3, 1) == [0, 1, 2, 3]
    assert lever_grid(0, 1, 0.25) == [0, 0.25, 0.5, 0.75, 1.0]
    assert lever_grid(0.2, 0.5, 0.1) == [0.2, 0.3, 0.4, 0.5]
    with pytest.raises(ConfigError, match="--step"):
        lever_grid(0, 1, 0)
    with pytest.raises(ConfigError, match="--high"):
        lever_grid(2, 1, 0.5)


def test_solve_returns_the_smallest_value_meeting_the_goal(posts_file, tmp_path):
    lever, goal = "events.0.add_staff.wte", f"breaches<={GOAL_LIMIT} by {GOAL_MONTH}"
    # The search itself, checked against the simulation alone (p_goal has no model error).
    result = solve(posts_file, lever, goal, 0.75, 0, 6, 0.5, reps=REPS, seed=SEED, workers=1,
                   model_error=False)
    assert result.rising and result.value is not None and 0 < result.value <= 6
    # Checked independently of the solver's own bookkeeping: fresh runs at both values.
    assert p_goal(posts_file, lever, result.value) >= 0.75
    assert p_goal(posts_file, lever, result.value - 0.5) < 0.75
    table = result.evaluations.set_index("value")
    assert table.loc[result.value, "solution"] and table["solution"].sum() == 1
    assert len(table) <= 2 + int(np.ceil(np.log2(13)))  # bisection, not a scan of 13 values
    written = write(result, tmp_path)
    assert (tmp_path / "solve.csv").exists() and (tmp_path / "monthly.csv") in written
    trajectory = pd.read_csv(tmp_path / "monthly.csv")
    assert trajectory["scenario"].unique().tolist() == [f"posts[{lever}={result.value:g}]"]
    assert pd.read_csv(tmp_path / "solve.csv")["value"].is_monotonic_increasing
    # The answer in words counts the post the file already plans (1 WTE): the total is the value.
    assert result.sentence.startswith(f"{result.value:g} WTE Band 6 in total: the 1 already planned ")
    assert "from June 2024" in result.sentence
    assert result.sentence in (tmp_path / "solve.html").read_text().replace("&#x27;", "'")
    assert (tmp_path / "goal_probability.png").stat().st_size > 0


def test_solve_a_lever_that_helps_as_it_falls(posts_file):
    lever, goal = "job_plans.band6.non_clinical_share", f"breaches<={GOAL_LIMIT} by {GOAL_MONTH}"
    result = solve(posts_file, lever, goal, 0.75, 0.1, 0.6, 0.05, reps=REPS, seed=SEED, workers=1,
                   model_error=False)
    assert not result.rising and result.value is not None
    assert "largest" in result.message
    assert p_goal(posts_file, lever, result.value) >= 0.75
    assert p_goal(posts_file, lever, round(result.value + 0.05, 10)) < 0.75


def test_solve_reports_an_unreachable_goal(posts_file, tmp_path):
    outcome = CliRunner().invoke(
        app,
        [
            "solve",
            str(posts_file),
            "--lever",
            "events.0.add_staff.wte",
            "--goal",
            "breaches<=0 by 2024-05",
            "--high",
            "2",
            "--step",
            "1",
            "--reps",
            "2",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert outcome.exit_code == 1
    assert "no value of events.0.add_staff.wte from 0 to 2 meets" in outcome.output
    assert (tmp_path / "solve.csv").exists()


@pytest.mark.parametrize(
    "lever, message",
    [
        ("events.3.add_staff.wte", "--lever: no field 'events.3' (events has 1 entries)"),
        ("workforce.one.wte", "--lever: workforce is a list: give a position 0 to 2, not 'one'"),
    ],
)
def test_bad_lever_is_explained(posts_file, tmp_path, lever, message):
    outcome = CliRunner().invoke(
        app,
        [
            "solve",
            str(posts_file),
            "--lever",
            lever,
            "--goal",
            "breaches<=0 by 2025-03",
            "--reps",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    assert outcome.exit_code == 2
    assert f"{posts_file}: {message}" in " ".join(outcome.output.split())
    assert "Traceback" not in outcome.output


def test_parse_vary():
    vary = parse_vary("job_plans.band6.sickness_rate=0.03,0.08")
    assert (vary.field, vary.low, vary.high) == ("job_plans.band6.sickness_rate", 0.03, 0.08)
    for bad in ("job_plans.band6.sickness_rate", "x=1", "x=1,2,3", "=1,2"):
        with pytest.raises(ConfigError, match="--vary: .*expected field=low,high"):
            parse_vary(bad)


def test_sensitivity_table_is_sorted_by_swing_and_matches_direct_runs(posts_file, tmp_path):
    vary = ["job_plans.band6.sickness_rate=0.03,0.08", "demand.monthly_rate=80,120"]
    vary.append("workforce.1.wte=4.3,5.3")
    result = sensitivity(posts_file, vary, "breaches", GOAL_MONTH, reps=REPS, seed=SEED, workers=1)
    table = result.table
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)
    assert table.iloc[0]["field"] == "demand.monthly_rate"  # +-20% demand outweighs +-0.5 WTE
    row = table.set_index("field").loc["workforce.1.wte"]
    assert row["base_value"] == 4.8
    (scenario,) = load_scenarios(posts_file)
    for value, column in ((4.3, "result_low"), (5.3, "result_high")):
        monthly = run(scenario.with_changes({"workforce.1.wte": value}).config, REPS, SEED, workers=1).monthly
        assert row[column] == np.median(monthly.loc[monthly["month"] == GOAL_MONTH, "breaches"])
    assert row["result_high"] < row["result_low"]  # more staff, fewer breaches
    write(result, tmp_path)
    assert (tmp_path / "tornado.png").stat().st_size > 10_000
    assert len(pd.read_csv(tmp_path / "sensitivity.csv")) == 3
