"""Random number streams: one ``numpy.random.SeedSequence`` per run, one stream per activity.

Streams are addressed by ``spawn_key=(replication, stream, *parts)`` rather than spawned in
order, so the same seed gives the same numbers to the same activity of the same replication
in every scenario (common random numbers) and on every backend or worker count.
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "arrivals",
    "referral_mix",
    "triage",
    "attendance",
    "followups",
    "staff_absence",
    "turnover",
    "removals",
    "initial_state",
    "parameter_draws",
    "resampling",
    "booking",
    "model_error",  # appended: the indexes of the streams above (and so their numbers) stay
    "validation_sweep",  # appended likewise; one stream per sweep event (its number among sweeps)
)


def stream(seed: int, replication: int, name: str, *parts: int) -> np.random.Generator:
    """The generator for one activity (optionally one staff post) of one replication."""
    key = (replication, STREAMS.index(name), *parts)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class UniformBlock:
    """Uniform draws handed out one at a time from blocks, for per-contact decisions."""

    def __init__(self, rng: np.random.Generator, size: int = 4096) -> None:
        self._rng = rng
        self._size = size
        self._block: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        if self._next >= len(self._block):
            self._block = self._rng.random(self._size).tolist()
            self._next = 0
        value = self._block[self._next]
        self._next += 1
        return value
