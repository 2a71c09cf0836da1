"""Clinical capacity from job plans: minutes per activity on every working day.

Capacity does not depend on the waiting list, so it is drawn for the whole horizon before
the SimPy model runs. Each staff group is split into posts of at most 1 WTE. A post is in
post between its dates, loses leave (in whole weeks) and sickness (single days) at random,
and, with turnover, is vacated at random, stays vacant for the recruitment lag and is
refilled by a new starter who ramps up to full productivity (``sim.engine.workforce``). A job
plan's ``vacancy_cover_share`` of a vacant post's days and ``sickness_cover_share`` of a sick
day are worked by bank or agency staff.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.config import ServiceConfig
from sim.engine.field_types import ACTIVITIES
from sim.engine.job_plans import JobPlan
from sim.engine.streams import stream
from sim.engine.timeline import Phase
from sim.engine.workforce import RolePlans, productivity, role_plans

STAFF_WORKING_DAYS_PER_YEAR = 253  # 52.18 weeks x 5 days less 8 bank holidays: what leave is counted against
EXTRA_SESSIONS = "extra_sessions"


class StaffingError(ValueError):
    """An event removes more staff than are in post on its date."""


@dataclass
class Post:
    """One post of up to 1 WTE: who fills it and when."""

    role: str
    wte: float
    start: int
    end: int
    new_starter: bool
    key: tuple[int, ...]


GOLDEN = (5**0.5 - 1) / 2  # successive multiples mod 1 stay evenly spread for any team size


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
            change = event.remove_staff
            in_post = sum(p.wte for p in posts if p.role == change.role and p.end > day)
            if day < horizon and change.wte > in_post + 1e-9:  # beyond the horizon it changes nothing
                raise StaffingError(
                    f"events.{e}.remove_staff: removes {change.wte:g} WTE of {change.role} on {event.date} "
                    f"but only {in_post:g} WTE is in post (or recruited) then"
                )
            posts += _vacate(posts, change.role, change.wte, day)
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


def _productivity(post: Post, plans: RolePlans, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Share of the post's WTE worked on each day (ignoring absence); covered vacancy days count."""
    level = productivity(post.start, post.end, post.new_starter, plans, n_days, rng)
    cover = _by_day(plans, n_days, "vacancy_cover_share")
    if cover.any():
        open_days = np.zeros(n_days, dtype=bool)
        open_days[max(post.start, 0) : max(min(post.end, n_days), 0)] = True
        vacant = open_days & (level == 0)
        level[vacant] = cover[vacant]
    return level


def _by_day(plans: RolePlans, n_days: int, field: str) -> np.ndarray:
    """One job-plan number on each day of the horizon."""
    values = np.empty(n_days)
    edges = [*plans.first_days[1:], n_days]
    for plan, first, after in zip(plans.plans, plans.first_days, edges, strict=True):
        values[max(first, 0) : max(after, 0)] = getattr(plan, field)
    return values


def _absence_probabilities(phases: list[Phase], phase_of_day: np.ndarray, role: str, calendar: Calendar):
    leave = np.zeros(len(phases))
    sick = np.zeros(len(phases))
    per_year = STAFF_WORKING_DAYS_PER_YEAR
    for number, phase in enumerate(phases):
        plan = phase.config.job_plans[role]
        leave[number] = min(plan.annual_leave_days / per_year, 1.0)
        sick[number] = plan.sickness_rate
    return leave[phase_of_day], sick[phase_of_day]


