"""What a goal takes: first contacts a month it needs, for whom, and what each scenario adds.

For a goal on the waiting list (``breaches<=0 by 2025-12``: nobody over the target at the end
of December 2025; or ``max_wait_weeks<=W by ...``), from the service files alone, like the
offered capacity beside it (no simulation: the answer can be checked by hand), per scenario:

- **demand**: accepted referrals a month, each needing a first contact, expected from the file
  (referral rate, seasonality, trend, triage outcomes and dated changes);
- **offered**: first contacts a month the job plans offer (``questions.capacity_offered``), after
  follow-up time (what follow-ups due take from new patients under caseload first), and what a
  scenario adds split by role, extra sessions and follow-ups;
- **long waiters**: the patients who must be seen by the goal month because otherwise they
  would have waited over the target by its end: by weeks waited at the start (the starting
  list's bands, spread evenly within each band), those awaiting triage, and referrals received
  more than the target before the month's end; less those the goal allows over the target.
  This is the BNSSG RTT Planner's shortfall: the clock stops that must be aimed at long waiters;
- **needed**: first contacts a month that see demand and bring the list from its size now to
  the sustainable size by the goal month (Fong & Walton's relief capacity),
  ``demand + (list now - sustainable list) / months``, and never fewer than the long waiters
  need; **extra needed** = needed - what the baseline offers; each scenario **adds** its offer
  minus the baseline's and is **short** by needed - its offer. By weeks waited, capacity is
  given oldest first, so the extra needed falls on the shortest waits among those who must
  be seen;
- **after the changes** (the last 12 simulated months): **load** = demand / offered (above 100%
  the list grows whatever else is done: the load warning); **time to clear** = (list now -
  sustainable list) / (offered - demand); and the **steady-state capacity** at which the target
  holds (``waiting_list_theory.steady_state_capacity``, on the sustainable list
  ``waiting_list_theory.sustainable_list``).

Assumptions, said wherever the figures are: patients are seen in turn (first come, first served;
urgent first, caseload first and booking by weeks waited bend this); nobody leaves the list
unseen (validation and removals would lower the need); demand and capacity at their mean rates,
with Poisson-like variability of both (cv 1, as NHSRwaitinglist) in the steady-state figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.calendar import Calendar, calendar_for
from sim.engine.config import ServiceConfig
from sim.engine.demand import expected_daily_referrals
from sim.engine.timeline import build_phases, phase_of_day
from sim.questions.capacity_offered import followup_squeeze, offered_capacity
from sim.questions.goals import Goal, GoalError
from sim.questions.results import Aim, GoalCapacity
from sim.questions.waiting_list_theory import (
    FACTOR,
    list_ceiling,
    steady_state_capacity,
    sustainable_list,
    weeks_in,
)

SETTLED_MONTHS = 12  # "after the changes": the last year of the horizon, as the theory section
LONG, OTHERS = "long", "others"  # kinds of row in the by-weeks-waited table


def goal_aim(goal: Goal, rtt_target_weeks: float) -> Aim | None:
    """The aim of a goal on breaches or the longest wait; None for goals these figures do not answer."""
    if goal.op not in ("<=", "<"):
        return None
    if goal.metric == "breaches":
        allowed = math.floor(goal.threshold) if goal.op == "<=" else math.ceil(goal.threshold) - 1
        weeks = rtt_target_weeks
    elif goal.metric == "max_wait_weeks" and goal.threshold > 0:
        allowed, weeks = 0, goal.threshold
    else:
        return None
    if allowed < 0:
        return None
    return Aim(float(weeks), float(allowed), goal.month, goal.mode, goal.describe())


def accepted_share(config: ServiceConfig) -> float:
    """Share of triaged referrals accepted onto a pathway (each needs a first contact), over the
    referral sources' mix: a source with its own triage outcomes (open referrals) is counted by them."""
    triage, sources = config.triage, config.demand.sources
    total = sum(sources.values()) or 1.0
    share = 0.0
    for source, weight in sources.items():
        outcomes = triage.source_outcomes.get(source, triage.outcomes)
        share += weight / total * sum(v for k, v in outcomes.items() if k in config.pathways)
    return share


def expected_accepted(config: ServiceConfig, calendar: Calendar) -> np.ndarray:
    """Expected accepted referrals on each simulated day (the rate in force, times acceptance)."""
    phases = build_phases(config, calendar)
    of_day = phase_of_day(phases, calendar.n_days)
    share = np.array([accepted_share(p.config) for p in phases])[of_day]
    return expected_daily_referrals(phases, calendar, of_day) * share


def _monthly(values: np.ndarray, calendar: Calendar) -> pd.Series:
    return pd.Series(values).groupby(calendar.dates.strftime("%Y-%m").to_numpy(), sort=False).sum()


def band_label(low: float, high: float) -> str:
    return f"{low:g} to {high:g} weeks"


