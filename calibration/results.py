"""What a fit and a backtest give back: plain result types, written by ``calibration.report``.

They sit below both the steps that make them (``calibration.fit``, ``calibration.backtest``)
and the report that writes them, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from calibration.history import History
from calibration.parameters import Parameter, scenario_document
from sim.engine.config import ServiceConfig


@dataclass
class FitResult:
    """A fitted service: estimates with ranges, diagnostics, and a forecast that carries both."""

    parameters: list[Parameter]
    estimate: dict[str, float]  # best-fitting values (rounded to 4 significant figures)
    config: ServiceConfig  # the service with the estimates
    table: pd.DataFrame  # parameter, before, estimate, median, low, high, bounds, share_of_bounds
    posterior: pd.DataFrame  # accepted ABC draws: one column per parameter, weight, distance
    correlation: pd.DataFrame
    history: History
    forecast: pd.DataFrame  # monthly records continued from the draws nearest the history
    forecast_draws: pd.DataFrame  # replication -> parameter values it used
    summary: pd.DataFrame
    checks: pd.DataFrame  # agreement of the from-the-snapshot fan with each comparable history series
    warnings: list[str]
    trace: pd.DataFrame  # every objective evaluation of step 1
    info: dict[str, Any]
    source_document: dict[str, Any] | None = None  # the fitted file's own YAML, extends made absolute
    start_summary: pd.DataFrame | None = None  # replications from the snapshot, nothing conditioned

    def scenario(self, extends: str | None = None) -> dict[str, Any]:
        """The fitted scenario document: ``extends`` plus the fitted fields.

        ``extends`` is where the fitted file (or, when events are fitted, the file it
        extends) lies as seen from the written scenario; see ``parameters.scenario_document``.
        """
        document = self.config.model_dump(mode="json")
        values = {p.path: p.cast(self.estimate[p.path]) for p in self.parameters}
        changes = scenario_document(document, values, self.source_document)
        changes = {k: v for k, v in changes.items() if k != "extends"}
        return {"extends": extends, **changes} if extends else changes

    def parameter_draws(self) -> pd.DataFrame:
        """The kept ABC draws: ``draw``, one column per fitted field (its ``--fit`` path), ``weight``."""
        paths = [p.path for p in self.parameters]
        draws = self.posterior[paths].copy()
        for p in self.parameters:
            draws[p.path] = [p.cast(v) for v in draws[p.path]]
        draws.insert(0, "draw", range(len(draws)))
        draws["weight"] = self.posterior["weight"].to_numpy()
        return draws.reset_index(drop=True)

    @property
    def fits_events(self) -> bool:
        return any(p.path.split(".")[0] == "events" for p in self.parameters)


@dataclass
class BacktestResult:
    """Fits at rolling origins and the scores of their forecasts over the following months.

    Each origin fits on the months up to it and forecasts the next ``horizon`` months; the
    model's fan and the naive forecasts are scored on the same held-out figures.
    """

    fit: FitResult  # the fit at the first origin (charted)
    fits: list[FitResult]  # one per origin
    origins: list[str]  # last training month of each origin
    horizon: int
    train_months: list[str]  # the first origin's training months
    test_months: list[str]  # months scored at one origin or more
    # target, method, points, coverage_50/80, pit_coverage_50/80, width_50/80, interval_score_50/80,
    # mae, bias:
    scores: pd.DataFrame
    # origin, target, metric, month, horizon, observed, method, p10..p90, pit_low, pit_high:
    detail: pd.DataFrame
