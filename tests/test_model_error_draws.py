"""Model error inside P(goal): zero error changes nothing, huge error ends '100 of 100', the draws are
common to scenarios and worker counts, and a three-future case matches the hand count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.questions.compare import compare, goal_table
from sim.questions.goals import parse_goal
from sim.questions.model_error_draws import (
    DEFAULT_TABLE,
    ErrorQuantiles,
    error_at,
    read_errors,
    uniforms,
    with_errors,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
HEADER = "# model-error table; origin 2024-01; months 2023-04,2023-10\n"


def table_file(folder: Path, spread: float, name: str = "errors.csv") -> Path:
    """A table whose errors at every horizon are spread x (-1, -0.5, 0, 0.5, 1) around a zero median."""
    rows = [
        f"{m},{h},50,{-spread},{-spread / 2},0,{spread / 2},{spread}"
        for m in ("over_18_weeks", "waiting")
        for h in range(1, 7)
    ]
    path = folder / name
    path.write_text(HEADER + "measure,horizon,n,q10,q25,q50,q75,q90\n" + "\n".join(rows) + "\n")
    return path


def toy_monthly(breaches: list[list[float]], scenario: str = "s") -> pd.DataFrame:
    """Replications x months of breaches (start level 10, list 100)."""
    rows = []
    for r, path in enumerate(breaches):
        for m, value in enumerate(path):
            rows.append({"scenario": scenario, "replication": r, "month": f"2025-{m + 1:02d}",
                         "breaches": value, "breaches_opening": 10.0, "waiting": 100.0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def short_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("model_error")
    base = folder / "short.yaml"
    base.write_text(f"extends: {EXAMPLE / 'baseline.yaml'}\nservice: {{horizon_months: 9}}\n")
    posts = folder / "posts.yaml"
    posts.write_text(
        "extends: short.yaml\nevents:\n  - {date: 2024-05-01, add_staff: {role: band6, wte: 4}}\n"
    )
    return {"short": base, "posts": posts, "zero": table_file(folder, 0.0, "zero.csv"),
            "huge": table_file(folder, 50.0, "huge.csv")}


def test_error_quantiles_are_met_inside_and_tails_grow_outside():
    quantiles = {"q10": -0.4, "q25": -0.1, "q50": 0.1, "q75": 0.3, "q90": 0.5}
    u = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    assert error_at(quantiles, u) == pytest.approx([-0.5, -0.2, 0.0, 0.2, 0.4])  # centred on q50
    tails = error_at(quantiles, np.array([0.02, 0.98]))
    assert tails[0] < -0.5 and tails[1] > 0.4


def test_spread_keeps_growing_past_the_last_horizon():
    errors = read_errors(DEFAULT_TABLE)
    six, twenty_four = errors.at("over_18_weeks", 6), errors.at("over_18_weeks", 24)
    assert twenty_four["q90"] - twenty_four["q50"] == pytest.approx(2 * (six["q90"] - six["q50"]))


def test_zero_error_table_gives_the_simulation_alone_exactly(short_files):
    result = compare([short_files["short"], short_files["posts"]], reps=8, seed=5, workers=1,
                     goal="breaches<=150 by 2024-12", model_error=short_files["zero"])
    goals = result.goals
    assert (goals["met"] == goals["met_simulation_only"]).all()
    assert (goals["probability"] == goals["probability_simulation_only"]).all()
    assert goals["model_error"].all() and result.manifest["model_error"]["included"]
    # Bands beside the simulation's own: with no error they are the simulation's own.
    table = result.comparison
    assert (table["breaches_p10_with_model_error"] == table["breaches_p10"]).all()
    assert (table["breaches_p90_with_model_error"] == table["breaches_p90"]).all()


def test_huge_error_ends_certainty_but_not_the_simulation_alone_figure(short_files):
    result = compare([short_files["short"], short_files["posts"]], reps=8, seed=5, workers=1,
                     goal="breaches<=150 by 2024-12", model_error=short_files["huge"])
    posts = result.goals.set_index("scenario").loc["posts"]
    assert posts["met_simulation_only"] == 8  # four more posts clear it in every simulated future
    assert posts["met"] < 8  # but not once an error of +-50 times the starting breaches is drawn
    last = result.comparison[result.comparison["month"] == "2024-12"]
    assert (last["breaches_p90_with_model_error"] > last["breaches_p90"]).all()
    off = compare([short_files["short"], short_files["posts"]], reps=8, seed=5, workers=1,
                  goal="breaches<=150 by 2024-12", model_error=False)
    assert (off.goals["met"] == off.goals["met_simulation_only"]).all()
    assert not off.manifest["model_error"]["included"]


def test_draws_are_common_to_scenarios_and_worker_counts(short_files):
    errors = read_errors(short_files["huge"])
    two = compare([short_files["short"], short_files["posts"]], reps=4, seed=3, workers=2)
    one = compare([short_files["short"], short_files["posts"]], reps=4, seed=3, workers=1)
    shifted = {w: with_errors(r.monthly, errors, 3, "short") for w, r in ((1, one), (2, two))}
    pd.testing.assert_frame_equal(shifted[1], shifted[2])
    # The same u in every scenario: one replication's error is the same whichever scenario it is in.
    u_short = uniforms(3, np.arange(4), "breaches")
    assert u_short.tolist() == uniforms(3, np.arange(4), "breaches").tolist()
    frame = one.monthly.copy()
    frame["breaches"] = 1000.0  # equal values in both scenarios: the errors must make them equal too
    moved = with_errors(frame, errors, 3, "short")
    by = moved.pivot_table(index=["replication", "month"], columns="scenario", values="breaches")
    assert (by["short"] == by["posts"]).all()


def test_three_futures_by_hand(tmp_path):
    """Breaches 0, 4 and 20 at month 1, start level 10, errors +-1 x level at q10/q90."""
    errors = ErrorQuantiles(pd.read_csv(table_file(tmp_path, 1.0), comment="#"), tmp_path / "errors.csv")
    monthly = toy_monthly([[0.0], [4.0], [20.0]])
    u = uniforms(7, np.arange(3), "breaches")
    shift = error_at(errors.at("over_18_weeks", 1), u) * 10
    by_hand = [max(0.0, float(np.rint(v + s))) <= 5 for v, s in zip([0.0, 4.0, 20.0], shift, strict=True)]
    table = goal_table(parse_goal("breaches<=5 by 2025-01"), monthly, "s", errors, seed=7)
    assert table.at[0, "met"] == sum(by_hand)
    assert table.at[0, "met_simulation_only"] == 2
    # A known u: 0.75 is q75 (+0.5 x 10 = +5), so 0 -> 5 meets and 4 -> 9 does not.
    fixed = error_at(errors.at("over_18_weeks", 1), np.array([0.75]))[0] * 10
    assert fixed == pytest.approx(5.0)


def test_rests_on_names_the_measured_largest_swings(short_files):
    from sim.engine.sweep import as_scenarios
    from sim.questions.rests_on import rests_on
    from sim.questions.results import rests_on_words

    scenario = as_scenarios([short_files["short"]])[0]
    table = rests_on(scenario, "breaches", "2024-12", seed=2, workers=1, reps=3)
    assert table["swing"].is_monotonic_decreasing and len(table) == 4
    # Measured, not listed: the lead assumption's own low and high runs differ by its swing.
    lead = table.iloc[0]
    assert lead["swing"] == abs(lead["result_high"] - lead["result_low"]) > 0
    words = rests_on_words(table)
    assert words.startswith("This rests on: " + lead["assumption"])
    assert words.count("moves the baseline") == min(3, int((table["swing"] > 0).sum()))


def test_the_run_answer_band_is_compares_and_the_zero_table_leaves_the_simulations(short_files, tmp_path):
    """`dcsim run`'s band with the model's error is the one a compare of that scenario alone gives;
    with a zero-error table it is the simulation's own band."""
    import re

    from typer.testing import CliRunner

    from sim.cli import app

    def printed(*extra: str) -> tuple[str, str, str, str]:
        out = tmp_path / f"run{len(extra)}"
        done = CliRunner().invoke(app, ["run", str(short_files["short"]), "--reps", "6", "--seed", "4",
                                        "--out", str(out), *extra])
        assert done.exit_code == 0, done.output
        found = re.search(r"futures: ([0-9,]+)-([0-9,]+); ([0-9,]+)-([0-9,]+) with the model's", done.stdout)
        assert found, done.stdout
        return found.groups()

    own_low, own_high, low, high = printed()
    result = compare([short_files["short"]], reps=6, seed=4, model_error=None)
    table = result.comparison
    last = table[table["month"] == table["month"].max()].iloc[0]
    assert (low, high) == tuple(f"{int(np.floor(last[f'breaches_{p}_with_model_error'] + 0.5)):,}"
                                for p in ("p10", "p90"))
    zero = printed("--model-error", str(short_files["zero"]))
    assert zero[2:] == zero[:2] == (own_low, own_high)
