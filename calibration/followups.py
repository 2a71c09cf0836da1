"""Follow-ups per episode and the interval between contacts, from a patient-level extract."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from calibration.intervals import Z95, Interval, median_interval

NEGBIN_RATIO = 1.2  # variance above 1.2 x mean: too spread for a Poisson count
MIN_COHORT = 30
COMPLETE_QUANTILE = 0.99
LOG_SIZE_RANGE = (-10.0, 12.0)  # negbin size searched from 5e-5 to 1.6e5 (near Poisson)


@dataclass(frozen=True)
class FollowupEstimate:
    """Follow-ups per episode on one pathway and the interval between contacts."""

    episodes: int
    mean: Interval
    variance: float
    distribution: str  # "poisson" or "negbin"
    dispersion: Interval | None  # negbin size; smaller = more spread
    interval_weeks: Interval | None


def episode_cohort(episodes: pd.DataFrame, snapshot: pd.Timestamp) -> tuple[pd.DataFrame, str | None]:
    """Episodes that started long enough before the snapshot to have (almost all) ended.

    Counting only closed episodes would under-count follow-ups: the long episodes of recent
    starters are still open. The cohort is every episode whose first contact precedes the
    snapshot by more than the 99th percentile of closed episode lengths; the few still open
    count the follow-ups they have had so far.
    """
    seen = episodes[episodes["first_contact_date"] < snapshot]
    closed = seen[seen["discharge_date"] < snapshot]
    if closed.empty:
        return closed, None
    length = closed["discharge_date"] - closed["first_contact_date"]
    cohort = seen[seen["first_contact_date"] < snapshot - length.quantile(COMPLETE_QUANTILE)]
    if len(cohort) < MIN_COHORT:
        return closed, f"only {len(closed)} closed episodes, biased toward short episodes"
    still_open = int(cohort["discharge_date"].isna().sum())
    if still_open > 0.05 * len(cohort):
        return cohort, f"{still_open} of {len(cohort)} episodes in the cohort still open: too few follow-ups"
    return cohort, None


def _negbin_loglik(log_size: float, counts: np.ndarray, mean: float) -> float:
    size = np.exp(log_size)
    kernel = np.sum(special.gammaln(counts + size)) - counts.size * special.gammaln(size)
    return (
        kernel
        + counts.size * size * np.log(size / (size + mean))
        + counts.sum() * np.log(mean / (size + mean))
    )


def negbin_size(counts: np.ndarray) -> Interval:
    """Size by moments, mean^2 / (variance - mean), with a profile-likelihood interval.

    The likelihood interval (mean held at its maximum-likelihood value, the sample mean)
    covers close to 95%; bootstrapping the moment estimate was measured at about 91%.
    """
    mean = counts.mean()
    size = mean**2 / (counts.var(ddof=1) - mean)
    loglik = lambda t: _negbin_loglik(t, counts, mean)  # noqa: E731
    best = optimize.minimize_scalar(lambda t: -loglik(t), bounds=LOG_SIZE_RANGE, method="bounded")
    drop = lambda t: -best.fun - loglik(t) - stats.chi2.ppf(0.95, 1) / 2  # noqa: E731
    low, high = LOG_SIZE_RANGE
    low = optimize.brentq(drop, low, best.x) if drop(low) > 0 else -np.inf
    high = optimize.brentq(drop, best.x, high) if drop(high) > 0 else np.inf
    return Interval(float(size), float(np.exp(low)), float(np.exp(high)))


def _intervals_weeks(episodes: pd.DataFrame) -> Interval | None:
    """Median gap between contacts: from follow-up dates, else episode length / follow-ups."""
    if "followup_dates" in episodes.columns:
        gaps = [
            np.diff([first, *dates]).astype("timedelta64[D]").astype(float) / 7
            for first, dates in zip(episodes["first_contact_date"], episodes["followup_dates"], strict=True)
            if dates
        ]
        values = np.concatenate(gaps) if gaps else np.array([])
    else:
        some = episodes[(episodes["followup_contacts"] > 0) & episodes["discharge_date"].notna()]
        length = (some["discharge_date"] - some["first_contact_date"]).dt.days / 7
        values = (length / some["followup_contacts"]).to_numpy()
    return median_interval(values) if values.size else None


def estimate_followups(episodes: pd.DataFrame) -> FollowupEstimate:
    """Mean follow-ups with a normal CI; negbin when variance > 1.2 x mean, else Poisson."""
    counts = episodes["followup_contacts"].to_numpy(dtype=float)
    n = counts.size
    mean, variance = counts.mean(), counts.var(ddof=1) if n > 1 else 0.0
    half = Z95 * np.sqrt(variance / n) if n > 1 else np.inf
    spread = mean > 0 and variance > NEGBIN_RATIO * mean
    return FollowupEstimate(
        episodes=n,
        mean=Interval(float(mean), float(max(0.0, mean - half)), float(mean + half)),
        variance=float(variance),
        distribution="negbin" if spread else "poisson",
        dispersion=negbin_size(counts) if spread else None,
        interval_weeks=_intervals_weeks(episodes),
    )
