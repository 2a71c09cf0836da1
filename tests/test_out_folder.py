"""The --out folder: refused cleanly when unusable, untouched by refused runs, locked, published whole.

A full disk is simulated by a writer that raises ENOSPC (everywhere) and, where this user may
mount one, by a real tmpfs too small for two runs' outputs.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from services import service_document
from typer.testing import CliRunner

import sim.reports.run_outputs
import sim.runs.runner
from sim.cli import app
from sim.runs.staging import READY, RECORD, recover, staged

OUTPUTS = [
    "breaches_fan.png",
    "capacity_demand.png",
    "inputs",  # the scenario as run, so the vintage can be re-made and tracked
    "manifest.json",
    "monthly.csv",
    "summary.csv",
    "waiting_fan.png",
]


def service_file(folder: Path, changes: dict | None = None, name: str = "service.yaml") -> Path:
    """A six-month version of the small test service, as a scenario file."""
    document = service_document({"service": {"horizon_months": 6}, **(changes or {})})
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def dcsim(*arguments: str):
    result = CliRunner().invoke(app, [str(a) for a in arguments])
    result.text = " ".join(result.output.split())  # rich wraps long lines
    return result


def run(service: Path, out: Path, *extra: str, reps: int = 2, seed: int = 1):
    return dcsim("run", service, "-n", reps, "-s", seed, "--backend", "serial", "-o", out, *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> tuple[Path, Path]:
    """A scenario file and a folder holding one complete run of it (copied by each test)."""
    folder = tmp_path_factory.mktemp("complete")
    service = service_file(folder)
    result = run(service, folder / "out")
    assert result.exit_code == 0, result.output
    return service, folder / "out"


def test_a_complete_run_publishes_its_files_and_leaves_no_lock_or_staging(complete):
    _, out = complete
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [RECORD]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == OUTPUTS
    assert sorted(yaml.safe_load((out / RECORD).read_text())["files"]) == OUTPUTS


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_out_that_is_a_file_is_refused(complete, tmp_path, where):
    service, _ = complete
    blocker = tmp_path / "results"
    blocker.write_text("not a folder\n")
    out = blocker if where == "file" else blocker / "run"
    result = run(service, out)
    assert result.exit_code == 2
    expected = "is a file, not a folder" if where == "file" else f"{blocker} is a file, not a folder"
    assert f"--out: {out}: {expected}" in result.text and "Traceback" not in result.output
    assert blocker.read_text() == "not a folder\n"


@pytest.fixture
def read_only(tmp_path):
    """A folder this process cannot write to: chmod for a user, a read-only bind mount for root."""
    folder = tmp_path / "locked_down"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("root cannot mount here, and file modes do not stop root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("inside", [False, True])
def test_read_only_out_is_refused(complete, read_only, inside):
    service, _ = complete
    out = read_only / "run" if inside else read_only
    result = run(service, out)
    assert result.exit_code == 2
    assert f"--out: {out}: {read_only} is not writable" in result.text and "Traceback" not in result.output


REFUSALS = {
    "unknown backend": ["--backend", "spark"],
    "scheduler without dask": ["--backend", "serial", "--scheduler", "tcp://127.0.0.1:9"],
    "bad yaml": [],
    "unreachable scheduler": ["--scheduler", "tcp://127.0.0.1:9"],
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.slow) if case == "unreachable scheduler" else case
        for case in REFUSALS
    ],
)
@pytest.mark.parametrize("before", ["missing", "complete run"])
def test_a_refused_run_leaves_out_as_it_was(complete, tmp_path, case, before):
    service, finished = complete
    if case == "bad yaml":
        service = service_file(tmp_path, {"demand": {"monthly_rat": 60}})
    out = tmp_path / "out"
    if before == "complete run":
        shutil.copytree(finished, out)
    was = snapshot(out)
    command = ["run", service, "-n", 2, "-s", 1, "-o", out, *REFUSALS[case]]
    result = dcsim(*command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert out.exists() == (before == "complete run")
    assert snapshot(out) == was


HOLDER = textwrap.dedent(
    """
    import sys, time
    from sim.runs.outfolder import OutputFolder
    OutputFolder(sys.argv[1], command="dcsim run holder.yaml").__enter__()
    print("locked", flush=True)
    time.sleep(600)
    """
)


def test_a_second_run_into_a_locked_folder_names_the_holder(complete, tmp_path):
    service, _ = complete
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run(service, out)
        assert result.exit_code == 2
        assert f"--out: {out}: in use by another dcsim run (pid {holder.pid}, started 20" in result.text
        assert "dcsim run holder.yaml); wait for it to finish or choose another --out" in result.text
        assert not (out / ".batches").exists() and not list(out.glob("*.csv"))
    finally:
        holder.kill()  # SIGKILL: the lock goes with the process, though its file stays
        holder.communicate()
    assert (out / ".dcsim.lock").exists()
    result = run(service, out)
    assert result.exit_code == 0, result.output
    assert not (out / ".dcsim.lock").exists()


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "breaches_fan.png")


def test_disk_full_while_writing_keeps_the_previous_outputs_and_the_batches(complete, tmp_path, monkeypatch):
    service, finished = complete
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    was = snapshot(out)
    with monkeypatch.context() as patch:
        patch.setattr(sim.reports.run_outputs, "write_figure", _disk_full)  # the tables are written first
        result = run(service, out, seed=2)
    assert result.exit_code == 1
    assert "--out: breaches_fan.png: No space left on device" in result.text
    assert "rerun with --resume" in result.text and "Traceback" not in result.output
    now = snapshot(out)
    assert {k: v for k, v in now.items() if not k.startswith(".batches")} == was
    assert any(k.startswith(".batches/batch_") for k in now)
    result = run(service, out, "--resume", seed=2)
    assert result.exit_code == 0, result.output
    fresh = tmp_path / "fresh"
    assert run(service, fresh, seed=2).exit_code == 0
    assert (out / "monthly.csv").read_bytes() == (fresh / "monthly.csv").read_bytes()
    assert not (out / ".batches").exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 320 kB tmpfs: room for one run's outputs and its batches, not for two runs' outputs."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_real_full_disk_leaves_the_previous_outputs_whole(complete, small_disk):
    service, finished = complete
    out = small_disk / "out"
    assert run(service, out, seed=1).exit_code == 0  # fits once
    was = snapshot(out)
    assert sum(map(len, was.values())) > 320_000 // 2, "the test disk no longer fills: shrink it"
    result = run(service, out, seed=2)
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.text and "Traceback" not in result.output
    now = snapshot(out)
    assert {k: v for k, v in now.items() if not k.startswith(".batches")} == was
    assert not list(out.glob(".staging.*")) and not list(out.glob(".*.tmp"))


def _interrupt_at_replication_three(config, seed, trace, replications):
    if 3 in replications:
        raise KeyboardInterrupt
    return RUN_BATCH(config, seed, trace, replications)


RUN_BATCH = sim.runs.runner.run_batch


def test_an_interrupted_run_never_mixes_with_the_complete_run_beside_it(complete, tmp_path, monkeypatch):
    service, finished = complete
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    was = snapshot(out)
    with monkeypatch.context() as patch:
        patch.setattr(sim.runs.runner, "run_batch", _interrupt_at_replication_three)
        result = run(service, out, "--trace", reps=8, seed=2)  # batches of one replication
    assert result.exit_code == 130
    assert "interrupted; finished batches are kept in" in result.text
    assert "the outputs beside them are still the last complete run's" in result.text
    now = snapshot(out)
    assert {k: v for k, v in now.items() if not k.startswith(".batches")} == was  # old run untouched
    batches = sorted(p.name for p in (out / ".batches").glob("batch_*.csv"))
    assert batches == [f"batch_{r:06d}-{r:06d}.csv" for r in range(3)]
    assert len(list((out / ".batches" / "trace").glob("trace_*.csv"))) == 3

    result = run(service, out, "--trace", reps=8, seed=2)  # forgot --resume: nothing is deleted
    assert result.exit_code == 2
    assert f"--out: {out}: holds an unfinished run (seed 2, 3 of 8 replications saved)" in result.text
    assert "add --resume to finish it, or --fresh to discard it and start again" in result.text
    assert snapshot(out) == now
    assert run(service, out, "--resume", "--fresh").exit_code == 2

    # What a killed writer leaves behind is cleaned up by the resumed run.
    for leftover in (
        ".batches/.batch_000004-000004.csv.x1.tmp",
        ".batches/trace/.t.tmp",
        ".monthly.csv.x2.tmp",
    ):
        (out / leftover).write_text("half written")
    (out / ".staging.dead").mkdir()  # a publish that never finished
    result = run(service, out, "--trace", "--resume", reps=8, seed=2)
    assert result.exit_code == 0, result.output
    fresh = tmp_path / "fresh"
    assert run(service, fresh, "--trace", reps=8, seed=2).exit_code == 0
    assert snapshot(out).keys() == snapshot(fresh).keys()
    for name in ("monthly.csv", "summary.csv", *(f"trace/trace_{r:06d}-{r:06d}.csv" for r in range(8))):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_fresh_discards_an_unfinished_run(complete, tmp_path, monkeypatch):
    service, _ = complete
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(sim.runs.runner, "run_batch", _interrupt_at_replication_three)
        assert run(service, out, reps=8, seed=2).exit_code == 130
    result = run(service, out, "--fresh", reps=4, seed=3)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "monthly.csv")["replication"].nunique() == 4
    assert not (out / ".batches").exists()


# ----- publishing, unit by unit -------------------------------------------------------------------


def test_outputs_of_an_earlier_command_that_are_not_replaced_are_removed_but_users_files_stay(tmp_path):
    with staged(tmp_path) as folder:
        (folder / "report.html").write_text("old report")
        (folder / "monthly.csv").write_text("old")
    (tmp_path / "my_notes.txt").write_text("mine")
    with staged(tmp_path) as folder:
        (folder / "monthly.csv").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORD, "monthly.csv", "my_notes.txt"]
    assert (tmp_path / "monthly.csv").read_text() == "new"


def test_a_failure_while_staging_publishes_nothing(tmp_path):
    (tmp_path / "monthly.csv").write_text("old")
    with pytest.raises(OSError), staged(tmp_path) as folder:
        (folder / "monthly.csv").write_text("new")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == ["monthly.csv"]
    assert (tmp_path / "monthly.csv").read_text() == "old"


def test_recover_finishes_a_publish_killed_half_way_and_drops_an_unfinished_one(tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("old")
    ready = tmp_path / ".staging.ready"
    ready.mkdir()
    for name in ("a.csv", "b.csv"):
        (ready / name).write_text("new")
    (ready / READY).write_text('{"files": ["a.csv", "b.csv"]}')
    os.replace(ready / "a.csv", tmp_path / "a.csv")  # killed after the first rename
    unfinished = tmp_path / ".staging.unfinished"
    unfinished.mkdir()
    (unfinished / "c.csv").write_text("partial")
    recover(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RECORD, "a.csv", "b.csv"]
    assert {p.read_text() for p in tmp_path.glob("*.csv")} == {"new"}
