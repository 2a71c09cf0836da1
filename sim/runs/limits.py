"""How big a run may be: bounds on replications, workers, candidates and seeds, and their check.

Each bound is refused with the reason (``ConfigError`` naming the option) in the Python API as
on the command line, which reads the same constants for its ``--help`` and its own check.
Memory is the usual reason: every replication's monthly records (one row of about 40 numbers,
320 bytes, per month) are held until the run is summarised, so 10,000 replications of a
240-month horizon are about 0.8 GB before the summary's copies; time is the other (a
replication of the 36-month example takes about 0.75 s on a busy core, so 10,000 take about
an hour on two cores).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from sim.engine.scenario import ConfigError

MAX_REPS = 10_000  # replications in one run: their monthly records are held in memory
MAX_WORKERS = 256  # worker processes: each holds its own copy of the model (~160 MB)
MAX_CANDIDATES = 50_000  # conditioning candidates: five per replication at MAX_REPS, all held in memory
MAX_SEED = 2**63 - 1  # seeds are kept in manifests and read back as 64-bit integers


def check_count(option: str, value: object, low: int, high: int, why: str = "") -> int:
    """``value`` if a whole number from ``low`` to ``high``; else a ConfigError naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ConfigError(f"{option}: {value!r}: must be a whole number")
    if not low <= value <= high:
        reason = f" ({why})" if why else ""
        raise ConfigError(f"{option}: {value}: must be from {low:,} to {high:,}{reason}")
    return int(value)


def check_finite(option: str, value: float) -> float:
    """``value`` if it is a finite number; otherwise a ConfigError naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ConfigError(f"{option}: {value}: must be a finite number")
    return float(value)


def check_run_size(reps: int, seed: int, workers: int | None = None, candidates: int | None = None) -> None:
    """Refuse a run beyond the bounds above, before anything runs."""
    check_count("--reps", reps, 1, MAX_REPS, "each replication's monthly records are held in memory")
    check_count("--seed", seed, 0, MAX_SEED, "seeds are recorded as 64-bit integers")
    if workers is not None:
        check_count("--workers", workers, 1, MAX_WORKERS, "each worker holds its own copy of the model")
    if candidates is not None:
        check_count(
            "--candidates", candidates, 1, MAX_CANDIDATES, "every candidate replication is held in memory"
        )
