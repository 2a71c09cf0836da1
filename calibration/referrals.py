"""Referral volume from a patient-level extract: a Poisson GLM on monthly counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.cells import DataError
from calibration.intervals import Z95, Interval

MIN_SEASONAL_MONTHS = 24  # two of each calendar month before month effects are estimable
MIN_TREND_MONTHS = 12
LATE_FIRST_REFERRAL_DAY = 7  # first month looks partial if its first referral came later


@dataclass(frozen=True)
class ReferralRate:
    """Monthly referrals as the simulator draws them: rate x month multiplier x trend."""

    monthly_rate: Interval  # deseasonalised, on the snapshot date
    seasonality: list[Interval] | None  # January..December, mean 1; None = not estimated
    annual_trend: Interval | None  # compound share per year; None = not estimated
    months: list[str]
    counts: list[int]
    overdispersion: float  # Pearson chi-square / df; CIs are widened by it when above 1


def monthly_referrals(
    extract: pd.DataFrame, snapshot: pd.Timestamp, history_start: dt.date | None = None
) -> tuple[pd.Series, list[str]]:
    """Referrals received in each complete month before the snapshot (zeros kept)."""
    warnings = []
    received = extract["referral_date"]
    start = pd.Timestamp(history_start) if history_start else received.min()
    first_month = start.to_period("M")
    if start.day > (1 if history_start else LATE_FIRST_REFERRAL_DAY):
        first_month += 1
        warnings.append(f"history starts {start.date()}: {start:%Y-%m} is partial and not used")
    months = pd.period_range(first_month, snapshot.to_period("M") - 1, freq="M")
    if months.empty:
        raise DataError("extract: no complete month of referrals before the snapshot date")
    counts = received.dt.to_period("M").value_counts()
    return counts.reindex(months, fill_value=0).astype(int), warnings


def poisson_glm(design: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Log-link Poisson regression by Newton/IRLS: coefficients, covariance, Pearson dispersion."""
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(max(counts.mean(), 1e-9))
    for _ in range(100):
        mu = np.exp(design @ beta)
        information = design.T @ (mu[:, None] * design)
        step = np.linalg.solve(information, design.T @ (counts - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(design @ beta)
    covariance = np.linalg.inv(design.T @ (mu[:, None] * design))
    dof = counts.size - design.shape[1]
    dispersion = float(np.sum((counts - mu) ** 2 / mu) / dof) if dof > 0 else 1.0
    return beta, covariance, dispersion


def _log_interval(log_value: float, variance: float) -> Interval:
    se = np.sqrt(max(variance, 0.0))
    return Interval(*(float(np.exp(log_value + k * Z95 * se)) for k in (0, -1, 1)))


def fit_referral_rate(counts: pd.Series, snapshot: pd.Timestamp) -> tuple[ReferralRate, list[str]]:
    """Month-of-year effects and a log-linear trend, with delta-method CIs from the information.

    Time is in years from the snapshot to mid-month, so the intercept is the level the
    simulator needs on its first day and exp(slope) - 1 is its compound annual trend.
    """
    warnings = []
    months = counts.index
    n = len(months)
    seasonal, trended = n >= MIN_SEASONAL_MONTHS, n >= MIN_TREND_MONTHS
    if not seasonal:
        warnings.append(f"only {n} months of referrals (< {MIN_SEASONAL_MONTHS}): seasonality fixed at 1")
    if not trended:
        warnings.append(f"only {n} months of referrals (< {MIN_TREND_MONTHS}): annual trend fixed at 0")
    y = counts.to_numpy(dtype=float)
    beta, covariance, dispersion = poisson_glm(_design(months, snapshot, seasonal, trended), y)
    covariance = covariance * max(dispersion, 1.0)  # quasi-Poisson when counts are overdispersed
    if dispersion > 1.5:
        warnings.append(f"monthly referrals overdispersed (x{dispersion:.2f}): CIs widened to match")
    effects = np.concatenate([[0.0], beta[1:12]]) if seasonal else np.zeros(12)
    weights = np.exp(effects) / np.exp(effects).sum()
    gradient = np.zeros(beta.size)  # d log(rate) / d coefficients
    gradient[0] = 1.0
    if seasonal:
        gradient[1:12] = weights[1:]
    rate = _log_interval(beta[0] + np.log(np.exp(effects).mean()), gradient @ covariance @ gradient)
    multipliers = _seasonality(effects, weights, covariance) if seasonal else None
    trend = None
    if trended:
        slope = _log_interval(beta[-1], covariance[-1, -1])
        trend = Interval(slope.value - 1, slope.low - 1, slope.high - 1)
    labels = [str(m) for m in months]
    return ReferralRate(rate, multipliers, trend, labels, [int(c) for c in y], dispersion), warnings


def _design(months: pd.PeriodIndex, snapshot: pd.Timestamp, seasonal: bool, trended: bool) -> np.ndarray:
    """Columns: intercept, February..December effects (January is the reference), years."""
    columns = [np.ones(len(months))]
    if seasonal:
        columns += [(months.month == m).astype(float) for m in range(2, 13)]
    if trended:
        middle = months.to_timestamp() + pd.to_timedelta(months.days_in_month / 2, unit="D")
        columns.append(np.asarray((middle - snapshot).days / 365.25))
    return np.column_stack(columns)


def _seasonality(effects: np.ndarray, weights: np.ndarray, covariance: np.ndarray) -> list[Interval]:
    """Multipliers exp(g_j) / mean(exp(g)); the delta method on the log scale keeps them positive."""
    log_mean = np.log(np.exp(effects).mean())
    intervals = []
    for month in range(12):
        gradient = np.zeros(covariance.shape[0])
        gradient[1:12] = -weights[1:]
        if month > 0:
            gradient[month] += 1.0
        intervals.append(_log_interval(effects[month] - log_mean, gradient @ covariance @ gradient))
    return intervals
