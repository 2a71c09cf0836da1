"""Answers on standard output, progress and warnings on standard error.

``dcsim compare ... > answer.txt`` must keep the answer sentences; a warning or an error must
not end up inside that file. The commands run in a subprocess, so the two streams are the real
ones (and the progress bar, silent off a terminal, is never in either).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

from services import EXAMPLE, ROOT

BASELINE = EXAMPLE / "baseline.yaml"
PLAN = EXAMPLE / "three_band6_posts.yaml"


def dcsim(*arguments: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, arguments)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip


def test_run_prints_its_answer_on_standard_output(tmp_path):
    done = dcsim("run", BASELINE, "--reps", 2, "--workers", 1, "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    assert "Do nothing (current service): 2 replications ->" in done.stdout
    assert "At the end of Mar 2027:" in done.stdout and "waiting over 14 weeks" in done.stdout
    assert "At the end of" not in done.stderr and "replications ->" not in done.stderr


def test_compare_prints_its_answer_on_standard_output(tmp_path):
    done = dcsim(
        "compare", BASELINE, PLAN, "--goal", "breaches<=0 by 2025-12", "--reps", 2, "--workers", 1,
        "--out", tmp_path / "plan",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"2 scenarios x 2 replications -> {tmp_path / 'plan'}/report.html"
    assert lines[1].startswith("At the end of Dec 2025, patients waiting over 14 weeks")
    assert lines[2].startswith("  Do nothing (current service): ")
    assert "fewer than the baseline" in lines[3] or "more than the baseline" in lines[3]
    assert "once the model's real-world error is included" in lines[2]
    assert lines[4].startswith("This rests on: ")  # the measured assumptions the answer moves with most
    # What the goal takes: a heading, what is needed, one line per scenario (the report's wording).
    assert lines[5].startswith("What the goal takes (no one waiting over 14 weeks at the end of Dec 2025)")
    assert lines[6].startswith("  Needed: ") and "first contacts a month to Dec 2025" in lines[6]
    assert lines[7].startswith("  Do nothing (current service): offers ")
    assert lines[8].startswith("  Three funded Band 6 posts: adds ") and "Band 6 +" in lines[8]
    assert len(lines) == 9
    assert "At the end of" not in done.stderr and "simulated futures" not in done.stderr
    assert "What the goal takes" not in done.stderr


def test_solve_prints_its_answer_on_standard_output(tmp_path):
    done = dcsim(
        "solve", PLAN, "--lever", "events.0.add_staff.wte", "--goal", "breaches<=0 by 2025-12",
        "--low", 0, "--high", 4, "--step", 2, "--reps", 2, "--workers", 1, "--out", tmp_path / "solve",
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr  # 1: no value on the grid meets the goal
    # The answer: a sentence counting futures, or (exit 1) that no value reaches the confidence.
    answer = "futures" if done.returncode == 0 else "no value of"
    assert answer in done.stdout and f"-> {tmp_path / 'solve'}/solve.html" in done.stdout
    assert answer not in done.stderr


def test_validate_says_ok_on_standard_output_and_problems_on_standard_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\ndemand: {{monthly_rat: 3}}\n")
    done = dcsim("validate", BASELINE, bad)
    assert done.returncode == 2
    assert f"{BASELINE}: ok" in done.stdout and "monthly_rat" not in done.stdout
    assert f"{bad}: demand.monthly_rat: unknown key" in done.stderr and "ok (" not in done.stderr


def test_bad_input_writes_nothing_to_standard_output(tmp_path):
    done = dcsim("compare", BASELINE, "--goal", "breaches below 5", "--reps", 2, "--out", tmp_path / "x")
    assert done.returncode == 2 and done.stdout == ""
    assert "--goal" in done.stderr and "Traceback" not in done.stderr


def test_warnings_go_to_standard_error(capsys):
    from sim.cli.common import shown_warnings
    from sim.runs.conditioning import ConditioningWarning

    with shown_warnings():
        warnings.warn("few effective replications", ConditioningWarning, stacklevel=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "warning: few effective replications" in captured.err

