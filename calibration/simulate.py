"""Running the model at many parameter values: one process pool kept for a whole fit.

A fit runs thousands of short replications, each at its own parameter values. Starting a
pool per objective evaluation would cost more than the replications, so ``Simulator`` keeps
one pool (``sim.runs.backends.ProcessBackend``, whose workers end with the fit, or with the
command on Ctrl-C or a kill) and sends it the base service once per call. Inside
``sim.runs.backends.shared_backend()`` (a backtest's origins) every fit uses that one pool.
Each task's monthly records come back as one numpy array per column, not as a list of dicts.
Every task is fixed by ``(values, replication)`` and the run's seed alone, so results do
not depend on the worker count or the order tasks finish in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from calibration.parameters import build
from sim.engine.model import ServiceModel
from sim.runs.backends import ProcessBackend, current_backend
from sim.runs.replication_plan import BandedModel, WaitBand
from sim.runs.runner import Columns, default_workers, from_columns, to_columns

Task = tuple[dict[str, float], int]  # (parameter values by path, replication number)
TASKS_PER_WORKER = 4  # chunks per worker and call: few round trips, workers finish together


def _run_one(document: dict[str, Any], seed: int, task: Task, bands: tuple[WaitBand, ...] = ()) -> Columns:
    values, replication = task
    config = build(document, values)
    # Weeks-band counts at each month end are extra columns (a fit to published band snapshots);
    # without bands the plain model runs, so every other fit's records are as they were.
    model = (
        BandedModel(config, seed, replication, bands) if bands else ServiceModel(config, seed, replication)
    )
    return to_columns(pd.DataFrame.from_records(model.run()))


def _run_chunk(
    document: dict[str, Any], seed: int, bands: tuple[WaitBand, ...], chunk: list[tuple[int, Task]]
) -> list[Columns]:
    return [_run_one(document, seed, task, bands) for _, task in chunk]


class Simulator:
    """Replications of one service at chosen parameter values, in a pool reused across calls.

    Use as a context manager; ``workers=1`` runs everything in this process. ``bands`` adds a
    month-end count of open clocks in each weeks band (``sim.runs.replication_plan.BandedModel``).
    """

    def __init__(
        self,
        document: dict[str, Any],
        seed: int,
        workers: int | None = None,
        bands: tuple[WaitBand, ...] = (),
    ) -> None:
        self.document, self.seed, self.bands = document, seed, tuple(bands)
        self.workers = default_workers() if workers is None else max(1, workers)
        self.pool: ProcessBackend | None = None
        self._own = False
        self.replications_run = 0

    def __enter__(self) -> Simulator:
        if self.workers > 1:
            kept = current_backend("processes", self.workers, None)
            self.pool, self._own = (kept, False) if kept is not None else (ProcessBackend(self.workers), True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        pool, self.pool = self.pool, None
        if pool is not None and self._own:
            pool.__exit__(*exc_info)  # ends the workers (at once on an error or Ctrl-C)

    def columns(self, tasks: Sequence[Task]) -> list[Columns]:
        """Monthly records of each task as columns, in task order."""
        self.replications_run += len(tasks)
        if self.pool is None:
            return [_run_one(self.document, self.seed, task, self.bands) for task in tasks]
        numbered = list(enumerate(tasks))
        size = max(1, len(tasks) // (self.workers * TASKS_PER_WORKER))
        chunks = [numbered[i : i + size] for i in range(0, len(numbered), size)]
        results: list[Columns | None] = [None] * len(tasks)
        for chunk, columns in self.pool.map(_run_chunk, (self.document, self.seed, self.bands), chunks):
            for (index, _), result in zip(chunk, columns, strict=True):
                results[index] = result
        return results  # type: ignore[return-value]  # every slot is filled

    def frame(self, tasks: Sequence[Task]) -> pd.DataFrame:
        """One row per task x month, with the task's replication number (as ``sim.runs.runner``)."""
        frames = []
        for (_, replication), columns in zip(tasks, self.columns(tasks), strict=True):
            frame = from_columns(columns)
            frame.insert(0, "replication", replication)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def metric_array(runs: Sequence[Columns], metrics: list[str]) -> np.ndarray:
    """Runs x months x metrics, as floats."""
    if not runs:
        return np.empty((0, 0, len(metrics)))
    return np.stack([np.column_stack([run[m] for m in metrics]) for run in runs]).astype(float)
