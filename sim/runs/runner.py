"""Running replications in batches, on any backend, saving finished batches as they come.

Each replication is independent and seeded by ``(seed, replication)`` alone, so results
are the same whatever the backend or worker count; they are returned sorted by
replication. Replications run in batches of a size fixed by the number of replications
(not by the workers), so that a run started on one backend can be resumed on another.
A batch returns only its month-end records (and, with a trace, its event log), so memory
holds the monthly table and a few batches in flight, never patient records. They come back
from a worker as one numpy array per column (``Columns``), not as pickled frames, and are
made a frame again here, with the same dtypes. Inside ``sim.runs.backends.shared_backend()``
every run uses the one process pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.config import ServiceConfig
from sim.runs.backends import BackendError, WorkerLost, current_backend, default_workers, make_backend
from sim.runs.checkpoint import Checkpoint, batch_name, run_key
from sim.runs.files import write_table
from sim.runs.replication_plan import ReplicationPlan, as_plan
from sim.runs.staging import remove_temporaries

Progress = Callable[[int], None]
FinishedBatch = Callable[[pd.DataFrame], None]  # a batch's monthly records, as soon as it finishes
Plan = ServiceConfig | ReplicationPlan  # a plain config: every replication runs it as it is
MAX_BATCH = 10
Columns = dict[str, np.ndarray]  # a table as it travels between processes: one array per column
__all__ = ["BackendError", "RunInterrupted", "default_workers", "run_replication", "run_replications"]


class RunInterrupted(Exception):
    """A worker died or the run was stopped; finished batches are saved for ``--resume``."""


@dataclass
class BatchResult:
    """Month-end records of a batch of replications, and their event log when traced."""

    monthly: pd.DataFrame
    trace: pd.DataFrame | None = None


def run_replication(config: Plan, seed: int, replication: int) -> pd.DataFrame:
    """Monthly records of one replication, with its number."""
    return _run_one(config, seed, replication, trace=False).monthly


def _run_one(config: Plan, seed: int, replication: int, trace: bool) -> BatchResult:
    model = as_plan(config).model(seed, replication, trace)
    frame = pd.DataFrame.from_records(model.run())
    frame.insert(0, "replication", replication)
    return BatchResult(frame, model.frame() if trace else None)


def to_columns(frame: pd.DataFrame) -> Columns:
    """A frame as one numpy array per column (strings as object arrays), for sending."""
    return {str(name): frame[name].to_numpy() for name in frame.columns}


def from_columns(columns: Columns) -> pd.DataFrame:
    """The frame ``to_columns`` was given: the same columns, values and dtypes."""
    return pd.DataFrame(columns)


def run_batch(
    config: Plan, seed: int, trace: bool, replications: list[int]
) -> tuple[Columns, Columns | None]:
    """Run a batch of replications (the unit of work sent to a backend): its monthly records and,
    when traced, its event log, as columns."""
    results = [_run_one(config, seed, r, trace) for r in replications]
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    traces = pd.concat([r.trace for r in results], ignore_index=True) if trace else None
    return to_columns(monthly), (to_columns(traces) if traces is not None else None)


def batches(replications: Iterable[int], size: int) -> list[list[int]]:
    """Split replication numbers into batches of at most ``size``, the last ones halving.

    The last whole batch and any remainder are split into batches of half what is left
    (100 in sixes: 15 sixes, then 5, 3, 1, 1), so the workers finish together instead of
    one running a last whole batch alone: with 2 workers that idled one of them for ~0.4 s
    at the end of 100 replications of the example.
    """
    numbers = list(replications)
    if len(numbers) <= size:  # one batch: no pool to start
        return [numbers] if numbers else []
    tail = size + len(numbers) % size
    whole = len(numbers) - tail  # a multiple of size
    plan = [numbers[i : i + size] for i in range(0, whole, size)]
    while whole < len(numbers):
        step = (len(numbers) - whole + 1) // 2
        plan.append(numbers[whole : whole + step])
        whole += step
    return plan


def default_batch_size(reps: int) -> int:
    """At least ~16 batches to share among workers; at most ``MAX_BATCH`` lost to an interruption."""
    return max(1, min(MAX_BATCH, reps // 16))


def run_replications(
    config: Plan,
    reps: int,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    first_replication: int = 0,
    *,
    backend: str | None = None,
    scheduler: str | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    trace: str | Path | None = None,
    batch_size: int | None = None,
    on_batch: FinishedBatch | None = None,
) -> pd.DataFrame:
    """Run ``reps`` replications and return one row per replication x month.

    ``backend`` is ``serial``, ``processes`` or ``dask`` (with ``scheduler``, an address or
    ``local``); by default ``workers=1`` runs in this process and more use a process pool.
    With ``checkpoint`` (a folder) each finished batch is saved there, and ``resume`` reuses
    the batches a previous, interrupted run of the same inputs saved. With ``trace`` (a
    folder) every batch's per-patient event log is written there as ``trace_<a>-<b>.csv``.
    A ``ReplicationPlan`` instead of a config gives each replication its parameter draw.
    ``on_batch`` sees each batch's monthly records as it finishes (a provisional picture
    while a long run goes on); batches reused by ``resume`` are not shown to it.
    """
    numbers = range(first_replication, first_replication + reps)
    size = batch_size or default_batch_size(reps)
    plan = batches(numbers, size)
    store = None
    if checkpoint is not None:
        key = run_key(config, seed, reps, first_replication, size, trace is not None)
        store = Checkpoint(checkpoint, key, resume)  # reads only: nothing is written before the backend is up
    frames = {batch[0]: store.load(batch) for batch in plan} if store else {}
    frames = {first: frame for first, frame in frames.items() if frame is not None}
    if progress and store and store.resumed:
        progress(store.resumed)
    todo = [batch for batch in plan if batch[0] not in frames]
    if todo:
        if backend is None and len(todo) == 1:
            backend = "serial"  # no pool to start for a single batch
        shared = current_backend(backend, workers, scheduler)  # the pool of a whole question, kept open
        runner = shared or make_backend(backend, workers, scheduler)
        kept = shared is not None
        finished = _run_batches(runner, kept, config, seed, todo, store, trace, resume, progress, on_batch)
        frames.update(finished)
    monthly = pd.concat([frames.pop(first) for first in sorted(frames)], ignore_index=True)
    # Consolidated to one block per dtype, however the batches were read back.
    return monthly.copy()


def _run_batches(
    runner, kept, config, seed, todo, store, trace, resume, progress, on_batch
) -> dict[int, pd.DataFrame]:
    """Run batches on a backend, saving each (and its trace) as it finishes.

    ``kept``: the backend belongs to an enclosing ``shared_backend()``, which ends it.
    """
    frames, done = {}, 0
    try:
        # An unreachable scheduler stops the run here, before anything is written.
        with nullcontext(runner) if kept else runner:
            if store:
                store.start()
            if trace is not None:
                _prepare_traces(Path(trace), resume)
            for batch, (columns, traced) in runner.map(run_batch, (config, seed, trace is not None), todo):
                monthly = from_columns(columns)
                if trace is not None:
                    write_table(from_columns(traced), Path(trace) / batch_name("trace", batch))
                if store:
                    store.save(batch, monthly)
                frames[batch[0]] = monthly
                done += len(batch)
                if on_batch:
                    on_batch(monthly)
                if progress:
                    progress(len(batch))
    except WorkerLost as error:
        left = sum(len(batch) for batch in todo) - done
        raise RunInterrupted(f"{error}, with {left} replications left to run") from error
    return frames


def _prepare_traces(folder: Path, resume: bool) -> None:
    """A fresh run starts without the trace files of an earlier one; neither keeps temporaries."""
    if not resume:
        for path in folder.glob("trace_*.csv"):
            path.unlink()
    remove_temporaries(folder)
