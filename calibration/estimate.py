"""Direct estimates of a service's baseline inputs from a patient-level extract.

What history gives directly (referral volume, seasonality and trend, priority and source
mix, triage outcomes and delays, DNA rate, follow-ups per episode and their interval, the
snapshot waiting list) is estimated here with 95% confidence intervals and written as a
YAML fragment in the schema of ``sim.engine.config``. Parameters history cannot give directly
(effective clinical hours, removal rates) are left to simulation-based fitting.

The snapshot date is the simulation's first day: "by the snapshot" means before that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from calibration.data import NOT_ACCEPTED, DataError

Z95 = stats.norm.ppf(0.975)
NEGBIN_RATIO = 1.2  # variance above 1.2 x mean: too spread for a Poisson count
BAND_WEEKS = 4
MIN_SEASONAL_MONTHS = 24  # two of each calendar month before month effects are estimable
MIN_TREND_MONTHS = 12
LATE_FIRST_REFERRAL_DAY = 7  # first month looks partial if its first referral came later
MIN_COHORT = 30
COMPLETE_QUANTILE = 0.99
LOG_SIZE_RANGE = (-10.0, 12.0)  # negbin size searched from 5e-5 to 1.6e5 (near Poisson)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plain_number(value: float, digits: int = 4) -> str:
    """A number with about ``digits`` significant figures, in plain (never exponent) notation."""
    if not np.isfinite(value):
        return "inf"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% confidence interval."""

    value: float
    low: float
    high: float

    def contains(self, truth: float) -> bool:
        return self.low <= truth <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low

    def describe(self) -> str:
        return f"95% CI {plain_number(self.low, 3)} to {plain_number(self.high, 3)}"


def wilson(successes: int, trials: int) -> Interval:
    """A proportion with its Wilson score interval (sound near 0 and 1, unlike the normal one)."""
    if trials == 0:
        return Interval(0.0, 0.0, 1.0)
    share = successes / trials
    centre = (share + Z95**2 / (2 * trials)) / (1 + Z95**2 / trials)
    half = Z95 * np.sqrt(share * (1 - share) / trials + Z95**2 / (4 * trials**2)) / (1 + Z95**2 / trials)
    low = 0.0 if successes == 0 else centre - half  # exact at the edges, not 1e-18 from them
    high = 1.0 if successes == trials else centre + half
    return Interval(share, float(low), float(high))


def median_interval(values: Iterable[float]) -> Interval:
    """The median with a distribution-free interval from binomial order statistics."""
    ordered = np.sort(np.asarray(list(values), dtype=float))
    n = ordered.size
    low = int(max(stats.binom.ppf(0.025, n, 0.5) - 1, 0))
    high = int(min(stats.binom.ppf(0.975, n, 0.5), n - 1))
    return Interval(float(np.median(ordered)), float(ordered[low]), float(ordered[high]))


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray) -> Interval:
    """sum(num)/sum(den) with a patient-clustered (linearised) interval.

    DNAs cluster in patients, so treating every contact as independent would be too narrow.
    """
    total = denominator.sum()
    ratio = numerator.sum() / total
    n = numerator.size
    residual = numerator - ratio * denominator
    se = np.sqrt(n / max(n - 1, 1) * np.sum(residual**2)) / total
    return Interval(float(ratio), float(max(0.0, ratio - Z95 * se)), float(min(1.0, ratio + Z95 * se)))


# --- referral volume: Poisson GLM on monthly counts ---------------------------------------


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


# --- mix, triage, attendance ----------------------------------------------------------------


def shares(values: pd.Series, categories: Iterable[str] = ()) -> dict[str, Interval]:
    """Share of each category (given ones first, then the rest by frequency) with Wilson CIs."""
    counts = values.dropna().value_counts()
    order = list(dict.fromkeys([*categories, *counts.index]))
    total = int(counts.sum())
    return {name: wilson(int(counts.get(name, 0)), total) for name in order}


def triage_delays(triaged: pd.DataFrame) -> dict[str, Interval]:
    """Median days from referral to triage by priority (includes any queue for triage time)."""
    days = (triaged["triage_date"] - triaged["referral_date"]).dt.days
    return {str(p): median_interval(d) for p, d in days.groupby(triaged["priority"])}


def dna_rate(extract: pd.DataFrame, snapshot: pd.Timestamp) -> Interval | None:
    """DNAs per booked contact (attended + missed), over episodes closed by the snapshot."""
    if "dna_count" not in extract.columns:
        return None
    closed = extract[(extract["discharge_date"] < snapshot) & extract["dna_count"].notna()]
    attended = closed["first_contact_date"].notna() + closed["followup_contacts"]
    booked = (attended + closed["dna_count"]).to_numpy(dtype=float)
    if booked.sum() == 0:
        return None
    return ratio_interval(closed["dna_count"].to_numpy(dtype=float), booked)


# --- follow-ups -------------------------------------------------------------------------------


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


# --- the snapshot -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotEstimate:
    """Lists on the snapshot date: first-contact waiting list by weeks-waiting band, and more."""

    date: dt.date
    waiting_list: list[tuple[float, float, int]]  # (from_weeks, to_weeks, count)
    breaches: int
    urgent_share: float
    awaiting_triage: int
    followup_caseload: int


def band_edges(longest_weeks: float, target_weeks: float) -> list[float]:
    """4-week bands up to the longest wait, split at the target so breaches seed exactly."""
    top = max(BAND_WEEKS, BAND_WEEKS * np.ceil((longest_weeks + 1e-9) / BAND_WEEKS))
    edges = set(np.arange(0, top + BAND_WEEKS / 2, BAND_WEEKS).tolist())
    if target_weeks < top:
        edges.add(float(target_weeks))
    return sorted(edges)