def _present(post, phases, phase_of_day, calendar, seed, replication, rota: float = 0.0) -> np.ndarray:
    """1 on days the post holder is at work: leave taken in whole weeks, sickness by day.

    Staggered leave starts at ``rota`` (the post's place in its team's leave rota, in [0, 1)).
    A sick day counts ``sickness_cover_share`` (bank staff working it); leave is planned and not covered.
    """
    rng = stream(seed, replication, "staff_absence", *post.key)
    n_days = calendar.n_days
    leave_p, sick_p = _absence_probabilities(phases, phase_of_day, post.role, calendar)
    # One row of draws per week (the week's leave draw, then its seven sick-day draws), so a
    # day's draws do not depend on the horizon: a longer run repeats a shorter one's months.
    draws = rng.random((n_days // 7 + 1, 8))
    week_draws, day_draw = draws[:, 0], draws[:, 1:].ravel()[:n_days]
    week = np.arange(n_days) // 7
    staggered = np.array([p.config.job_plans[post.role].leave_pattern == "staggered" for p in phases])
    spread = _staggered_leave(leave_p, week, rota)
    on_leave = np.where(staggered[phase_of_day], spread, week_draws[week] < leave_p)
    cover = np.array([p.config.job_plans[post.role].sickness_cover_share for p in phases])
    cover = cover[phase_of_day]
    sick = np.where(day_draw < sick_p, cover, 1.0)
    return np.where(on_leave, 0.0, sick)


def _staggered_leave(leave_p: np.ndarray, week: np.ndarray, phase: float) -> np.ndarray:
    """Leave weeks spread evenly: a week is leave when the running sum of weekly leave
    probabilities (offset by the post's own ``phase`` in [0, 1)) passes a whole number."""
    weekly = np.zeros(week[-1] + 1)
    np.maximum.at(weekly, week, leave_p)
    total = np.cumsum(weekly) + phase
    leave_week = np.floor(total) > np.floor(total - weekly)
    return leave_week[week]


def minutes_per_wte_day(plan: JobPlan, clinic_days: int) -> np.ndarray:
    """Clinical minutes per WTE per clinic day for each activity, in ACTIVITIES order."""
    clinical = plan.hours_per_wte * 60 / clinic_days * (1 - plan.non_clinical_share)
    return np.array([clinical * plan.activity_split.get(a, 0.0) for a in ACTIVITIES])


def capacity_roles(config: ServiceConfig) -> list[str]:
    """Rows of the capacity array: each job-plan role, then one row for extra sessions."""
    return [*config.job_plans, EXTRA_SESSIONS]


def _leave_rotas(posts: list[Post], seed: int, replication: int) -> list[float]:
    """Each post's place in its role's leave rota: a random start for the team, then posts
    out of step by the golden ratio (as even as a rota a manager would keep, and a post added
    later never moves the others' leave: scenarios that add posts keep common random numbers)."""
    rotas = [0.0] * len(posts)
    for role in sorted({p.role for p in posts}):
        mine = [i for i, p in enumerate(posts) if p.role == role]
        team = stream(seed, replication, "staff_absence", 1_000_000, zlib.crc32(role.encode())).random()
        for place, index in enumerate(mine):
            rotas[index] = (team + place * GOLDEN) % 1.0
    return rotas


def clinical_minutes(
    phases: list[Phase], phase_of_day: np.ndarray, calendar: Calendar, seed: int, replication: int
) -> np.ndarray:
    """Available clinical minutes, shape (days, roles, activities), zero on closed days."""
    config = phases[0].config
    n_days = calendar.n_days
    roles = capacity_roles(config)
    days = len(config.service.clinic_days)
    minutes = np.zeros((n_days, len(roles), len(ACTIVITIES)))
    plans = {role: role_plans(config, phases, calendar, role) for role in config.job_plans}
    posts = build_posts(config, calendar)
    rotas = _leave_rotas(posts, seed, replication)
    for post, rota in zip(posts, rotas, strict=True):
        turnover_rng = stream(seed, replication, "turnover", *post.key)
        effective = post.wte * _productivity(post, plans[post.role], n_days, turnover_rng)
        effective *= _present(post, phases, phase_of_day, calendar, seed, replication, rota)
        per_phase = np.array([minutes_per_wte_day(p.config.job_plans[post.role], days) for p in phases])
        minutes[:, roles.index(post.role)] += effective[:, None] * per_phase[phase_of_day]
    _add_extra_sessions(config, calendar, minutes[:, -1], days)
    return minutes * calendar.working[:, None, None]


def flexible_scope(config: ServiceConfig) -> np.ndarray:
    """Boolean (roles, activities): where a role's unused time may be spent on a clinic day (one phase).

    Extra sessions are bought for one activity and never flex.
    """
    scope = np.zeros((len(config.job_plans) + 1, len(ACTIVITIES)), dtype=bool)
    for row, plan in enumerate(config.job_plans.values()):
        if plan.flexible:
            scope[row] = [a in plan.may_deliver for a in ACTIVITIES]
    return scope


def _add_extra_sessions(config: ServiceConfig, calendar: Calendar, minutes: np.ndarray, days: int) -> None:
    """Extra sessions on the clinic days between their dates (closed days are zeroed later).

    A session day falling on a bank holiday is lost (``skip``) or worked on the next working day
    (``move_to_next_working_day``).
    """
    working = calendar.working
    clinic_day = np.isin(calendar.day_of_week, calendar.clinic_days)
    for event in config.events:
        if event.extra_sessions is None or event.until is None:
            continue
        first = max(calendar.day(event.date), 0)
        last = min(calendar.day(event.until) + 1, calendar.n_days)
        column = ACTIVITIES.index(event.extra_sessions.activity)
        per_day = event.extra_sessions.hours_per_week * 60 / days
        minutes[first:last, column] += per_day
        if event.extra_sessions.on_bank_holiday == "skip":
            continue
        for holiday in np.flatnonzero(clinic_day[first:last] & ~working[first:last]) + first:
            later = np.flatnonzero(working[holiday + 1 :])
            if later.size:
                minutes[holiday + 1 + later[0], column] += per_day