def who_must_be_seen(config: ServiceConfig, calendar: Calendar, daily: np.ndarray, aim: Aim) -> list[dict]:
    """Groups in the order they are seen in turn (longest waits first): waiting now and how many
    of them would have waited over the target by the end of the goal month unless seen."""
    end_day = calendar.month_ends[calendar.month_labels.index(aim.month)]
    cut = aim.target_weeks - end_day / 7  # waited longer than this now: over the target by then
    state = config.initial_state
    groups = []
    for band in sorted(state.waiting_list, key=lambda b: -b.from_weeks):
        share = min(max((band.to_weeks - cut) / (band.to_weeks - band.from_weeks), 0.0), 1.0)
        groups.append(
            {
                "group": band_label(band.from_weeks, band.to_weeks),
                "kind": LONG,
                "from_weeks": band.from_weeks,
                "to_weeks": band.to_weeks,
                "waiting_now": float(band.count),
                "over_target": band.count * share,
            }
        )
    if state.awaiting_triage:
        accepted = state.awaiting_triage * accepted_share(config)
        groups.append(
            {
                "group": "Awaiting triage",
                "kind": LONG,
                "from_weeks": 0.0,
                "to_weeks": 0.0,
                "waiting_now": accepted,
                "over_target": accepted if cut < 0 else 0.0,
            }
        )
    before = end_day - aim.target_weeks * 7  # referred before this day: over the target by then
    if before > 0:
        when = calendar.dates[min(math.ceil(before), calendar.n_days - 1)].date()
        groups.append(
            {
                "group": f"Referred before {when.day} {when:%b %Y}",
                "kind": LONG,
                "from_weeks": np.nan,
                "to_weeks": np.nan,
                "waiting_now": np.nan,
                "over_target": float(daily[np.arange(daily.size) < before].sum()),
            }
        )
    return groups


def allot(needs: list[float], pool: float) -> list[float]:
    """What ``pool`` first contacts leave unmet of each need, given in order (oldest first)."""
    unmet = []
    for need in needs:
        used = min(max(pool, 0.0), need)
        pool -= used
        unmet.append(need - used)
    return unmet


@dataclass(frozen=True)
class Flows:
    """One scenario's demand and offer a month, to the goal month and after the changes.

    ``offered`` is after follow-up time: the first contacts that follow-ups due take from new
    patients (``followup_squeeze``, caseload first) are out of it and in ``followups_take``.
    ``by_role``: what each role's posts offer to the goal month (before that squeeze).
    """

    months: list[str]
    window: list[str]
    settled: list[str]
    daily: np.ndarray  # expected accepted referrals each day
    demand: float
    demand_settled: float
    weeks_a_month: float  # over the settled months
    offered: float
    offered_settled: float
    followups_take: float
    followups_take_settled: float
    by_role: dict[str, float]


def flows(config: ServiceConfig, month: str, roles: list[str]) -> Flows:
    calendar = calendar_for(config.service)
    months = calendar.month_labels
    if month not in months:
        raise GoalError(f"goal: {month} is outside the simulated months ({months[0]} to {months[-1]})")
    window, settled = months[: months.index(month) + 1], months[-SETTLED_MONTHS:]
    daily = expected_accepted(config, calendar)
    monthly = _monthly(daily, calendar)
    offered = offered_capacity(config)
    per_month = offered.set_index("month")["first_contacts"]
    figures = {}
    for name, part in (("window", window), ("settled", settled)):
        demand = float(monthly[part].sum() / len(part))
        weeks = sum(weeks_in(m) for m in part) / len(part)
        take = followup_squeeze(config, offered, part, demand / weeks) * weeks
        figures[name] = (demand, float(per_month[part].sum() / len(part)) - take, take, weeks)
    by_role = {}
    for role in roles:
        part = offered_capacity(config, role).set_index("month")["first_contacts"]
        by_role[role] = float(part[window].sum() / len(window))
    (demand, offer, take, _), (demand_settled, offer_settled, take_settled, weeks) = (
        figures["window"],
        figures["settled"],
    )
    return Flows(
        months,
        window,
        settled,
        daily,
        demand,
        demand_settled,
        weeks,
        offer,
        offer_settled,
        take,
        take_settled,
        by_role,
    )