def snapshot_lists(
    extract: pd.DataFrame,
    snapshot: pd.Timestamp,
    pathways: list[str],
    target_weeks: float,
    most_urgent: str | None,
) -> SnapshotEstimate:
    """Who was where at the start of the snapshot day."""
    before = lambda column: extract[column] < snapshot  # noqa: E731 - NaT compares False
    accepted = before("triage_date") & extract["triage_outcome"].isin(pathways)
    waiting = extract[accepted & ~before("first_contact_date") & ~before("discharge_date")]
    weeks = (snapshot - waiting["referral_date"]).dt.days.to_numpy() / 7
    edges = band_edges(weeks.max() if weeks.size else 0.0, target_weeks)
    counts, _ = np.histogram(weeks, bins=edges)
    bands = [(float(a), float(b), int(c)) for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]
    urgent = float((waiting["priority"] == most_urgent).mean()) if len(waiting) else 0.0
    return SnapshotEstimate(
        date=snapshot.date(),
        waiting_list=bands,
        breaches=int(np.sum(weeks > target_weeks)),
        urgent_share=urgent,
        awaiting_triage=int((~before("triage_date")).sum()),
        followup_caseload=int((before("first_contact_date") & ~before("discharge_date")).sum()),
    )


# --- putting it together ---------------------------------------------------------------------


@dataclass
class Estimates:
    """Everything estimated from one extract, ready to write as a baseline YAML fragment."""

    snapshot_date: dt.date
    referrals_used: int
    referrals: ReferralRate
    priorities: dict[str, Interval]  # booking order: shortest median triage delay first
    sources: dict[str, Interval] | None
    triage_outcomes: dict[str, Interval]
    triage_delay_days: dict[str, Interval]
    dna_rate: Interval | None
    followups: dict[str, FollowupEstimate]
    initial_state: SnapshotEstimate
    warnings: list[str] = field(default_factory=list)

    def to_yaml_fragment(self, dna_appointment_types: Iterable[str] = ()) -> str:
        """A YAML fragment in the ``sim.engine.config`` schema, each CI in a comment.

        Sections: service.start_date, demand, triage, pathways.<name>.followups and
        interval_weeks, initial_state, and ``appointment_types.<type>.dna_rate`` for the
        types named (the extract cannot tell which appointment types a service has).
        """
        from calibration.fragment import render_fragment

        return render_fragment(self, list(dna_appointment_types))


def _urgency(triaged: pd.DataFrame, delays: dict[str, Interval], priority: str) -> tuple[float, float]:
    """Sort key for booking order: median then mean triage delay (urgent referrals are vetted first)."""
    if priority not in delays:
        return (np.inf, np.inf)
    mine = triaged[triaged["priority"] == priority]
    return (delays[priority].value, float((mine["triage_date"] - mine["referral_date"]).dt.days.mean()))


def _check_outcomes(extract: pd.DataFrame, pathway_names: list[str] | None) -> list[str]:
    """Pathway names: those given (any other outcome is an error) or every other outcome seen."""
    seen = extract["triage_outcome"].dropna()
    if pathway_names is None:
        return sorted(set(seen) - set(NOT_ACCEPTED))
    allowed = {*NOT_ACCEPTED, *pathway_names}
    unknown = seen[~seen.isin(allowed)]
    if not unknown.empty:
        raise DataError(
            f"extract: row {unknown.index[0]}, column triage_outcome: {unknown.iloc[0]!r} is not "
            f"reject, signpost or a pathway ({', '.join(pathway_names)}); {len(unknown)} rows like this"
        )
    return list(pathway_names)


def estimate(
    extract: pd.DataFrame,
    snapshot_date: dt.date | str,
    rtt_target_weeks: float = 14,
    pathway_names: list[str] | None = None,
    *,
    history_start: dt.date | None = None,
) -> Estimates:
    """Estimate the baseline inputs from an extract (as returned by ``read_extract``).

    Only referrals received before ``snapshot_date`` are used. ``history_start`` is the first
    day the extract is complete from (default: the first of the month of the first referral).
    """
    snapshot = pd.Timestamp(snapshot_date)
    data = extract[extract["referral_date"] < snapshot]
    if data.empty:
        raise DataError(f"extract: no referrals before the snapshot date {snapshot.date()}")
    warnings = []
    if len(data) < len(extract):
        warnings.append(f"{len(extract) - len(data)} referrals on or after the snapshot date ignored")
    pathways = _check_outcomes(data, pathway_names)
    counts, notes = monthly_referrals(data, snapshot, history_start)
    rate, more = fit_referral_rate(counts, snapshot)
    warnings += notes + more
    triaged = data[data["triage_date"] < snapshot]
    delays = triage_delays(triaged)
    mix = shares(data["priority"])
    order = sorted(mix, key=lambda p: _urgency(triaged, delays, p))
    followups = {}
    for name in pathways:
        episodes, note = episode_cohort(data[data["triage_outcome"] == name], snapshot)
        if note:
            warnings.append(f"pathway {name}: {note}")
        if len(episodes):
            followups[name] = estimate_followups(episodes)
    sources = shares(data["source"]) if "source" in data.columns and data["source"].notna().any() else None
    return Estimates(
        snapshot_date=snapshot.date(),
        referrals_used=len(data),
        referrals=rate,
        priorities={p: mix[p] for p in order},
        sources=sources,
        triage_outcomes=shares(triaged["triage_outcome"], [*NOT_ACCEPTED, *pathways]),
        triage_delay_days={p: delays[p] for p in order if p in delays},
        dna_rate=dna_rate(data, snapshot),
        followups=followups,
        initial_state=snapshot_lists(data, snapshot, pathways, rtt_target_weeks, order[0]),
        warnings=warnings,
    )
