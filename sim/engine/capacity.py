"""Clinical capacity from job plans: minutes per activity on every working day.

Capacity does not depend on the waiting list, so it is drawn for the whole horizon before
the SimPy model runs. Each staff group is split into posts of at most 1 WTE. A post is in
post between its dates, loses leave (in whole weeks) and sickness (single days) at random,
and, with turnover, is vacated at random, stays vacant for the recruitment lag and is
refilled by a new starter who ramps up to full productivity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.config import ACTIVITIES, JobPlan, ServiceConfig
from sim.engine.streams import stream
from sim.engine.timeline import Phase

STAFF_WORKING_DAYS_PER_YEAR = 253  # 52.18 weeks x 5 days less 8 bank holidays: what leave is counted against
EXTRA_SESSIONS = "extra_sessions"


@dataclass
class Post:
    """One post of up to 1 WTE: who fills it and when."""

    role: str
    wte: float
    start: int
    end: int
    new_starter: bool
    key: tuple[int, ...]


def _split_posts(role: str, wte: float, start: int, end: int, new: bool, key: tuple) -> list[Post]:
    whole, part = int(wte), wte - int(wte)
    sizes = [1.0] * whole + ([part] if part > 1e-9 else [])
    return [Post(role, size, start, end, new, (*key, i)) for i, size in enumerate(sizes)]


def build_posts(config: ServiceConfig, calendar: Calendar) -> list[Post]:
    """Posts from the workforce and from add/remove staff events."""
    horizon = calendar.n_days
    posts: list[Post] = []
    for g, group in enumerate(config.workforce):
        start = calendar.day(group.start) if group.start else 0
        end = calendar.day(group.end) + 1 if group.end else horizon
        posts += _split_posts(group.role, group.wte, start, end, start > 0, (0, g))
    for e, event in enumerate(config.events):
        day = calendar.day(event.date)
        if event.add_staff:
            lag = round(event.add_staff.recruitment_lag_weeks * 7)
            change = event.add_staff
            posts += _split_posts(change.role, change.wte, day + lag, horizon, True, (1, e))
        elif event.remove_staff:
            posts += _vacate(posts, event.remove_staff.role, event.remove_staff.wte, day)
    return posts


def _vacate(posts: list[Post], role: str, wte: float, day: int) -> list[Post]:
    """End ``wte`` of the role's posts on ``day``, most recent first; return split-off parts."""
    remainder: list[Post] = []
    for post in reversed(posts):
        if wte <= 1e-9:
            break
        if post.role != role or post.end <= day:
            continue
        if post.wte <= wte + 1e-9:
            post.end, wte = max(day, post.start), wte - post.wte
        else:
            kept = Post(role, post.wte - wte, post.start, post.end, post.new_starter, post.key)
            post.wte, post.end, wte = wte, max(day, post.start), 0.0
            remainder.append(kept)
    return remainder


def _in_post_spells(post: Post, plan: JobPlan, rng: np.random.Generator) -> list[tuple[int, int, bool]]:
    """(first day, end day, is new starter) spells, with turnover and recruitment lag."""
    spells = []
    start, new = post.start, post.new_starter
    lag = round(plan.recruitment_lag_weeks * 7)
    while start < post.end:
        stay = math.inf if plan.turnover_rate <= 0 else rng.exponential(365.25 / plan.turnover_rate)
        leave = min(post.end, start + math.ceil(stay)) if math.isfinite(stay) else post.end
        spells.append((max(start, 0), leave, new))
        start, new = leave + lag, True
    return spells


