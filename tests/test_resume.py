"""Resuming an interrupted run: finished batches are kept, and the outputs equal an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from services import EXAMPLE
from typer.testing import CliRunner

from sim.cli import app
from sim.runs.checkpoint import KEY_FILE, Checkpoint, ResumeError, run_key
from sim.runs.runner import run_replications

BASELINE = EXAMPLE / "baseline.yaml"
REPS = 48  # batches of 3: sixteen of them, a few seconds in all on two workers


def dcsim(out: Path, *extra: str, reps: int = REPS) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(BASELINE),
        "-n",
        str(reps),
        "-s",
        "7",
        "-w",
        "2",
        "-o",
        str(out),
    ] + [*extra]


def saved_batches(out: Path) -> list[Path]:
    return sorted((out / ".batches").glob("batch_*.csv"))


def interrupt(command: list[str], out: Path, after: int, how: signal.Signals) -> subprocess.CompletedProcess:
    """Start a run, wait until ``after`` batches are saved, then signal its whole process group."""
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while len(saved_batches(out)) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be interrupted"
    os.killpg(process.pid, how)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, stdout.decode(), stderr.decode())


@pytest.mark.slow
def test_killed_run_resumes_to_the_outputs_of_an_uninterrupted_run(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    done = subprocess.run(dcsim(whole), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (whole / ".batches").exists()  # saved batches are dropped once outputs are written

    stopped = interrupt(dcsim(broken), broken, after=2, how=signal.SIGINT)  # Ctrl-C
    assert stopped.returncode == 130
    assert "--resume" in stopped.stderr and "Traceback" not in stopped.stderr
    first = len(saved_batches(broken))
    assert 2 <= first < 16 and not (broken / "monthly.csv").exists()

    stopped = interrupt(dcsim(broken, "--resume"), broken, after=first + 2, how=signal.SIGKILL)
    assert stopped.returncode == -signal.SIGKILL
    assert first + 2 <= len(saved_batches(broken)) < 16

    done = subprocess.run(dcsim(broken, "--resume"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("monthly.csv", "summary.csv"):
        assert (broken / name).read_bytes() == (whole / name).read_bytes(), name
    assert json.loads((broken / "manifest.json").read_text())["resume"] is True


def test_resume_reuses_saved_batches_and_matches_a_fresh_run(small_config, tmp_path):
    fresh = run_replications(small_config, 12, 3, workers=1)
    run_replications(small_config, 12, 3, workers=1, checkpoint=tmp_path, batch_size=4)
    # Corrupting a saved batch shows that resume reads it instead of recomputing it.
    path = tmp_path / "batch_000004-000007.csv"
    saved = pd.read_csv(path)
    pd.testing.assert_frame_equal(saved, fresh[fresh["replication"].between(4, 7)].reset_index(drop=True))
    saved.assign(breaches=-1).to_csv(path, index=False)
    resumed = run_replications(small_config, 12, 3, workers=2, checkpoint=tmp_path, resume=True, batch_size=4)
    assert (resumed.loc[resumed["replication"].between(4, 7), "breaches"] == -1).all()
    other = resumed["replication"].between(4, 7)
    pd.testing.assert_frame_equal(resumed[~other], fresh[~other], check_exact=True)


def test_a_fresh_run_discards_batches_left_by_another(small_config, tmp_path):
    run_replications(small_config, 8, 3, workers=1, checkpoint=tmp_path, batch_size=4)
    (tmp_path / "batch_000000-000003.csv").write_text("not,a,batch\n")
    again = run_replications(small_config, 8, 3, workers=1, checkpoint=tmp_path, batch_size=4)
    pd.testing.assert_frame_equal(again, run_replications(small_config, 8, 3, workers=1), check_exact=True)


def test_resume_with_other_inputs_is_refused(small_config, tmp_path):
    key = run_key(small_config, seed=1, reps=20, first_replication=0, batch_size=2, trace=False)
    Checkpoint(tmp_path, key)
    assert not list(tmp_path.iterdir())  # nothing is written until the run starts
    Checkpoint(tmp_path, key).start()
    other = run_key(small_config, seed=2, reps=30, first_replication=0, batch_size=2, trace=False)
    with pytest.raises(ResumeError, match="seed 1 now 2; replications 20 now 30"):
        Checkpoint(tmp_path, other, resume=True)
    changed = small_config.model_copy(
        update={"demand": small_config.demand.model_copy(update={"monthly_rate": 61})}
    )
    with pytest.raises(ResumeError, match="service configuration changed"):
        Checkpoint(tmp_path, run_key(changed, 1, 20, 0, 2, False), resume=True)
    stale = {**key, "engine_sha256": "0" * 64}  # saved by another version of the engine's code
    (tmp_path / KEY_FILE).write_text(json.dumps(stale))
    with pytest.raises(ResumeError, match="engine code changed"):
        Checkpoint(tmp_path, key, resume=True)
    assert json.loads((tmp_path / KEY_FILE).read_text()) == stale  # a refused run changes nothing


def test_cli_refuses_to_resume_another_run(tmp_path):
    from sim.engine.scenario import load_config

    run_replications(load_config(BASELINE), 2, 1, workers=1, checkpoint=tmp_path / ".batches")
    result = CliRunner().invoke(
        app, ["run", str(BASELINE), "-o", str(tmp_path), "-n", "2", "-s", "2", "--resume"]
    )
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "cannot resume: the saved batches are from another run (seed 1 now 2)" in message
    assert "--fresh instead of --resume" in message and "Traceback" not in result.output


def test_resume_with_nothing_saved_runs_everything(small_config, tmp_path):
    resumed = run_replications(small_config, 4, 3, workers=1, checkpoint=tmp_path / "none", resume=True)
    pd.testing.assert_frame_equal(resumed, run_replications(small_config, 4, 3, workers=1), check_exact=True)
