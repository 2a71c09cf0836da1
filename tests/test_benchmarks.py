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
