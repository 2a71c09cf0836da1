"""Calibrate against published waits: band snapshots, list size and breaches as the fit's targets.

``dcsim calibrate --waits HISTORY`` (issue 22, item 3) fits what a service cannot publish
(its referral rate, its clinical capacity, removal hazards by weeks waited, any field of the
analyst's own service file) jointly, by the simulation-based fit of ``calibration.fit``,
against every series a weeks-band history reports: the count in each band at each month end,
the list size and the count over the target. What it builds on:

- **the months**: the usable consecutive months ending at ``up_to`` (at most a year; from
  ``first`` on when given), chosen as ``dcsim from-waits`` chooses them. Nothing after
  ``up_to`` is read, so a fit can be scored on the months that followed;
- **the start**: the run starts the day after the first of those months, from its band
  snapshot (seeded ``within_band: sloped``, as ``from-waits`` seeds); every later month is a
  target, each band counted on the simulated list by the same edges at the month end
  (``sim.runs.replication_plan.BandedModel``: open clocks by weeks waited);
- **the service**: the analyst's own file when given (its staffing, job plans and follow-ups
  are used; only its start, horizon, target and starting list are replaced), else the one
  ``from-waits`` infers from these same months (one clinician role, booking and removals by
  weeks waited), whose referral rate and capacity are then the default fields fitted, with
  log-uniform priors from half the low to twice the high end of the inferred 90% range.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.from_waits.estimate import estimate, fitting_months
from calibration.from_waits.service import _snapshot, build_service, slots_per_wte_month, start_after
from calibration.parameters import FitError
from calibration.waits import BandHistory, WaitsError
from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config, validate
from sim.runs.replication_plan import WaitBand

REFERRALS, CAPACITY = "demand.monthly_rate", "workforce.0.wte"
# Default priors are this factor beyond the inferred 90% range on each side: the flow estimate
# centres them, but the bootstrap's range is known to be too narrow on real series (section 9).
PRIOR_WIDENING = 2.0
FORECAST_MONTHS = 12


@dataclass(frozen=True)
class WaitsTargets:
    """What a fit to band snapshots needs: the base service, the targets and the default priors."""

    document: dict[str, Any]  # the base service, starting the day after the first month
    frame: pd.DataFrame  # month, waiting, breaches, band_<from>_<to>: the months after the first
    bands: tuple[WaitBand, ...]
    months: tuple[str, ...]  # every month used, the snapshot month first
    defaults: dict[str, tuple[float, float]] = field(default_factory=dict)  # fit path -> prior box
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> ServiceConfig:
        return validate(copy.deepcopy(self.document), "service.yaml")

    def targets(self) -> dict[str, str]:
        """Every reported series: the list, breaches at the target and each band."""
        return {column: column for column in self.frame.columns if column != "month"}


def band_census(history: BandHistory) -> tuple[WaitBand, ...]:
    """The model's month-end columns counting open clocks in each of the history's bands."""
    return tuple(
        (name, float(low), float(high))
        for name, (low, high) in zip(history.band_names, pairwise(history.edges_weeks), strict=True)
    )


def _months(history: BandHistory, up_to: str, first: str | None) -> BandHistory:
    fitted = fitting_months(history, up_to)
    if first is None:
        return fitted
    if first not in fitted.months:
        raise WaitsError(
            f"{history.source}: --from {first}: not one of the usable consecutive months ending at {up_to} "
            f"({fitted.months[0]} to {fitted.months[-1]})"
        )
    kept = fitted._keep(np.array([m >= first for m in fitted.months], dtype=bool))
    if len(kept.months) < 3:
        raise WaitsError(f"{history.source}: --from {first}: needs at least 3 months to {up_to}")
    return kept


def prepare(
    history: BandHistory,
    up_to: str,
    *,
    first: str | None = None,
    target_weeks: float = 18.0,
    config: str | Path | ServiceConfig | None = None,
    horizon: int = FORECAST_MONTHS,
    seed: int = 0,
) -> WaitsTargets:
    """The base service, targets and default priors of a fit to ``history`` up to ``up_to``.

    Raises ``WaitsError`` for months that cannot be fitted (see ``from_waits.estimate.fitting_months``)
    and for a target that is not a band edge, ``ConfigError`` for a bad service file.
    """
    history.over(target_weeks)  # a target between band edges is refused with the edges there are
    fitted = _months(history, up_to, first)
    months, snapshot = fitted.months, fitted.counts[0]
    start = start_after(months[0])
    length = len(months) - 1 + horizon  # the fitted months after the snapshot, then the forecast
    defaults: dict[str, tuple[float, float]] = {}
    if config is None:
        inferred = estimate(fitted, up_to, seed=seed)
        name = " ".join(x for x in (history.provider_name, history.service) if x) or "Service from its waits"
        document, _ = build_service(inferred, snapshot, name=name, target_weeks=target_weeks, horizon=length)
        per_wte = slots_per_wte_month(start, length, "england")
        defaults = {
            REFERRALS: _prior(inferred.referrals),
            CAPACITY: _prior(np.maximum(inferred.seen_per_month / per_wte, 0.01)),
        }
        source = None  # inferred from the waits (calibration.from_waits)
    else:
        service = config if isinstance(config, ServiceConfig) else load_config(config)
        document = service.model_dump(mode="json")
        document.pop("parameter_draws", None)
        source = str(config) if not isinstance(config, ServiceConfig) else "config"
    document["service"].update(
        start_date=start.isoformat(), horizon_months=length, rtt_target_weeks=target_weeks
    )
    document["initial_state"] = {
        **document.get("initial_state", {}),
        "waiting_list": _snapshot(snapshot, fitted.edges_weeks),
        "within_band": "sloped",
    }
    frame = pd.DataFrame({"month": list(months[1:]), "waiting": fitted.totals[1:].astype(float)})
    frame["breaches"] = fitted.over(target_weeks)[1:].astype(float)
    for j, name in enumerate(fitted.band_names):
        frame[name] = fitted.counts[1:, j].astype(float)
    frame.attrs["source"] = history.source
    info = {
        "waits": {
            "history": history.source,
            "provider": history.provider_code or history.provider_name,
            "service": history.service,
            "snapshot_month": months[0],
            "fitted_months": [months[1], months[-1]],
            "up_to": up_to,
            "target_weeks": target_weeks,
            "band_edges_weeks": [float(e) for e in fitted.edges_weeks],
            "config": source,
        }
    }
    return WaitsTargets(document, frame, band_census(fitted), tuple(months), defaults, info)


def _prior(draws: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(np.asarray(draws, dtype=float), [0.05, 0.95])
    return float(f"{low / PRIOR_WIDENING:.4g}"), float(f"{high * PRIOR_WIDENING:.4g}")


def calibrate_waits(
    history: BandHistory,
    up_to: str,
    *,
    fit: list[str] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    log: set[str] | None = None,
    targets: dict[str, str] | None = None,
    first: str | None = None,
    target_weeks: float = 18.0,
    config: str | Path | ServiceConfig | None = None,
    horizon: int = FORECAST_MONTHS,
    **options: Any,
):
    """Fit ``fit`` (default: referral rate and capacity of the inferred service) to the band history.

    ``options`` go to ``calibration.fit.fit`` (reps, seed, draws, forecast_reps, workers, progress).
    Returns the ``FitResult`` and the ``WaitsTargets`` it was fitted on.
    """
    from calibration.fit import fit as fit_service

    prepared = prepare(
        history,
        up_to,
        first=first,
        target_weeks=target_weeks,
        config=config,
        horizon=horizon,
        seed=options.get("seed", 0),
    )
    paths = list(fit or prepared.defaults)
    if not paths:
        raise FitError(f"{config}: --fit: name the fields of your service to fit (e.g. {REFERRALS})")
    box = {p: b for p, b in prepared.defaults.items() if p in paths} | dict(bounds or {})
    # A default prior is log-uniform (a scale known within a factor); a box the analyst gives is
    # uniform unless marked log.
    scales = {p for p in prepared.defaults if p in paths and p not in (bounds or {})} | set(log or ())
    prepared.info["waits"]["targets_given"] = bool(targets)
    result = fit_service(
        prepared.config, prepared.frame, paths, bounds=box, targets=targets or prepared.targets(),
        bands=prepared.bands, log=scales, source=str(config) if config else history.source,
        extra_info=prepared.info, **options,
    )  # fmt: skip
    return result, prepared


def service_text(prepared: WaitsTargets) -> str:
    """The base service as YAML, with a header saying where it starts and what it was built from."""
    import yaml

    waits = prepared.info["waits"]
    built = waits["config"] or "inferred from these months' flows (dcsim from-waits' estimate)"
    lines = [
        "# The service a fit to published waits starts from (`dcsim calibrate --waits`).",
        f"# Waits: {Path(str(waits['history'])).name} {waits['provider'] or ''} "
        f"{waits['service'] or ''}".rstrip(),
        f"# Starts the day after {waits['snapshot_month']} from its band snapshot; fitted to "
        f"{waits['fitted_months'][0]} to {waits['fitted_months'][1]}.",
        f"# Staff, job plans and flows: {built}. calibrated.yaml extends this file with the fitted values.",
    ]
    body = yaml.safe_dump(prepared.document, sort_keys=False, default_flow_style=False)
    return "\n".join(lines) + "\n" + body
