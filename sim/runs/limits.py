"""How big a run may be: bounds on replications, workers, candidates and seeds, and their check.

Each bound is refused with its reason (``ConfigError`` naming the option) in the Python API as
on the command line, which reads the same ``Bound`` for its ``--help`` and its own check.
Memory is the usual reason: every replication's monthly records (one row of about 40 numbers,
320 bytes, per month) are held until the run is summarised, so 10,000 replications of a
240-month horizon are about 0.8 GB before the summary's copies; time is the other (a
replication of the 36-month example takes about 0.75 s on a busy core, so 10,000 take about
an hour on two cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from sim.engine.input_files import ConfigError
from sim.engine.size_limits import MAX_HORIZON_MONTHS


@dataclass(frozen=True)
class Bound:
    """Whole numbers from ``low`` to ``high`` for ``option``, and why no more are allowed."""

    option: str
    low: int
    high: int
    why: str

    def check(self, value: object) -> int:
        """``value`` if a whole number inside the bound; else a ConfigError naming the option."""
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ConfigError(f"{self.option}: {value!r}: must be a whole number")
        if not self.low <= value <= self.high:
            raise ConfigError(
                f"{self.option}: {value}: must be from {self.low:,} to {self.high:,} ({self.why})"
            )
        return int(value)

    @property
    def text(self) -> str:
        """The range for a ``--help`` line."""
        return f"{self.low:,} to {self.high:,}"


REPS = Bound("--reps", 1, 10_000, "each replication's monthly records are held in memory")
WORKERS = Bound("--workers", 1, 256, "each worker process holds its own copy of the model")
CANDIDATES = Bound("--candidates", 1, 50_000, "five per replication at most replications; all held in memory")
SEED = Bound("--seed", 0, 2**63 - 1, "seeds are recorded in manifests as 64-bit integers")
# The board table's --every (sim.reports.board checks it); here so that the CLI reads it without pandas.
EVERY = Bound("--every", 1, MAX_HORIZON_MONTHS, "the longest horizon, in months")
MAX_REPS, MAX_WORKERS, MAX_CANDIDATES, MAX_SEED = REPS.high, WORKERS.high, CANDIDATES.high, SEED.high


def check_run_size(reps: int, seed: int, workers: int | None = None, candidates: int | None = None) -> None:
    """Refuse a run beyond the bounds above, before anything runs."""
    REPS.check(reps)
    SEED.check(seed)
    if workers is not None:
        WORKERS.check(workers)
    if candidates is not None:
        CANDIDATES.check(candidates)