def _productivity(post: Post, plan: JobPlan, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Share of the post's WTE productive on each day (ignoring absence)."""
    level = np.zeros(n_days)
    ramp_days = plan.ramp_up_weeks * 7
    for first, end, new in _in_post_spells(post, plan, rng):
        if end <= first:
            continue
        if new and ramp_days > 0:
            since = np.arange(first, end) - first
            ramp = plan.ramp_up_start + (1 - plan.ramp_up_start) * since / ramp_days
            level[first:end] = np.minimum(ramp, 1.0)
        else:
            level[first:end] = 1.0
    return level


def _absence_probabilities(phases: list[Phase], phase_of_day: np.ndarray, role: str, calendar: Calendar):
    leave = np.zeros(len(phases))
    sick = np.zeros(len(phases))
    per_year = STAFF_WORKING_DAYS_PER_YEAR
    for number, phase in enumerate(phases):
        plan = phase.config.job_plans[role]
        leave[number] = min(plan.annual_leave_days / per_year, 1.0)
        sick[number] = plan.sickness_rate
    return leave[phase_of_day], sick[phase_of_day]


def _present(post, phases, phase_of_day, calendar, seed, replication) -> np.ndarray:
    """1 on days the post holder is at work: leave taken in whole weeks, sickness by day."""
    rng = stream(seed, replication, "staff_absence", *post.key)
    n_days = calendar.n_days
    leave_p, sick_p = _absence_probabilities(phases, phase_of_day, post.role, calendar)
    week_draw = rng.random(n_days // 7 + 1)[np.arange(n_days) // 7]
    day_draw = rng.random(n_days)
    return ((week_draw >= leave_p) & (day_draw >= sick_p)).astype(float)


def minutes_per_wte_day(plan: JobPlan, clinic_days: int) -> np.ndarray:
    """Clinical minutes per WTE per clinic day for each activity, in ACTIVITIES order."""
    clinical = plan.hours_per_wte * 60 / clinic_days * (1 - plan.non_clinical_share)
    return np.array([clinical * plan.activity_split.get(a, 0.0) for a in ACTIVITIES])


def capacity_roles(config: ServiceConfig) -> list[str]:
    """Rows of the capacity array: each job-plan role, then one row for extra sessions."""
    return [*config.job_plans, EXTRA_SESSIONS]


def clinical_minutes(
    phases: list[Phase], phase_of_day: np.ndarray, calendar: Calendar, seed: int, replication: int
) -> np.ndarray:
    """Available clinical minutes, shape (days, roles, activities), zero on closed days."""
    config = phases[0].config
    n_days = calendar.n_days
    roles = capacity_roles(config)
    days = len(config.service.clinic_days)
    minutes = np.zeros((n_days, len(roles), len(ACTIVITIES)))
    for post in build_posts(config, calendar):
        plan = config.job_plans[post.role]
        turnover_rng = stream(seed, replication, "turnover", *post.key)
        effective = post.wte * _productivity(post, plan, n_days, turnover_rng)
        effective *= _present(post, phases, phase_of_day, calendar, seed, replication)
        per_phase = np.array([minutes_per_wte_day(p.config.job_plans[post.role], days) for p in phases])
        minutes[:, roles.index(post.role)] += effective[:, None] * per_phase[phase_of_day]
    _add_extra_sessions(config, calendar, minutes[:, -1], days)
    return minutes * calendar.working[:, None, None]


def flexible_scope(config: ServiceConfig) -> np.ndarray:
    """Boolean (roles, activities): where a role's unused time may be spent on a clinic day.

    Extra sessions are bought for one activity and never flex.
    """
    scope = np.zeros((len(config.job_plans) + 1, len(ACTIVITIES)), dtype=bool)
    for row, plan in enumerate(config.job_plans.values()):
        if plan.flexible:
            scope[row] = [a in plan.may_deliver for a in ACTIVITIES]
    return scope


def _add_extra_sessions(config: ServiceConfig, calendar: Calendar, minutes: np.ndarray, days: int) -> None:
    for event in config.events:
        if event.extra_sessions is None or event.until is None:
            continue
        first = max(calendar.day(event.date), 0)
        last = min(calendar.day(event.until) + 1, calendar.n_days)
        column = ACTIVITIES.index(event.extra_sessions.activity)
        minutes[first:last, column] += event.extra_sessions.hours_per_week * 60 / days
