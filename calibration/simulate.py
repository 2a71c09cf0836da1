"""Running the model at many parameter values: one process pool kept for a whole fit.

A fit runs thousands of short replications, each at its own parameter values. Starting a
pool per objective evaluation (as ``sim.runs.runner`` does per run) would cost more than the
replications, so ``Simulator`` keeps one pool and sends each worker the base service once.
Every task is fixed by ``(values, replication)`` and the run's seed alone, so results do
not depend on the worker count or the order tasks finish in.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd

from calibration.parameters import build
from sim.engine.model import ServiceModel
from sim.runs.runner import default_workers

Task = tuple[dict[str, float], int]  # (parameter values by path, replication number)

_BASE: dict[str, Any] = {}  # the base service document and seed, set once in each worker


def _install(document: dict[str, Any], seed: int) -> None:
    _BASE["document"], _BASE["seed"] = document, seed


def _run_one(task: Task) -> list[dict]:
    values, replication = task
    config = build(_BASE["document"], values)
    return ServiceModel(config, _BASE["seed"], replication).run()


class Simulator:
    """Replications of one service at chosen parameter values, in a pool reused across calls.

    Use as a context manager; ``workers=1`` runs everything in this process.
    """

    def __init__(self, document: dict[str, Any], seed: int, workers: int | None = None) -> None:
        self.document, self.seed = document, seed
        self.workers = default_workers() if workers is None else max(1, workers)
        self.pool: ProcessPoolExecutor | None = None
        self.replications_run = 0

    def __enter__(self) -> Simulator:
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(
                self.workers, initializer=_install, initargs=(self.document, self.seed)
            )
        else:
            _install(self.document, self.seed)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def records(self, tasks: Sequence[Task]) -> list[list[dict]]:
        """Monthly records of each task, in task order."""
        self.replications_run += len(tasks)
        if self.pool is None:
            return [_run_one(task) for task in tasks]
        chunk = max(1, len(tasks) // (self.workers * 4))
        return list(self.pool.map(_run_one, tasks, chunksize=chunk))

    def frame(self, tasks: Sequence[Task]) -> pd.DataFrame:
        """One row per task x month, with the task's replication number (as ``sim.runs.runner``)."""
        frames = []
        for (_, replication), records in zip(tasks, self.records(tasks), strict=True):
            frame = pd.DataFrame.from_records(records)
            frame.insert(0, "replication", replication)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
