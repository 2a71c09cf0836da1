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
