"""Simulation-based fitting: parameters that history cannot give directly, with ranges.

A fit has three steps, all on the stochastic model itself:

1. **Point estimate.** The objective is the mean squared standardised gap between the
   observed monthly figures and the mean of ``reps`` replications, each month and metric
   scaled by its between-replication spread (the noise model, measured once at the start
   from at least 24 replications). Only the months up to the last one observed are
   simulated. Every evaluation reuses the same seed and replication numbers
   (common random numbers), so the objective moves smoothly with the parameters and
   ``scipy.optimize`` (Nelder-Mead in a box scaled to [0, 1]) can search it, starting from
   the best point of a small space-filling design.
2. **Ranges.** Approximate Bayesian computation: parameter sets are drawn (a third from the
   uniform prior over the bounds, the rest from a wider Gaussian around the best of those,
   mixed with the prior) and each is run for ONE replication with its own random numbers;
   the sets whose trajectories come nearest the history (distance below a tolerance) form
   the posterior, importance-weighted for the proposal. Its 5th-95th percentiles are the
   reported range. A tolerance above zero widens the posterior rather than narrowing it
   (in recovery trials, tests/test_fit.py, the ranges held the true value 18 and 20 times in 20).
3. **Forecast.** Every draw of step 2 is weighted by how likely the history is given its
   trajectory (``calibration.predictive``) and the chosen ones are continued past the last
   fitted month, so the fan starts from where the service was observed and carries
   uncertainty in the parameters as well as chance.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from calibration import ranges
from calibration.addressing import is_event_path
from calibration.history import (
    COMPARABLE,
    TARGET_METRICS,
    History,
    agreement,
    align,
    month_to_month,
    score,
)
from calibration.limits import check_fit_size
from calibration.parameters import FitError, Parameter, build, describe, scenario_document
from calibration.predictive import conditioned_forecast, forecast_from_start
from calibration.problem import Problem, Progress, crn_objective, noise_scale
from calibration.ranges import abc_distance, weighted_correlation, weighted_quantile
from calibration.results import FitResult
from calibration.simulate import Simulator
from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config, read_yaml
from sim.runs.replication_plan import WaitBand
from sim.runs.summary import summarise

__all__ = [  # the history and ABC helpers are re-exported: analysts meet them through this module
    "COMPARABLE",
    "TARGET_METRICS",
    "FitError",
    "FitResult",
    "History",
    "Progress",
    "abc_distance",
    "agreement",
    "align",
    "crn_objective",
    "diagnose",
    "fit",
    "noise_scale",
    "score",
    "weighted_correlation",
    "weighted_quantile",
]

RANGE = (0.05, 0.95)  # the reported range of each parameter: a 90% posterior interval
WIDE_RANGE, STRONG_CORRELATION, NEAR_BOUND = 0.6, 0.8, 0.01
MOVEMENT_TAIL = 5  # percent of replications: a reported movement rarer than this either way is warned of


# ----- step 1: point estimate ----------------------------------------------------------------------


def _optimise(problem: Problem, start: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    d = len(problem.parameters)
    observed = problem.history.matrix()
    scale = problem.scale(start)  # fixed, so the objective is one function
    trace: list[dict] = []

    def objective_many(units: list[np.ndarray]) -> list[float]:
        values = [crn_objective(a, observed, scale) for a in problem.crn(units)]
        trace.extend({**problem.values(u), "objective": v} for u, v in zip(units, values, strict=True))
        return values

    design = qmc.Sobol(d, scramble=True, seed=problem.seed).random(2 ** int(np.ceil(np.log2(4 * d))))
    candidates = [start, *design]
    scores = objective_many(candidates)  # one batch: the pool runs them all in parallel
    best = candidates[int(np.argmin(scores))]
    simplex = [best] + [np.where(best + step > 1, best - step, best + step) for step in 0.12 * np.eye(d)]
    result = minimize(
        lambda u: objective_many([u])[0],
        best,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * d,
        # Stop once the simplex is 2% of the box wide: below that the objective's small jumps
        # (whole patients, whole slots) outweigh its slope, and the ranges are far wider anyway.
        options={"initial_simplex": np.array(simplex), "xatol": 0.02, "fatol": np.inf, "maxfev": 15 * d + 20},
    )
    chosen = result.x if result.fun <= min(scores) else best
    return np.clip(chosen, 0, 1), trace


# ----- the result ----------------------------------------------------------------------------------


def parameter_table(
    parameters: list[Parameter], estimate: dict[str, float], posterior: pd.DataFrame
) -> pd.DataFrame:
    """One row per parameter: value before, fitted value, posterior median and range, bounds."""
    rows = []
    weights = posterior["weight"].to_numpy()
    for p in parameters:
        values = posterior[p.path].to_numpy(dtype=float)
        low, median, high = (weighted_quantile(values, weights, q) for q in (RANGE[0], 0.5, RANGE[1]))
        rows.append(
            {
                "parameter": p.path,
                "before": p.start,
                "estimate": estimate[p.path],
                "median": median,
                "low": low,
                "high": high,
                "bound_low": p.low,
                "bound_high": p.high,
                "share_of_bounds": (high - low) / (p.high - p.low),
            }
        )
    return pd.DataFrame(rows)


def diagnose(table: pd.DataFrame, correlation: pd.DataFrame, checks: pd.DataFrame, ess: float) -> list[str]:
    """Identifiability and fit warnings, in words an analyst can act on."""
    warnings = []
    for row in table.itertuples():
        if row.share_of_bounds > WIDE_RANGE:
            warnings.append(
                f"{row.parameter}: not pinned down by the data: its 90% range spans "
                f"{row.share_of_bounds:.0%} of the bounds searched; fix it from other evidence or fit "
                "more series (waiting, first_contacts)"
            )
        width = row.bound_high - row.bound_low
        if min(row.estimate - row.bound_low, row.bound_high - row.estimate) <= NEAR_BOUND * width:
            warnings.append(f"{row.parameter}: the estimate is at a bound of the search; widen --bounds")
        if not row.low <= row.estimate <= row.high:
            warnings.append(
                f"{row.parameter}: the best-fitting value {row.estimate:.4g} lies outside its posterior "
                "range; the model may not be able to reproduce this history"
            )
    paths = list(correlation.index)
    for i, first in enumerate(paths):
        for second in paths[i + 1 :]:
            r = correlation.loc[first, second]
            if abs(r) >= STRONG_CORRELATION:
                warnings.append(
                    f"{first} and {second} are strongly correlated (r = {r:+.2f}) among the accepted "
                    "draws: the data fix a combination of them, not each one"
                )
    for row in checks.itertuples():
        if row.fitted and row.months and row.coverage_80 < 0.5:
            warnings.append(
                f"{row.series}: only {row.coverage_80:.0%} of fitted months lie inside the 10-90% band"
            )
    warnings += _movement_warnings(checks)
    if ess < 30:
        warnings.append(f"the posterior rests on few effective draws ({ess:.0f}); raise --draws")
    return warnings


def _movement_warnings(checks: pd.DataFrame) -> list[str]:
    """Reported month-to-month movement far out in the simulated tail, either way."""
    if "rms_change_percentile" not in checks:
        return []
    warnings = []
    for row in checks.dropna(subset=["rms_change_percentile"]).itertuples():
        if row.rms_change_p10 == row.rms_change_p90 == row.rms_change:
            continue  # a series that never moves, reported or simulated (an empty band): nothing to say
        reported = f"reported root-mean-square monthly change {row.rms_change:.1f}; simulated 10-90%: "
        reported += f"{row.rms_change_p10:.1f} to {row.rms_change_p90:.1f}"
        if row.rms_change_percentile < MOVEMENT_TAIL:
            warnings.append(
                f"{row.series}: the model moves month to month more than the service reported ({reported}, "
                f"only {row.rms_change_percentile:.0f}% of replications as low), so its bands are wider than "
                "they need be; see docs/modelling-guide.md, Month-to-month variability"
            )
        elif row.rms_change_percentile > 100 - MOVEMENT_TAIL:
            warnings.append(
                f"{row.series}: the service moved month to month more than the model does ({reported}, "
                f"only {100 - row.rms_change_percentile:.0f}% of replications as high), so its bands may be "
                "too narrow"
            )
    return warnings


def _round(value: float, integer: bool) -> float:
    return float(round(value)) if integer else float(f"{value:.4g}")


def fit(
    config: ServiceConfig | str | Path,
    history: pd.DataFrame | str | Path,
    params: list[str],
    reps: int = 8,
    seed: int = 0,
    bounds: dict[str, tuple[float, float]] | None = None,
    *,
    targets: dict[str, str] | None = None,
    draws: int = 600,
    accept: float = 0.15,
    forecast_reps: int = 100,
    forecast_months: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    checks: bool = True,
    bands: tuple[WaitBand, ...] = (),
    log: set[str] | frozenset[str] = frozenset(),
    source: str | None = None,
    extra_info: dict | None = None,
) -> FitResult:
    """Fit ``params`` (dotted paths) of ``config`` to the monthly ``history``.

    ``history`` is a table as read by ``calibration.data.read_monthly`` (or its path).
    ``targets`` maps model metrics to history columns (default: each of breaches, waiting,
    referrals and first_contacts the history gives). ``reps`` common-random-number
    replications are run per objective evaluation, ``draws`` single replications for the
    ranges (the nearest ``accept`` share are kept) and ``forecast_reps`` for the fan, over
    ``forecast_months`` months from the start (default: the service's horizon).
    Fields of dated events are named by the event's label (``calibration.addressing``).
    ``checks`` also runs ``forecast_reps`` replications from the snapshot (parameters drawn
    from the posterior, nothing conditioned) and measures the fit against the history on
    them (``FitResult.checks``, ``start_summary``); without it the checks use the forecast.
    ``bands`` (column name, from weeks, to weeks) makes every run also count its list in those
    weeks bands at each month end, so a target may name a band column (a fit to published band
    snapshots: ``calibration.waits_fit``). ``log`` names fields with a log-uniform prior over
    their bounds. ``source`` names the service in messages (default: the file, or "config");
    ``extra_info`` is added to ``FitResult.info`` (and so to the manifest).
    Raises ``FitError`` (a ``ConfigError``) for a parameter, bound or month that does not fit.
    """
    started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    check_fit_size(reps, seed, draws, forecast_reps, workers, accept)  # before any file is read
    say = progress or (lambda message: None)
    source = source or (str(config) if not isinstance(config, ServiceConfig) else "config")
    service = config if isinstance(config, ServiceConfig) else load_config(config)
    if not isinstance(history, pd.DataFrame):
        from calibration.data import read_monthly

        history_source, history = str(history), read_monthly(history)
    else:
        history_source = history.attrs.get("source", "history")
    parameters = describe(service, list(params), bounds, source, set(log))
    own = _own_document(config, parameters, source)
    observed = align(service, history, targets, history_source, tuple(name for name, _, _ in bands))
    paths = [p.path for p in parameters]
    document = service.model_dump(mode="python")
    with Simulator(document, seed, workers, bands) as simulator:
        problem = Problem(simulator, parameters, observed, reps, seed)
        say(f"step 1/3: best fit of {len(paths)} parameter(s) to {len(observed.months)} months")
        start = np.array([np.clip(p.unit(p.start), 0, 1) for p in parameters])
        best_unit, trace = _optimise(problem, start)
        estimate = {p.path: _round(p.value(u), p.integer) for p, u in zip(parameters, best_unit, strict=True)}
        best_unit = np.array([p.unit(estimate[p.path]) for p in parameters])
        best_runs = problem.crn([best_unit])[0]
        scale = problem.scale(best_unit)
        objective = crn_objective(best_runs, observed.matrix(), scale)
        say(f"step 2/3: ranges from {draws} single-replication draws")
        posterior, sample = ranges.posterior(problem, scale, draws, accept)
        say(f"step 3/3: forecast of {forecast_reps} replications continuing the draws nearest the history")
        months = min(forecast_months or service.service.horizon_months, service.service.horizon_months)
        predicted = conditioned_forecast(problem, sample, forecast_reps, months)
        forecast, forecast_draws = predicted.monthly, predicted.draws
        from_start = forecast_from_start(problem, posterior, forecast_reps, months) if checks else None
        replications_run = simulator.replications_run
    fitted = build(document, {p.path: p.cast(estimate[p.path]) for p in parameters})
    summary = summarise(forecast)
    start = summarise(from_start) if from_start is not None else None
    table = parameter_table(parameters, estimate, posterior)
    correlation = weighted_correlation(posterior, paths)
    agrees = agreement(summary if start is None else start, observed)
    if from_start is not None:  # the conditioned forecast meets the history by construction
        agrees = agrees.merge(month_to_month(from_start, observed), on="series", how="left")
    weights = posterior["weight"].to_numpy()
    ess = float(weights.sum() ** 2 / np.sum(weights**2))
    info = {
        "config": source,
        "history": history_source,
        "parameters": paths,
        "bounds": {p.path: [p.low, p.high] for p in parameters},
        "targets": observed.columns,
        "months_fitted": [observed.months[0], observed.months[-1]],
        "reps": reps,
        "seed": seed,
        "draws": draws,
        "accepted": len(posterior),
        "effective_draws": round(ess, 1),
        "tolerance": float(posterior["distance"].max()),
        "objective": objective,
        "objective_evaluations": len(trace),
        "forecast_reps": forecast_reps,
        "forecast_conditioning": predicted.info,
        "replications_run": replications_run,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - clock, 1),
        **({"log_uniform": [p.path for p in parameters if p.log]} if log else {}),
        **(extra_info or {}),
    }
    return FitResult(
        parameters,
        estimate,
        fitted,
        table,
        posterior,
        correlation,
        observed,
        forecast,
        forecast_draws,
        summary,
        agrees,
        diagnose(table, correlation, agrees, ess),
        pd.DataFrame(trace),
        info,
        own,
        start,
    )


def _own_document(
    config: ServiceConfig | str | Path, parameters: list[Parameter], source: str
) -> dict | None:
    """The fitted file's own YAML (``extends`` made absolute), needed to write fitted events.

    A fitted event must be defined in that file: a check made now, not after the fit.
    """
    if isinstance(config, ServiceConfig) or not any(is_event_path(p.path) for p in parameters):
        return None
    own = read_yaml(Path(config))
    if isinstance(own.get("extends"), str):
        own["extends"] = str((Path(config).parent / own["extends"]).resolve())
    resolved = load_config(config).model_dump(mode="json")
    try:
        scenario_document(resolved, {p.path: p.cast(p.start) for p in parameters}, own)
    except FitError as error:
        raise FitError(f"{source}: {error}") from None
    return own
