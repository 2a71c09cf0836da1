"""Start-up imports only what a command needs: ``dcsim --help`` and ``dcsim validate`` load none of
the heavy libraries (times are measured by benchmarks/startup.py, not asserted here)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from services import EXAMPLE, ROOT

HEAVY = ("scipy", "pandas", "matplotlib", "seaborn", "plotly", "streamlit", "dask")
PROGRAM = """
import sys
from sim.cli import app
try:
    app(sys.argv[1:], prog_name="dcsim", standalone_mode=False)
finally:
    print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def heavy_imports(*arguments: str) -> tuple[list[str], subprocess.CompletedProcess]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(heavy=HEAVY), *arguments],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    line = [text for text in done.stdout.splitlines() if text.startswith("HEAVY=")]
    assert line, done.stdout + done.stderr
    return [m for m in line[-1].removeprefix("HEAVY=").split(",") if m], done


def test_importing_the_command_line_loads_no_heavy_library():
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, sim.cli; print([m for m in {HEAVY!r} if m in sys.modules])"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("arguments", [["--help"], ["run", "--help"], ["compare", "--help"]])
def test_help_loads_no_heavy_library_and_lists_every_command(arguments):
    heavy, done = heavy_imports(*arguments)
    assert heavy == []
    if arguments == ["--help"]:
        for command in ("validate", "run", "compare", "solve", "sensitivity", "calibrate", "backtest",
                        "estimate", "app"):  # fmt: skip
            assert f" {command} " in done.stdout
    else:
        assert "--reps" in done.stdout and "--out" in done.stdout


def test_validate_loads_no_heavy_library():
    heavy, done = heavy_imports("validate", str(EXAMPLE / "baseline.yaml"), str(EXAMPLE / "calibrated.yaml"))
    assert "baseline.yaml: ok" in done.stdout
    assert heavy == []


def test_validate_of_a_bad_file_loads_no_heavy_library(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {EXAMPLE / 'baseline.yaml'}\nservice: {{horizon_months: -1}}\n")
    heavy, done = heavy_imports("validate", str(bad))
    assert "horizon_months" in done.stderr
    assert heavy == []