def scenario_figures(
    config: ServiceConfig, aim: Aim, mine: Flows, base: Flows, factor: float, cv: tuple[float, float]
) -> tuple[dict, list[dict]]:
    """The summary row (without the scenario's name) and its who-must-be-seen groups."""
    k = len(mine.window)
    weekly = mine.demand_settled / mine.weeks_a_month
    groups = who_must_be_seen(config, calendar_for(config.service), mine.daily, aim)
    list_now = sum(g["waiting_now"] for g in groups if not math.isnan(g["waiting_now"]))
    sustainable = sustainable_list(weekly, aim.target_weeks, aim.allowed, factor)
    over = sum(g["over_target"] for g in groups)
    long_waiters = max(over - aim.allowed, 0.0)
    through = max(mine.demand * k + list_now - sustainable, long_waiters, 0.0)  # seen by the goal month
    surplus = mine.offered_settled - mine.demand_settled
    excess = max(list_now - sustainable, 0.0)
    capacity = steady_state_capacity(weekly, aim.target_weeks, aim.allowed, factor, *cv) * mine.weeks_a_month
    row = {
        "goal_month": aim.month,
        "months_to_goal": k,
        "target_weeks": aim.target_weeks,
        "allowed_over_target": aim.allowed,
        "demand_per_month": mine.demand,
        "list_now": list_now,
        "list_ceiling": list_ceiling(weekly, aim.target_weeks, aim.allowed),
        "sustainable_list": sustainable,
        "excess_list": excess,
        "over_target_unless_seen": over,
        "long_waiters": long_waiters,
        "needed_per_month": through / k,
        "needed_long_waiters_per_month": long_waiters / k,
        "baseline_offered_per_month": base.offered,
        "offered_per_month": mine.offered,
        "extra_needed_per_month": through / k - base.offered,
        "adds_per_month": mine.offered - base.offered,
        "short_per_month": through / k - mine.offered,
        **{f"adds_{r}_per_month": mine.by_role[r] - base.by_role[r] for r in mine.by_role},
        "followups_take_per_month": mine.followups_take,
        "adds_from_followups_per_month": base.followups_take - mine.followups_take,
        # What no role's posts give: extra sessions (overtime, insourcing) until their end date.
        "adds_sessions_per_month": (mine.offered + mine.followups_take - sum(mine.by_role.values()))
        - (base.offered + base.followups_take - sum(base.by_role.values())),
        "settled_from": mine.settled[0],
        "settled_to": mine.settled[-1],
        "demand_settled_per_month": mine.demand_settled,
        "offered_settled_per_month": mine.offered_settled,
        "load_settled": mine.demand_settled / mine.offered_settled if mine.offered_settled > 0 else math.inf,
        "load_warning": mine.demand_settled > mine.offered_settled,
        "surplus_settled_per_month": surplus,
        "time_to_clear_months": 0.0 if excess == 0 else (excess / surplus if surplus > 0 else math.inf),
        "steady_state_capacity_per_month": capacity,
        "holds_in_steady_state": mine.offered_settled >= capacity,
        "factor": factor,
        "cv_demand": cv[0],
        "cv_capacity": cv[1],
    }
    return row, _with_allotment(groups, aim.allowed, through - long_waiters, k, base.offered, mine.offered)


def _with_allotment(
    groups: list[dict], allowed: float, others: float, k: int, base: float, offered: float
) -> list[dict]:
    """Net each long-waiter group of the goal's allowance (shortest waits first), add the others,
    and say what each needs a month and what the baseline's and the scenario's offer leave unmet."""
    rows = [dict(g) for g in groups]
    spare = allowed
    for row in reversed(rows):
        taken = min(spare, row["over_target"])
        row["must_be_seen"] = row["over_target"] - taken
        spare -= taken
    rows.append(
        {
            "group": "Shorter waits and later referrals, to bring the list to its sustainable size",
            "kind": OTHERS,
            "from_weeks": np.nan,
            "to_weeks": np.nan,
            "waiting_now": np.nan,
            "over_target": 0.0,
            "must_be_seen": others,
        }
    )
    needs = [r["must_be_seen"] for r in rows]
    for row, extra, short in zip(rows, allot(needs, base * k), allot(needs, offered * k), strict=True):
        row["needed_per_month"] = row["must_be_seen"] / k
        row["extra_per_month"] = extra / k
        row["short_per_month"] = short / k
    return rows


def simulated(monthly: pd.DataFrame, name: str, window: list[str], month: str) -> dict:
    """The simulation's figures beside the closed forms: first contacts seen a month to the goal
    month (mean over replications) and the median list and breaches at its end."""
    rows = monthly[monthly["scenario"] == name]
    seen = rows[rows["month"].isin(window)].groupby("replication")["clock_stops"].sum().mean()
    end = rows[rows["month"] == month]
    return {
        "simulated_seen_per_month": float(seen / len(window)),
        "simulated_list_at_goal_p50": float(end["waiting"].median()),
        "simulated_breaches_at_goal_p50": float(end["breaches"].median()),
    }


def goal_capacity(
    configs: Mapping[str, ServiceConfig],
    goal: Goal,
    monthly: pd.DataFrame | None = None,
    factor: float = FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> GoalCapacity | None:
    """What the goal takes for each scenario (the first is the baseline); None for a goal on
    another measure (these figures answer goals on breaches or the longest wait).

    ``monthly`` (a comparison's records, optional) adds the simulation's figures beside them.
    """
    names = list(configs)
    aim = goal_aim(goal, configs[names[0]].service.rtt_target_weeks)
    if aim is None:
        return None
    roles = list(dict.fromkeys(r for c in configs.values() for r in c.job_plans))
    figures = {name: flows(config, aim.month, roles) for name, config in configs.items()}
    rows, bands = [], []
    for name, config in configs.items():
        mine = figures[name]
        row, groups = scenario_figures(config, aim, mine, figures[names[0]], factor, (cv_demand, cv_capacity))
        if monthly is not None:
            row |= simulated(monthly, name, mine.window, aim.month)
        rows.append({"scenario": name, **row})
        bands += [{"scenario": name, "order": i, **g} for i, g in enumerate(groups)]
    return GoalCapacity(aim, pd.DataFrame(rows), pd.DataFrame(bands))
