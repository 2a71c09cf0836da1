"""Conditioning a run on the months a service reported: forecasts that start where it is.

Without conditioning every replication starts from the snapshot and drifts; months later the
band still spans what the service could have reported, although it did report one number.
With observed months, a run is importance-resampled against them:

1. ``candidates`` replications (by default 5 per replication asked for) run on common
   random numbers, with their parameter draws if the scenario has them.
2. Each candidate ``i`` is weighted by the likelihood of every observed cell ``y`` (month
   ``t``, metric ``m``) given its simulated value ``x``, under a **negative binomial
   observation model** with mean ``x`` (at least 0.5) and size ``k``:
   ``Var(y) = x + x^2 / k``, so ``1 / sqrt(k)`` is the relative error a large count is
   observed with (``k = inf`` is Poisson). ``log w_i = sum_t sum_m log NB(y_tm; x_itm, k)``.
   ``k`` is given, or estimated: the value on a grid that maximises the estimated marginal
   likelihood ``mean_i L_i(k)`` (empirical Bayes), widened (smaller ``k``) until the
   effective sample size ``ESS = (sum w)^2 / sum w^2`` reaches ``min_ess``.
3. ``reps`` replications are drawn by systematic resampling with one uniform from the
   run's ``resampling`` stream, and numbered ``0..reps-1`` (column ``candidate`` keeps the
   candidate each came from).
4. No candidate passes exactly through every reported figure, so the stocks (``breaches``,
   ``waiting``, weeks bands) are level-corrected: from the last month each was reported,
   every replication is shifted by the gap between the reported figure and its own value
   that month, never below zero (an intercept correction, Clements & Hendry 1998). The band
   at the cut-off is then the observation itself, and after it the forecast moves by the
   model's own monthly changes. Flows (referrals, first contacts) are not shifted, nor are
   metrics that were not observed (so a corrected ``waiting`` need not equal the sum of
   uncorrected weeks bands). Scenarios resampling the same candidates get the same shifts,
   so paired differences are unchanged by it.
5. The corrected stocks are then regression-adjusted on each replication's misses at the
   cut-off (``sim.runs.regression_adjustment``): the part of the forecast's spread that
   comes from how far a replication was from the reported figures, not from what happens
   after them, is taken out. Each scenario estimates its own adjustment on the same misses.

This is whole-trajectory importance resampling, not a month-by-month particle filter: a
replication draws its randomness for the whole horizon before it starts, so it cannot be
forked at a month end; both target the same distribution, this one with a lower ESS for
the same number of candidates, which the manifest records and a warning flags.

Common random numbers: the uniform does not depend on the scenario, so two scenarios that
agree up to the last observed month have identical weights and resample the same
candidates in the same order; their paired differences stay paired. Conditioning on nothing
runs the ``reps`` replications unchanged.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError
from sim.engine.streams import stream
from sim.runs.regression_adjustment import MAX_DISTANCE, adjust, misses

OBSERVABLE = ("breaches", "waiting", "referrals", "first_contacts")
BAND_PREFIX = "band_"
STOCKS = ("breaches", "waiting")  # with the weeks bands: level-corrected from the cut-off
DISPERSION_GRID = (
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    20.0,
    50.0,
    100.0,
    200.0,
    500.0,
    1000.0,
    2000.0,
    5000.0,
    math.inf,
)
CANDIDATES_PER_REPLICATION = 5
MIN_MEAN = 0.5  # a simulated zero still allows a small observed count


class ConditioningWarning(UserWarning):
    """Something about the conditioned run that its reader should know before trusting it."""


class LowEffectiveSampleSize(ConditioningWarning):
    """Few distinct candidates carry the weight: the conditioned band is less reliable."""


class ModelMissesReport(ConditioningWarning):
    """Every kept replication missed the reported figures the same way: the model is biased here."""


@dataclass(frozen=True)
class Observations:
    """Observed monthly values the run is conditioned on (NaN where a cell was not reported)."""

    months: tuple[str, ...]
    metrics: tuple[str, ...]
    values: np.ndarray  # months x metrics
    bands: tuple[tuple[str, float, float], ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def cut_off(self) -> str:
        return self.months[-1]

    @property
    def cells(self) -> int:
        return int(np.isfinite(self.values).sum())


@dataclass(frozen=True)
class Settings:
    """How to condition: observation size ``k`` (None: estimated), candidates, ESS floor."""

    dispersion: float | None = None
    candidates: int | None = None
    min_ess: float | None = None

    def candidate_count(self, reps: int) -> int:
        return self.candidates or CANDIDATES_PER_REPLICATION * reps

    def ess_floor(self, reps: int) -> float:
        return self.min_ess if self.min_ess is not None else reps / 2


def run_months(config: ServiceConfig) -> list[str]:
    start = config.service.start_date
    return [add_months(start, m).strftime("%Y-%m") for m in range(config.service.horizon_months)]


def _band(column: str) -> tuple[str, float, float] | None:
    parts = column.split("_")
    if len(parts) != 3 or parts[0] != "band":
        return None
    try:
        return column, float(parts[1]), math.inf if parts[2] == "plus" else float(parts[2])
    except ValueError:
        return None


def observations(frame: pd.DataFrame, config: ServiceConfig, source: str) -> Observations:
    """The cells of an observed table (``calibration.data.read_monthly``'s form) to condition on.

    Columns the model cannot produce (``wte``, ``projected_breaches``) are left out and
    listed in ``ignored``; a month outside the simulated months is refused.
    """
    if "month" not in frame.columns:
        raise ConfigError(f"{source}: column month: required (YYYY-MM) but missing")
    bands = tuple(b for b in map(_band, frame.columns) if b is not None)
    metrics = [c for c in frame.columns if c in OBSERVABLE] + [b[0] for b in bands]
    ignored = tuple(c for c in frame.columns if c != "month" and c not in metrics)
    if not metrics:
        raise ConfigError(
            f"{source}: no column to condition on (give one of {', '.join(OBSERVABLE)} or band_<from>_<to>)"
        )
    values = frame[metrics].apply(pd.to_numeric, errors="coerce")
    for column in metrics:  # counts: the observation model has no mass elsewhere
        bad = values[column].notna() & ((values[column] < 0) | (values[column] % 1 != 0))
        for row in values.index[bad]:
            value = values.at[row, column]
            raise ConfigError(f"{source}: row {row}, column {column}: not a count: {value:g}")
    given = values.notna().any(axis=1)
    if not given.any():
        raise ConfigError(f"{source}: no observed values in {', '.join(metrics)}")
    months = run_months(config)
    for row, month in frame.loc[given, "month"].astype(str).items():
        if month not in months:
            raise ConfigError(
                f"{source}: row {row}, column month: {month} is outside the simulated months "
                f"{months[0]} to {months[-1]}"
            )
    observed = frame.loc[given, "month"].astype(str).tolist()
    last = months.index(max(observed, key=months.index))
    table = pd.DataFrame(values.loc[given].to_numpy(float), index=observed, columns=metrics)
    table = table.reindex(months[: last + 1])
    return Observations(tuple(table.index), tuple(metrics), table.to_numpy(float), bands, ignored)


def simulated(monthly: pd.DataFrame, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
    """Candidate numbers and their simulated values, candidates x months x metrics."""
    window = monthly[monthly["month"].isin(obs.months)]
    window = window.set_index(["replication", "month"])[list(obs.metrics)]
    candidates = np.sort(window.index.get_level_values(0).unique().to_numpy())
    full = pd.MultiIndex.from_product([candidates, obs.months], names=["replication", "month"])
    cube = window.reindex(full).to_numpy(float).reshape(len(candidates), len(obs.months), len(obs.metrics))
    return candidates, cube


def log_likelihood(cube: np.ndarray, obs: Observations, size: float) -> np.ndarray:
    """``log p(observed | candidate)`` under the negative binomial of size ``size``, per candidate."""
    from scipy import stats  # imported when used: every dcsim command imports this module

    mask = np.isfinite(obs.values)
    y = obs.values[mask]
    mean = np.maximum(cube[:, mask], MIN_MEAN)
    if math.isinf(size):
        cells = stats.poisson.logpmf(y, mean)
    else:
        cells = stats.nbinom.logpmf(y, size, size / (size + mean))
    return cells.sum(axis=1)


def effective_sample_size(log_weights: np.ndarray) -> float:
    """``(sum w)^2 / sum w^2``: how many equally weighted candidates the weights are worth."""
    if not np.isfinite(log_weights).any():
        return 0.0
    w = np.exp(log_weights - log_weights.max())
    return float(w.sum() ** 2 / (w**2).sum())


def choose_dispersion(
    cube: np.ndarray, obs: Observations, floor: float, log_prior: np.ndarray | None = None
) -> tuple[float, str, np.ndarray]:
    """Size ``k`` maximising the estimated marginal likelihood, widened until ESS >= ``floor``.

    ``log_prior`` weights candidates drawn from something other than the prior (importance
    weights, up to a constant); the returned log weights include it.
    """
    from scipy.special import logsumexp

    base = np.zeros(len(cube)) if log_prior is None else log_prior - logsumexp(log_prior)
    table = {size: base + log_likelihood(cube, obs, size) for size in DISPERSION_GRID}
    marginal = {size: logsumexp(ll) for size, ll in table.items()}
    best = max(DISPERSION_GRID, key=lambda size: marginal[size])
    if effective_sample_size(table[best]) >= floor:
        return best, "maximum marginal likelihood", table[best]
    wider = [s for s in DISPERSION_GRID if s < best and effective_sample_size(table[s]) >= floor]
    if wider:
        return wider[-1], "widest needed to keep the ESS floor", table[wider[-1]]
    return DISPERSION_GRID[0], "smallest on the grid (ESS floor not reached)", table[DISPERSION_GRID[0]]


def systematic_resample(log_weights: np.ndarray, count: int, u: float) -> np.ndarray:
    """Indices of ``count`` draws: one uniform ``u`` in [0, 1) spread over evenly spaced points."""
    w = np.exp(log_weights - log_weights.max())
    cumulative = np.cumsum(w / w.sum())
    cumulative[-1] = 1.0
    points = (u + np.arange(count)) / count
    return np.minimum(np.searchsorted(cumulative, points, side="right"), len(w) - 1)


def resampling_uniform(seed: int) -> float:
    """The run's one resampling uniform: the same in every scenario run with this seed."""
    return float(stream(seed, 0, "resampling").random())


def condition(
    monthly: pd.DataFrame, obs: Observations, reps: int, seed: int, settings: Settings, source: str = ""
) -> tuple[pd.DataFrame, dict]:
    """Resample ``reps`` replications from candidate ``monthly`` records; return them and a diagnostic."""
    candidates, cube = simulated(monthly, obs)
    floor = min(settings.ess_floor(reps), len(candidates))
    if settings.dispersion is None:
        size, how, log_weights = choose_dispersion(cube, obs, floor)
    else:
        size, how = settings.dispersion, "given"
        log_weights = log_likelihood(cube, obs, size)
    ess = effective_sample_size(log_weights)
    picks = candidates[systematic_resample(log_weights, reps, resampling_uniform(seed))]
    if ess < floor:
        warnings.warn(
            f"{source}: conditioning on {obs.cut_off}: effective sample size {ess:.1f} of "
            f"{len(candidates)} candidates is below {floor:g}; the band rests on few distinct "
            "replications: give more --candidates or a smaller --dispersion",
            LowEffectiveSampleSize,
            stacklevel=2,
        )
    chosen = _pick(monthly, picks)
    corrected, adjustment = correct_to_report(chosen, obs)
    if adjustment.get("distance_of_reported_figures_sd", 0.0) > MAX_DISTANCE:
        warnings.warn(
            f"{source}: conditioning on {obs.cut_off}: {adjustment['why']} (the forecast is level-corrected "
            "only, not regression-adjusted)",
            ModelMissesReport,
            stacklevel=2,
        )
    info = {
        "cut_off": obs.cut_off,
        "months": list(obs.months),
        "metrics": list(obs.metrics),
        "cells": obs.cells,
        "ignored_columns": list(obs.ignored),
        "observation_model": "negative binomial, mean = simulated value (>= 0.5), Var = mean + mean^2/k",
        "dispersion_k": None if math.isinf(size) else size,
        "dispersion": "Poisson (k = inf)" if math.isinf(size) else f"k = {size:g}",
        "dispersion_chosen_by": how,
        "candidates": len(candidates),
        "effective_sample_size": round(ess, 2),
        "min_effective_sample_size": floor,
        "distinct_replications": int(np.unique(picks).size),
        "resampling": "systematic, whole trajectories",
        "level_corrected_from": corrected,
        "regression_adjustment": adjustment,
    }
    return chosen, info


def _pick(monthly: pd.DataFrame, picks: np.ndarray) -> pd.DataFrame:
    """The picked candidates' rows, renumbered 0..n-1, with ``candidate`` naming the source."""
    grouped = dict(tuple(monthly.groupby("replication", sort=False)))
    frames = []
    for slot, candidate in enumerate(picks.tolist()):
        frame = grouped[candidate].copy()
        frame["candidate"] = candidate
        frame["replication"] = slot
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def correct_to_report(monthly: pd.DataFrame, obs: Observations) -> tuple[dict[str, str], dict]:
    """Level-correct the stocks, then regression-adjust them on the misses taken before the shift.

    Changes ``monthly`` in place; returns ``level_correct``'s and ``adjust``'s manifest entries.
    """
    miss = misses(monthly, obs.months, obs.metrics, obs.values)
    corrected = level_correct(monthly, obs)
    return corrected, adjust(monthly, miss, corrected)


def level_correct(monthly: pd.DataFrame, obs: Observations) -> dict[str, str]:
    """Shift each replication's stocks, from the last month each was reported, by the gap to it.

    Changes ``monthly`` in place; returns the month each stock was corrected from.
    """
    corrected = {}
    for j, metric in enumerate(obs.metrics):
        seen = np.flatnonzero(np.isfinite(obs.values[:, j]))
        if not is_stock(metric) or not seen.size:
            continue
        month = obs.months[seen[-1]]
        at = monthly["month"] == month
        gap = obs.values[seen[-1], j] - monthly.loc[at].set_index("replication")[metric]
        later = (monthly["month"] >= month).to_numpy()
        shift = np.where(later, monthly["replication"].map(gap).to_numpy(float), 0.0)
        monthly[metric] = np.maximum(monthly[metric].to_numpy(float) + shift, 0).astype(monthly[metric].dtype)
        corrected[metric] = month
    return corrected


def is_stock(metric: str) -> bool:
    """Counts carried from one month to the next (a flow, such as referrals, starts afresh)."""
    return metric in STOCKS or metric.startswith(BAND_PREFIX)


def forbid_with_observed(options: dict) -> None:
    """Per-patient traces would describe candidates thrown away: refused with conditioning."""
    if options.get("trace"):
        raise ConfigError(
            "--trace: cannot be combined with --observed (traces would cover discarded candidates)"
        )
