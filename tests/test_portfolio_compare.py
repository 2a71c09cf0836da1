"""`dcsim compare` on portfolio scenarios (#26 item 3): files that ``extends:`` a base portfolio,
run on common random numbers and paired with the base replication by replication.

Figures are checked against ordinary service files written by hand and run alone with
``sim.api.run``, and against differences recomputed here from the written per-service CSVs.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from test_portfolio import BASELINE, ROOT, SEED, numbers, seed_of, write_file

from sim.api import compare_portfolios, run, write

REPS = 3
BASE = "portfolio:\n  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: short.yaml}\n"
DCSIM = [sys.executable, "-m", "sim"]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DCSIM_EXTENDS_ROOT", str(ROOT / "scenarios"))
    (tmp_path / "short.yaml").write_text(f"extends: {BASELINE}\nservice: {{horizon_months: 8}}\n")
    write_file(tmp_path, "base.yaml", BASE)
    return tmp_path


def test_a_scenario_changing_only_service_a_leaves_b_as_the_base_gives_it(folder):
    scenario = write_file(folder, "more_a.yaml", (
        "extends: base.yaml\nportfolio:\n  title: One more band 6 in a\n  service_events:\n"
        "    a: [{date: 2024-07-01, add_staff: {role: band6, wte: 1}}]\n"
    ))
    result = compare_portfolios([folder / "base.yaml", scenario], REPS, SEED)
    base, changed = result.results["base"], result.results["more_a"]
    pd.testing.assert_frame_equal(numbers(changed.services["b"].monthly), numbers(base.services["b"].monthly))
    by_hand = write_file(folder, "a_by_hand.yaml", (
        "extends: short.yaml\nevents:\n  - {date: 2024-07-01, add_staff: {role: band6, wte: 1}}\n"
    ))
    alone = run(by_hand, REPS, SEED)
    pd.testing.assert_frame_equal(numbers(changed.services["a"].monthly), numbers(alone.monthly))
    assert not numbers(changed.services["a"].monthly).equals(numbers(base.services["a"].monthly))
    b_rows = result.paired[(result.paired["scenario"] == "more_a") & (result.paired["service"] == "b")]
    assert (b_rows["breaches_diff"] == 0).all() and len(b_rows) == REPS * 8


def test_one_plan_applied_to_every_service_is_each_service_with_that_event(folder):
    event = "{date: 2024-06-01, validate_list: {share: 0.1}}"
    scenario = write_file(folder, "validated.yaml", (
        f"extends: base.yaml\nportfolio:\n  every_service:\n    - {event}\n"
    ))
    result = compare_portfolios([folder / "base.yaml", scenario], REPS, SEED)
    by_hand = write_file(folder, "validated_by_hand.yaml", f"extends: short.yaml\nevents:\n  - {event}\n")
    for name, seed in (("a", SEED), ("b", seed_of(SEED, "b"))):
        together = result.results["validated"].services[name].monthly
        pd.testing.assert_frame_equal(numbers(together), numbers(run(by_hand, REPS, seed).monthly))


def test_the_total_difference_is_the_sum_of_the_services_differences_in_each_replication(folder, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [*DCSIM, "compare", str(ROOT / "scenarios/portfolio/portfolio.yaml"),
         str(ROOT / "scenarios/portfolio/move_one_post.yaml"), "--reps", str(REPS), "--seed", "3",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[2].startswith("Move 1 more WTE north to south: ") and "than the base" in lines[2]
    assert "(10-90%: " in lines[2] and "waiting over 14 weeks in all at the end of" in lines[2]

    def service(scenario: str, name: str) -> pd.DataFrame:
        frame = pd.read_csv(out / "scenarios" / scenario / "services" / name / "monthly.csv")
        return frame.set_index(["replication", "month"])["breaches"]

    by_services = sum(service("move_one_post", n) - service("portfolio", n) for n in ("north", "south"))
    paired = pd.read_csv(out / "paired_differences.csv")
    total = paired[(paired["scenario"] == "move_one_post") & (paired["service"] == "Total")]
    total = total.set_index(["replication", "month"])["breaches_diff"]
    pd.testing.assert_series_equal(total.sort_index(), by_services.sort_index(), check_names=False)
    assert by_services.abs().sum() > 0  # the move changes something, so the check can fail
    comparison = pd.read_csv(out / "comparison.csv")
    rows = comparison[(comparison["scenario"] == "move_one_post") & (comparison["service"] == "Total")]
    last = rows.iloc[-1]
    expected = by_services.xs(last["month"], level="month").mean()
    assert last["breaches_diff_mean"] == pytest.approx(expected, abs=1e-3)  # the CSV holds 4 places
    board = pd.read_csv(out / "board_table.csv")
    assert list(board["service"].unique()) == ["Total", "north", "south"]
    titles = {"Children's OT, two localities", "Move 1 more WTE north to south"}
    # Each band includes the model's real-world error; the row under it is the simulation's own.
    assert set(board["scenario"]) == titles | {f"{t}: simulation only" for t in titles}


def test_a_portfolio_compared_with_itself_differs_by_nothing(folder, tmp_path):
    same = write_file(folder, "same.yaml", "extends: base.yaml\nportfolio:\n  title: The same again\n")
    result = compare_portfolios([folder / "base.yaml", same], REPS, SEED)
    assert (result.paired[["breaches_diff", "waiting_diff"]] == 0).all().all()
    assert (result.comparison.filter(like="_diff_") == 0).all().all()
    written = write(result, tmp_path / "out")
    assert (tmp_path / "out" / "comparison.csv") in written


SCENARIOS = [
    ("extends: base.yaml\nportfolio:\n  services:\n    - {name: a, file: short.yaml}\n",
     "portfolio.services: a portfolio scenario keeps its base's services"),
    ("extends: base.yaml\nportfolio:\n  colour: red\n", "portfolio.colour: unknown key"),
    ("extends: base.yaml\nportfolio:\n  service_events:\n"
     "    c: [{date: 2024-07-01, add_staff: {role: band6, wte: 1}}]\n",
     "portfolio.service_events.c: no service of that name"),
    ("extends: base.yaml\nportfolio:\n  every_service:\n    - {date: 2024-07-01, add_staff: {role: band6}}\n",
     "portfolio.every_service.0.add_staff.wte"),
    ("extends: nowhere.yaml\nportfolio:\n  title: x\n", "extends: nowhere.yaml: file not found"),
    ("extends: scenario.yaml\nportfolio:\n  title: x\n", "extends: circular chain of portfolio files"),
    ("extends: short.yaml\nportfolio:\n  title: x\n", "is not a portfolio file"),
]


@pytest.mark.parametrize("text, message", SCENARIOS)
def test_bad_scenario_files_are_refused_writing_nothing(folder, tmp_path, text, message):
    scenario = write_file(folder, "scenario.yaml", text)
    out = tmp_path / "out"
    done = subprocess.run(
        [*DCSIM, "compare", str(folder / "base.yaml"), str(scenario), "--reps", "2", "--out", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and str(scenario) in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("extra, message", [
    (["short.yaml"], "not a portfolio file, but"),
    (["base.yaml", "--goal", "breaches<=0 by 2024-12"], "--goal: not available for a portfolio compare"),
    (["base.yaml"], "two portfolio files are called base"),
])
def test_mixed_files_unsupported_options_and_clashing_names_are_refused(folder, tmp_path, extra, message):
    out = tmp_path / "out"
    args = [str(folder / e) if e.endswith(".yaml") else e for e in extra]
    done = subprocess.run(
        [*DCSIM, "compare", str(folder / "base.yaml"), *args, "--reps", "2", "--out", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
