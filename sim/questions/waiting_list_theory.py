"""Queueing theory beside the simulation: the closed forms planners know (Fong & Walton).

The formulas are those of the NHS-R community's NHSRwaitinglist package, all in weeks:

- load = demand / capacity (above 1 the list grows);
- target mean wait = target / factor (factor 4: with exponential waits, about 2% wait
  longer than four times the mean, e^-4);
- target queue size = demand x target mean wait (Little's law);
- relief capacity = demand + (queue size - target queue size) / weeks to reach it;
- target capacity = demand + (cv_demand^2 + cv_capacity^2) / 2 x factor / target
  (Kingman's heavy-traffic formula for a mean wait of target / factor);
- waiting-list pressure = 2 x mean wait of those waiting / target (above 1: the target
  will most likely be missed).

They assume steady demand and capacity at constant rates, one queue, and (by default)
removals as variable as Poisson referrals. ``theory_table`` applies them to a scenario's
simulated demand (referrals: each starts an RTT clock) and capacity (clocks stopped: patients
seen, removed from the list, or turned away at triage) on the list the target counts (every
open pathway), and sets the simulated answer beside them.
"""

from __future__ import annotations

import calendar

import pandas as pd

FACTOR = 4.0
EXITS = ["clock_stops", "removed", "rejected", "signposted"]  # every way off the RTT list


def queue_load(demand: float, capacity: float) -> float:
    return demand / capacity if capacity > 0 else float("inf")


def target_mean_wait(target_weeks: float, factor: float = FACTOR) -> float:
    return target_weeks / factor


def target_queue_size(demand: float, target_weeks: float, factor: float = FACTOR) -> float:
    return demand * target_mean_wait(target_weeks, factor)


def relief_capacity(demand: float, queue: float, target_queue: float, weeks: float) -> float:
    return demand + (queue - target_queue) / weeks


def target_capacity(
    demand: float,
    target_weeks: float,
    factor: float = FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> float:
    return demand + (cv_demand**2 + cv_capacity**2) / 2 * factor / target_weeks


def waiting_list_pressure(mean_wait_weeks: float, target_weeks: float) -> float:
    return 2 * mean_wait_weeks / target_weeks


def weeks_in(month: str) -> float:
    year, number = int(month[:4]), int(month[5:7])
    return calendar.monthrange(year, number)[1] / 7


def weekly_rate(rows: pd.DataFrame, columns: list[str]) -> float:
    """Mean per week over the months of ``rows`` (means across replications, summed over columns)."""
    per_month = rows.groupby("month", sort=False)[columns].mean().sum(axis=1)
    weeks = sum(weeks_in(m) for m in per_month.index)
    return float(per_month.sum() / weeks) if weeks else float("nan")


def theory_row(rows: pd.DataFrame, target_weeks: float, goal_month: str | None) -> dict:
    """Formulas and simulated figures for one scenario's monthly records."""
    months = list(dict.fromkeys(rows["month"]))
    settled = rows[rows["month"].isin(months[-12:])]  # after the scenario's changes have settled
    until = months.index(goal_month) if goal_month in months[1:] else min(6, len(months) - 1)
    relief_months = months[1 : until + 1] or months[:1]  # from the first month end's list
    relief_weeks = sum(weeks_in(m) for m in relief_months)
    period = rows[rows["month"].isin(relief_months)]
    demand = weekly_rate(settled, ["referrals"])
    capacity = weekly_rate(settled, EXITS)
    start = rows[rows["month"] == months[0]]
    end = rows[rows["month"] == relief_months[-1]]
    queue = float(start["waiting"].median())
    wanted = target_queue_size(demand, target_weeks)
    return {
        "demand_per_week": demand,
        "capacity_per_week": capacity,
        "load": queue_load(demand, capacity),
        "target_mean_wait_weeks": target_mean_wait(target_weeks),
        "target_queue_size": wanted,
        "target_capacity_per_week": target_capacity(demand, target_weeks),
        "queue_at_start": queue,
        "queue_too_big": queue > 2 * wanted,
        "relief_by": relief_months[-1],
        "relief_weeks": relief_weeks,
        "relief_capacity_per_week": relief_capacity(demand, queue, wanted, relief_weeks),
        "capacity_until_relief_per_week": weekly_rate(period, EXITS),
        "pressure_at_start": waiting_list_pressure(float(start["wait_mean_weeks"].median()), target_weeks),
        "simulated_queue_p50": float(end["waiting"].median()),
        "simulated_breaches_p50": float(end["breaches"].median()),
        "simulated_pressure": waiting_list_pressure(float(end["wait_mean_weeks"].median()), target_weeks),
    }


def theory_table(monthly: pd.DataFrame, target_weeks: float, goal_month: str | None = None) -> pd.DataFrame:
    """One row per scenario: demand, capacity, the Fong & Walton figures and the simulated answer.

    Demand and capacity are weekly means over the last 12 simulated months; relief is judged
    from the first month end's list to the goal month (or over the first six months).
    """
    rows = [
        {"scenario": name, **theory_row(group, target_weeks, goal_month)}
        for name, group in monthly.groupby("scenario", sort=False)
    ]
    return pd.DataFrame(rows)
