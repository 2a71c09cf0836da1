"""Referral arrivals: a non-homogeneous Poisson process, drawn for the whole horizon at once.

The expected number of referrals on a day is the month's rate (base rate x seasonality x
trend x step multiplier, from the phase in force) spread evenly over the month's days.
Daily counts are drawn by inverting the Poisson CDF at one uniform per day, so a scenario
with more demand receives at least the referrals of one with less on every day (common
random numbers that stay aligned when volume changes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

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
    counts = stats.poisson.ppf(arrivals_rng.random(expected.size), expected)
    counts = np.maximum(np.nan_to_num(counts), 0).astype(np.int64)
    day = np.repeat(np.arange(expected.size), counts)
    source = _draw_index(mix_rng, sources, day.size)
    priority = _draw_index(mix_rng, priorities, day.size)
    return Arrivals(day=day, source=source, priority=priority)
