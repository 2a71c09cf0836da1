"""The benchmark harness runs end to end (figures are checked by people, not by timed tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from services import ROOT


@pytest.mark.slow
def test_quick_benchmark_prints_every_section():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for heading in ("1. Engine throughput", "2. Against references", "3. Parallel scaling", "4. Growth"):
        assert heading in done.stdout
    # The plain-loop reference must reproduce the engine exactly, or its timing compares unlike work.
    rows = [line for line in done.stdout.splitlines() if line.startswith("| Example baseline")]
    assert len(rows) == 2 and "| yes |" in rows[1]
    assert "exponent in horizon" in done.stdout and "exponent in volume" in done.stdout


def test_forecast_width_sets_the_band_against_a_random_walk_of_the_reported_steps():
    import importlib.util

    import numpy as np
    import pandas as pd

    spec = importlib.util.spec_from_file_location("forecast_width", ROOT / "benchmarks" / "forecast_width.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Reported steps of +7, -7, +7, -7: root-mean-square 7, so the random walk's 80% band after
    # h months is 2 x 1.2816 x 7 x sqrt(h) wide.
    months = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    reported = pd.Series([100, 107, 100, 107, 100], index=months)
    summary = pd.DataFrame(
        {"month": ["2024-05", "2024-06", "2024-07"], "breaches_p10": [100, 80, 60],
         "breaches_p50": [100, 90, 80], "breaches_p90": [100, 100, 100]}
    )  # fmt: skip
    table = module.widths(summary, reported, "breaches", months=6)
    assert table["month"].tolist() == ["2024-06", "2024-07"]  # only months after the last reported
    expected = 2 * 1.2816 * 7 * np.sqrt([1, 2])
    assert np.allclose(table["random_walk_width"], expected)
    assert np.allclose(table["ratio"], np.array([20, 40]) / expected)


def _benchmark(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_compartment_waits_conserves_patients_and_books_the_longest_waiters_first():
    import numpy as np

    waits = _benchmark("compartment_waits")
    spec = waits.Waits(120.0, (0.0,) * 7, capacity=100.0, burn_in_capacity=80.0, months=6, burn_in=12)
    synthetic = waits.simulate(spec, seed=3)
    totals, months = synthetic.history.counts.sum(axis=1), synthetic.history.months
    for before, after, month in zip(totals, totals[1:], months[1:], strict=False):
        flows = synthetic.referrals[month] - synthetic.seen[month] - synthetic.removed[month]
        assert after - before == flows  # the list grows by joiners less leavers, every month
    assert sum(synthetic.removed.values()) == 0  # no removal hazard: nobody removed
    # Longest wait first with no random share: each month's leavers who were on the list at its
    # start come from its oldest bands, so a younger band empties only once every older one has.
    rates = synthetic.exit_rates(months[1:])
    seen_bands = np.flatnonzero(rates > 0)
    assert seen_bands.size and np.all(np.isnan(rates[seen_bands.max() + 1 :]))


def test_recovery_benchmark_scores_a_few_trials_against_the_simulators_truth(capsys, tmp_path):
    import json

    recovery = _benchmark("from_waits_recovery")
    trials = recovery.draw_trials(3, seed=1)
    assert [t.regime for t in trials] == ["below", "at", "above"]
    assert all(30 <= t.spec.referrals <= 800 and 6 <= t.spec.months <= 23 for t in trials)
    rows = recovery.score(trials[0], draws=40)
    names = {row["quantity"] for row in rows}
    assert {"referrals a month", "first contacts a month (clock stops)", "exit rate by wait"} <= names
    for row in rows:
        assert row["inside"] == (row["low"] - 1e-9 <= row["truth"] <= row["high"] + 1e-9)
    # A profile counts as recovered only when every scored band is inside.
    made = [{"trial": 1, "quantity": "q", "inside": True}, {"trial": 1, "quantity": "q", "inside": False},
            {"trial": 2, "quantity": "q", "inside": True}]  # fmt: skip
    assert recovery.coverage(made) == {"q": (1, 2)}
    result = recovery.main(["--trials", "2", "--json", str(tmp_path / "r.json")])
    printed = capsys.readouterr().out
    assert "| referrals a month |" in printed and "overall" in printed
    assert json.loads((tmp_path / "r.json").read_text())["overall"] == result["overall"]
