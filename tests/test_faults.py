"""Faults of the main process: its workers never outlive it, and SIGTERM stops a run cleanly.

Each test starts a real ``dcsim run`` in its own session, so whatever happens the whole group
is killed at the end. Waits are bounded polls; nothing asserts how fast anything is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from services import EXAMPLE

WAIT = 120  # seconds: generous bound for a busy two-core machine, never a speed claim


def dcsim_run(out: Path, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "sim", "run", str(EXAMPLE / "baseline.yaml"), "-n", "400", "-s", "5"]
    return [*command, "-o", str(out), *extra]


@contextmanager
def started(command: list[str]) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # only this test's own session
        except ProcessLookupError:
            pass
        process.communicate()


def poll(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def saved(out: Path) -> int:
    return len(list((out / ".batches").glob("batch_*.csv")))


def workers_of(pid: int, count: int, out: Path, batches: int = 0) -> list[psutil.Process]:
    """Wait until the run has ``count`` worker processes and has saved ``batches``; return them."""
    parent = psutil.Process(pid)
    poll(lambda: len(parent.children(recursive=True)) >= count and saved(out) >= batches, "workers at work")
    return parent.children(recursive=True)


@pytest.mark.parametrize(
    "options",
    [
        ["--backend", "processes"],
        # Dask's own workers already end with their parent: kept as a guard, among the slow tests.
        pytest.param(["--scheduler", "local"], marks=pytest.mark.slow),
    ],
    ids=["processes", "dask"],
)
def test_workers_exit_when_the_main_process_is_killed(tmp_path, options):
    with started(dcsim_run(tmp_path / "out", "-w", "2", *options)) as process:
        workers = workers_of(process.pid, 2, tmp_path / "out")
        os.kill(process.pid, signal.SIGKILL)  # no handler runs: the workers must notice on their own
        process.wait()
        poll(lambda: not any(running(w) for w in workers), "workers to exit after their parent was killed")


def test_sigterm_stops_the_run_cleanly_and_keeps_finished_batches(tmp_path):
    out = tmp_path / "out"
    with started(dcsim_run(out, "-w", "2", "--backend", "processes")) as process:
        workers = workers_of(process.pid, 2, out, batches=1)
        os.kill(process.pid, signal.SIGTERM)  # the main process only, as a service manager would
        _, stderr = process.communicate(timeout=WAIT)
        assert process.returncode == 143, stderr
        assert "--resume" in stderr and "Traceback" not in stderr
        poll(lambda: not any(running(w) for w in workers), "workers to exit after SIGTERM")
    assert saved(out) >= 1 and not (out / "monthly.csv").exists()
    assert not (out / ".dcsim.lock").exists()


WATCHED_CHILD = textwrap.dedent(
    """
    import multiprocessing, sys, time
    import sim.runs.backends as backends

    def child(parent):
        sys.platform = "portable"  # no prctl: only the watching thread can notice the parent go
        backends.PARENT_POLL_SECONDS = 0.1
        backends.die_with_parent(parent)
        time.sleep(600)

    if __name__ == "__main__":
        import os
        worker = multiprocessing.get_context("fork").Process(target=child, args=(os.getpid(),))
        worker.start()
        print(worker.pid, flush=True)
        time.sleep(600)
    """
)


def test_the_watch_thread_alone_ends_a_worker_whose_parent_died(tmp_path):
    script = tmp_path / "watched.py"
    script.write_text(WATCHED_CHILD)
    with started([sys.executable, str(script)]) as process:
        worker = psutil.Process(int(process.stdout.readline()))
        assert running(worker)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        poll(lambda: not running(worker), "the orphaned worker to exit")
