"""Running replications: one entry point, serial or in a local process pool.

Each replication is independent and seeded by ``(seed, replication)`` alone, so results
are the same whatever the worker count; they are returned sorted by replication.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd

from sim.config import ServiceConfig
from sim.model import ServiceModel

Progress = Callable[[int], None]


def run_replication(config: ServiceConfig, seed: int, replication: int) -> pd.DataFrame:
    """Monthly records of one replication, with its number."""
    records = ServiceModel(config, seed, replication).run()
    frame = pd.DataFrame.from_records(records)
    frame.insert(0, "replication", replication)
    return frame


def _run_batch(config: ServiceConfig, seed: int, replications: list[int]) -> pd.DataFrame:
    return pd.concat([run_replication(config, seed, r) for r in replications], ignore_index=True)


def batches(replications: Iterable[int], size: int) -> list[list[int]]:
    """Split replication numbers into batches of at most ``size``."""
    numbers = list(replications)
    return [numbers[i : i + size] for i in range(0, len(numbers), size)]


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_replications(
    config: ServiceConfig,
    reps: int,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    first_replication: int = 0,
) -> pd.DataFrame:
    """Run ``reps`` replications and return one row per replication x month.

    ``workers=1`` runs in this process; more use a process pool. The numbers do not depend
    on the worker count.
    """
    workers = default_workers() if workers is None else max(1, workers)
    numbers = range(first_replication, first_replication + reps)
    if workers == 1 or reps == 1:
        frames = []
        for number in numbers:
            frames.append(run_replication(config, seed, number))
            if progress:
                progress(1)
        return pd.concat(frames, ignore_index=True)
    size = max(1, min(25, reps // (workers * 4) or 1))
    frames = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(_run_batch, config, seed, batch): len(batch) for batch in batches(numbers, size)
        }
        for future in as_completed(futures):
            frames.append(future.result())
            if progress:
                progress(futures[future])
    return pd.concat(frames, ignore_index=True).sort_values(["replication"], kind="stable", ignore_index=True)
