"""Referral arrivals: a non-homogeneous Poisson process, drawn for the whole horizon at once.

The expected number of referrals on a day is the month's rate (base rate x seasonality x
trend x step multiplier, from the phase in force) spread evenly over the month's days.
Daily counts are drawn by inverting the Poisson CDF at one uniform per day, so a scenario
with more demand receives at least the referrals of one with less on every day (common
random numbers that stay aligned when volume changes). Each referral's source comes from the
mix in force on its day, and its priority from its source's mix (``demand.source_priorities``)
or the overall one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.timeline import Phase


@dataclass(frozen=True)
class Arrivals:
    """Referrals for one replication: receipt day, source and priority (as indices)."""

    day: np.ndarray
    source: np.ndarray
    priority: np.ndarray


def expected_daily_referrals(phases: list[Phase], calendar: Calendar, phase_of_day) -> np.ndarray:
    """Mean referrals on each simulated day."""
    rate = np.empty(calendar.n_days)
    years = np.arange(calendar.n_days) / 365.25
    month = calendar.month_of_year - 1
    for number, phase in enumerate(phases):
        demand = phase.config.demand
        days = phase_of_day == number
        seasonal = np.asarray(demand.seasonality)[month[days]]
        growth = (1.0 + demand.annual_trend) ** years[days]
        rate[days] = demand.monthly_rate * demand.multiplier * seasonal * growth
    return rate / calendar.days_in_month


def _draw_index(rng: np.random.Generator, shares: list[float], size: int) -> np.ndarray:
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(size), side="right")


def draw_arrivals(
    expected: np.ndarray,
    sources: list[float],
    priorities: list[float],
    arrivals_rng: np.random.Generator,
    mix_rng: np.random.Generator,
) -> Arrivals:
    """Daily Poisson counts by inversion, then a source and priority for each referral."""
    from scipy import stats  # here, not at import: validating a file needs no scipy

    counts = stats.poisson.ppf(arrivals_rng.random(expected.size), expected)
    counts = np.maximum(np.nan_to_num(counts), 0).astype(np.int64)
    day = np.repeat(np.arange(expected.size), counts)
    source = _draw_index(mix_rng, sources, day.size)
    priority = _draw_index(mix_rng, priorities, day.size)
    return Arrivals(day=day, source=source, priority=priority)


def source_names(phases: list[Phase]) -> list[str]:
    """Every source named in any phase, in order of first appearance (a referral's source index)."""
    names: list[str] = []
    for phase in phases:
        names += [s for s in phase.config.demand.sources if s not in names]
    return names


def draw_phase_arrivals(
    expected: np.ndarray,
    phases: list[Phase],
    phase_of_day: np.ndarray,
    arrivals_rng: np.random.Generator,
    mix_rng: np.random.Generator,
) -> Arrivals:
    """As ``draw_arrivals``, with the source and priority mixes of the phase in force each day.

    The same uniforms are inverted whatever the mix, so a scenario that changes a mix changes
    only the referrals whose category moves (common random numbers).
    """
    from scipy import stats  # here, not at import: validating a file needs no scipy

    counts = stats.poisson.ppf(arrivals_rng.random(expected.size), expected)
    counts = np.maximum(np.nan_to_num(counts), 0).astype(np.int64)
    day = np.repeat(np.arange(expected.size), counts)
    # Interleaved, so a referral's pair of uniforms does not depend on how many came after it.
    source_u, priority_u = mix_rng.random((day.size, 2)).T
    names = source_names(phases)
    source = np.zeros(day.size, dtype=np.int64)
    priority = np.zeros(day.size, dtype=np.int64)
    phase = phase_of_day[day]
    for number, current in enumerate(phases):
        demand = current.config.demand
        here = phase == number
        shares = [demand.sources.get(name, 0.0) for name in names]
        source[here] = _invert(shares, source_u[here])
        for index, name in enumerate(names):
            mix = demand.source_priorities.get(name, demand.priorities)
            mine = here & (source == index)
            priority[mine] = _invert([mix[p] for p in demand.priorities], priority_u[mine])
    return Arrivals(day=day, source=source, priority=priority)


def _invert(shares: list[float], uniforms: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, uniforms, side="right")
