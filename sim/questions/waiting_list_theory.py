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
removals as variable as Poisson referrals. ``theory_table`` applies them to each scenario's
demand (accepted referrals, each needing a first contact, as simulated: an input, not an
answer) and its *offered* capacity: the first contacts its job plans offer
(``questions.capacity_offered``, from the file alone), never the clock stops the simulation
produced. Beside them: the simulated answer, and where the two disagree, why
(``agreement``).
"""

from __future__ import annotations

import calendar
import math

import pandas as pd

from sim.engine.config import ServiceConfig
from sim.questions.capacity_offered import followup_squeeze, offered_capacity, weekly_offered

FACTOR = 4.0


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


# ----- what a goal takes in steady state (questions.goal_capacity) -------------------------
# A goal "at most B waiting over t weeks" holds at a month end when the list is short enough.
# With even flows and booking in turn (first come, first served), a list of L patients seen at
# the demand rate means the newest joiner waits L / demand (Little's law), so the goal needs
# L <= demand x t + B: the *ceiling*. Referrals and clinics are not even: near capacity a steady
# list is about exponentially distributed (Kingman's heavy-traffic law), so a list whose mean is
# M lies above the ceiling at a share exp(-ceiling / M) of month ends. The *sustainable* list is
# the mean that keeps it below the ceiling at all but exp(-factor) of them (factor 4: 98 in 100):
# ceiling / factor. With B = 0 that is Fong & Walton's target queue (demand x target / 4).


def list_ceiling(demand: float, target_weeks: float, allowed: float = 0.0) -> float:
    """Largest list (even flows, booked in turn) with at most ``allowed`` over ``target_weeks``."""
    return demand * target_weeks + allowed


def sustainable_list(
    demand: float, target_weeks: float, allowed: float = 0.0, factor: float = FACTOR
) -> float:
    """Mean steady list that stays under the ceiling at all but exp(-factor) of month ends."""
    return list_ceiling(demand, target_weeks, allowed) / factor


def steady_state_capacity(
    demand: float,
    target_weeks: float,
    allowed: float = 0.0,
    factor: float = FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> float:
    """Capacity (a week) whose steady mean list is the sustainable list.

    Kingman: mean wait = (cv_demand^2 + cv_capacity^2) / 2 / (capacity - demand) near full load;
    the sustainable list is demand x a mean wait of (target + allowed / demand) / factor, so this is
    ``target_capacity`` for that longer target (exactly Fong & Walton's when nobody is allowed over).
    """
    if demand <= 0:
        return 0.0
    return target_capacity(demand, target_weeks + allowed / demand, factor, cv_demand, cv_capacity)


def share_above(mean_list: float, ceiling: float) -> float:
    """Share of month ends an exponentially distributed steady list lies above ``ceiling``."""
    return math.exp(-ceiling / mean_list) if mean_list > 0 else 0.0


def weeks_in(month: str) -> float:
    year, number = int(month[:4]), int(month[5:7])
    return calendar.monthrange(year, number)[1] / 7


def weekly_rate(rows: pd.DataFrame, columns: list[str]) -> float:
    """Mean per week over the months of ``rows`` (means across replications, summed over columns)."""
    per_month = rows.groupby("month", sort=False)[columns].mean().sum(axis=1)
    weeks = sum(weeks_in(m) for m in per_month.index)
    return float(per_month.sum() / weeks) if weeks else float("nan")


def theory_row(
    rows: pd.DataFrame, config: ServiceConfig, target_weeks: float, goal_month: str | None
) -> dict:
    """Formulas (on the offered capacity) and simulated figures for one scenario's monthly records."""
    months = list(dict.fromkeys(rows["month"]))
    settled_months = months[-12:]  # after the scenario's changes have settled
    settled = rows[rows["month"].isin(settled_months)]
    until = months.index(goal_month) if goal_month in months[1:] else min(6, len(months) - 1)
    relief_months = months[1 : until + 1] or months[:1]  # from the first month end's list
    relief_weeks = sum(weeks_in(m) for m in relief_months)
    offered = offered_capacity(config)
    demand = weekly_rate(settled, ["accepted"])
    capacity = weekly_offered(offered, settled_months)
    squeeze = followup_squeeze(config, offered, settled_months, demand)
    start = rows[rows["month"] == months[0]]
    end = rows[rows["month"] == relief_months[-1]]
    queue = float(start["waiting"].median())
    wanted = target_queue_size(demand, target_weeks)
    row = {
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
        "capacity_until_relief_per_week": weekly_offered(offered, relief_months),
        "pressure_at_start": waiting_list_pressure(float(start["wait_mean_weeks"].median()), target_weeks),
        "slots_per_week": weekly_offered(offered, settled_months, "slots"),
        "new_assessment_capacity_per_week": weekly_offered(offered, settled_months, "first_contacts_new"),
        "group_capacity_per_week": weekly_offered(offered, settled_months, "first_contacts_group"),
        "followup_squeeze_per_week": squeeze,
        "load_after_followups": queue_load(demand, capacity - squeeze),
        "simulated_first_contacts_per_week": weekly_rate(settled, ["clock_stops"]),
        "simulated_removed_per_week": weekly_rate(settled, ["removed"]),
        "simulated_queue_p50": float(end["waiting"].median()),
        "simulated_breaches_p50": float(end["breaches"].median()),
        "simulated_pressure": waiting_list_pressure(float(end["wait_mean_weeks"].median()), target_weeks),
        "simulated_queue_end_p50": float(rows.loc[rows["month"] == months[-1], "waiting"].median()),
        "simulated_queue_change_per_week": _change_per_week(rows, settled_months),
    }
    row["agreement"] = agreement(row)
    return row


def _change_per_week(rows: pd.DataFrame, months: list[str]) -> float:
    """Change in the median list over ``months`` (first to last month end), per week."""
    first, last = (float(rows.loc[rows["month"] == m, "waiting"].median()) for m in (months[0], months[-1]))
    weeks = sum(weeks_in(m) for m in months[1:])
    return (last - first) / weeks if weeks else 0.0


def agreement(row: dict) -> str:
    """Whether the closed forms and the simulation agree on the settled list, and if not, why.

    Theory: the list changes by demand - capacity a week (above the load of 1 it grows), until
    it reaches its sustainable size. The simulation agrees when its list is held at most twice
    the target queue (Fong & Walton's "too big" line) with a load below 1, or when its median list
    over the last 12 months changes at the theory's rate, within 1 a week or half that rate.
    """
    seen, offered = row["simulated_first_contacts_per_week"], row["capacity_per_week"]
    cleared = row["simulated_queue_end_p50"] <= 2 * row["target_queue_size"]
    theory = row["demand_per_week"] - offered
    change = row["simulated_queue_change_per_week"]
    if cleared and row["load"] < 1:
        return "agree"
    if not cleared and abs(change - theory) <= max(1.0, abs(theory) / 2):
        return "agree"
    said = (
        f"theory has the list {'growing' if theory > 0 else 'falling'} by {abs(theory):.1f} a week "
        f"(load {row['load']:.2f}); the simulation's "
        + ("is held near empty" if cleared else f"{'grows' if change > 0 else 'falls'} by {abs(change):.1f}")
        + ("" if cleared else " a week")
    )
    if cleared or change < theory:
        return said + (
            f": it sees {seen:.1f} first contacts a week against {offered:.1f} offered, because time a "
            "clinician planned for triage, follow-ups or groups that nobody needs that day goes to new "
            f"assessments (flexible job plans), and {row['simulated_removed_per_week']:.1f} a week leave the "
            "list without being seen (validation, moving away)"
        )
    reasons = [f"it sees {seen:.1f} first contacts a week, not the {offered:.1f} offered"]
    if row["followup_squeeze_per_week"] > 0.05:
        reasons.append(
            "follow-ups due need more time than the job plans give them and take about "
            f"{row['followup_squeeze_per_week']:.1f} first contacts a week from new patients (caseload "
            "first, down to the protected share)"
        )
    if row["group_capacity_per_week"] > 0 and row["new_assessment_capacity_per_week"] > 0:
        reasons.append(
            "group places and 1:1 assessments are separate queues: spare group places "
            f"(of {row['group_capacity_per_week']:.1f} a week) cannot see children waiting for an assessment"
        )
    reasons.append(
        "vacancies, absences and seasonal peaks fall unevenly, and a lost day's slots are not recovered"
    )
    return said + ": " + "; ".join(reasons)


def theory_table(
    monthly: pd.DataFrame,
    target_weeks: float,
    goal_month: str | None = None,
    configs: dict[str, ServiceConfig] | None = None,
) -> pd.DataFrame:
    """One row per scenario: demand, offered capacity, the Fong & Walton figures and the simulation.

    ``configs`` maps each scenario name to its service (the capacity comes from it). Demand is
    a weekly mean over the last 12 simulated months; relief is judged from the first month
    end's list to the goal month (or over the first six months).
    """
    configs = configs or {}
    rows = [
        {"scenario": name, **theory_row(group, configs[name], target_weeks, goal_month)}
        for name, group in monthly.groupby("scenario", sort=False)
    ]
    return pd.DataFrame(rows)
