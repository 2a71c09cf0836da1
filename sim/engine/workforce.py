"""Workforce dynamics of one post: leavers, recruitment lag, freezes and new-starter ramp-up.

Every dynamic reads the job plan in force on the day it matters, so a dated ``set`` of
``turnover_rate``, ``recruitment_lag_weeks`` or ``ramp_up_*`` changes posts from its date:

- leaving is a hazard of ``turnover_rate / 365.25`` per day in post, piecewise constant over
  the phases (one standard exponential per spell, inverted through the cumulative hazard, so
  with no dated change the draws are exactly those of a plain exponential stay);
- the recruitment lag is the one in force on the day the post is vacated;
- a leaver inside a ``recruitment_freeze`` window is replaced only after the window ends, then
  after the lag in force on the day recruitment restarts;
- a new starter ramps up as the plan in force on their first day says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.config import ServiceConfig
from sim.engine.job_plans import JobPlan
from sim.engine.timeline import Phase

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class RolePlans:
    """A role's job plan on each day of the horizon (phase by phase)."""

    first_days: list[int]
    plans: list[JobPlan]
    freezes: list[tuple[int, int]]  # (first day, day after the last) of freezes covering the role

    def at(self, day: int) -> JobPlan:
        """The plan in force on ``day`` (days before the start use the first phase)."""
        index = 0
        for number, first in enumerate(self.first_days):
            if first <= day:
                index = number
        return self.plans[index]

    def _spans(self):
        """(plan, first day, day after) of each phase; the first phase reaches back before day 0."""
        starts = [-math.inf, *self.first_days[1:]]
        ends = [*self.first_days[1:], math.inf]
        return zip(self.plans, starts, ends, strict=True)

    def leave_day(self, start: int, end: int, draw: float) -> int:
        """Day a spell starting on ``start`` ends: cumulative hazard reaches ``draw`` (or ``end``)."""
        spent = 0.0
        for plan, first, after in self._spans():
            if after <= start:
                continue
            begin = max(start, first)
            rate = plan.turnover_rate / DAYS_PER_YEAR
            if rate > 0 and spent + rate * (after - begin) >= draw:
                offset = begin - start + (draw - spent) / rate  # may be huge (or inf) for a tiny rate
                return end if offset >= end - start else start + math.ceil(offset)
            spent += rate * (after - begin)
        return end

    def has_turnover(self, start: int) -> bool:
        return any(plan.turnover_rate > 0 for plan, _, after in self._spans() if after > start)

    def refill_day(self, leave: int) -> int:
        """First day of the replacement for a post vacated on ``leave``."""
        restart = leave
        for first, after in self.freezes:
            if first <= leave < after:
                restart = max(restart, after)
        return restart + round(self.at(restart).recruitment_lag_weeks * 7)


def role_plans(config: ServiceConfig, phases: list[Phase], calendar: Calendar, role: str) -> RolePlans:
    """The plans and freezes of one role over the horizon."""
    freezes = []
    for event in config.events:
        freeze = event.recruitment_freeze
        if freeze is None or event.until is None:
            continue
        if freeze.roles is None or role in freeze.roles:
            freezes.append((calendar.day(event.date), calendar.day(event.until) + 1))
    # Phases whose plan for this role did not change are merged so a plan is never listed twice.
    first_days, plans = [], []
    for phase in phases:
        plan = phase.config.job_plans[role]
        if not plans or plan != plans[-1]:
            first_days.append(phase.first_day)
            plans.append(plan)
    return RolePlans(first_days, plans, freezes)


def in_post_spells(start: int, end: int, new: bool, plans: RolePlans, rng: np.random.Generator):
    """(first day, end day, is new starter) spells of a post between ``start`` and ``end``."""
    spells = []
    while start < end:
        if plans.has_turnover(start):
            leave = plans.leave_day(start, end, float(rng.standard_exponential()))
        else:
            leave = end
        spells.append((max(start, 0), leave, new))
        start, new = plans.refill_day(leave), True
    return spells


def productivity(start: int, end: int, new: bool, plans: RolePlans, n_days: int, rng) -> np.ndarray:
    """Share of a post's WTE productive on each day (0 while vacant; ignoring absence)."""
    level = np.zeros(n_days)
    for first, leave, starter in in_post_spells(start, end, new, plans, rng):
        last = min(leave, n_days)
        if last <= first:
            continue
        plan = plans.at(first)
        ramp_days = plan.ramp_up_weeks * 7
        if starter and ramp_days > 0:
            since = np.arange(first, last) - first
            ramp = plan.ramp_up_start + (1 - plan.ramp_up_start) * since / ramp_days
            level[first:last] = np.minimum(ramp, 1.0)
        else:
            level[first:last] = 1.0
    return level
