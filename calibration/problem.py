"""What every step of a fit shares: the simulator, the fitted parameters, the history, settings.

This module sits below the fitting steps (``calibration.fit`` finds the best point,
``calibration.ranges`` the posterior, ``calibration.backtest`` scores forecasts), so they
all use one ``Problem`` without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from calibration.history import History
from calibration.parameters import Parameter
from calibration.simulate import Simulator, metric_array

HORIZON = "service.horizon_months"
SCALE_REPS = 24  # replications behind each month's noise scale (a variance from fewer is erratic)
Progress = Callable[[str], None]


def noise_scale(runs: np.ndarray) -> np.ndarray:
    """Between-replication standard deviation by month and metric (plus one count, never zero)."""
    return np.sqrt(runs.var(axis=0, ddof=1) + 1.0)


def crn_objective(runs: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> float:
    """Mean squared standardised gap between the replications' mean and the history."""
    seen = ~np.isnan(observed)
    gap = (runs.mean(axis=0) - observed) / scale
    return float(np.mean(gap[seen] ** 2))


@dataclass
class Problem:
    """What every step of a fit shares: the simulator, parameters, history and settings."""

    simulator: Simulator
    parameters: list[Parameter]
    history: History
    reps: int
    seed: int
    cache: dict[tuple, np.ndarray] = field(default_factory=dict)

    def values(self, unit: np.ndarray) -> dict[str, float]:
        return {p.path: p.value(u) for p, u in zip(self.parameters, np.clip(unit, 0, 1), strict=True)}

    def run(self, units: list[np.ndarray], replications: list[list[int]]) -> list[np.ndarray]:
        """Runs x months x metrics for each parameter point, fitted months only."""
        window = len(self.history.months)
        tasks = [
            ({**self.values(u), HORIZON: window}, r)
            for u, reps in zip(units, replications, strict=True)
            for r in reps
        ]
        runs = self.simulator.columns(tasks)
        arrays, start = [], 0
        for reps in replications:
            arrays.append(metric_array(runs[start : start + len(reps)], self.history.metrics))
            start += len(reps)
        return arrays

    def crn(self, units: list[np.ndarray]) -> list[np.ndarray]:
        """Common-random-number replications (the same numbers 0..reps-1) at each point, cached."""
        keys = [tuple(self.values(u).values()) for u in units]
        todo = [(k, u) for k, u in dict(zip(keys, units, strict=True)).items() if k not in self.cache]
        if todo:
            fresh = self.run([u for _, u in todo], [list(range(self.reps))] * len(todo))
            self.cache.update({k: a for (k, _), a in zip(todo, fresh, strict=True)})
        return [self.cache[k] for k in keys]

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Between-replication spread at one point, from at least SCALE_REPS replications."""
        return noise_scale(self.run([unit], [list(range(max(self.reps, SCALE_REPS)))])[0])
