"""First-contact capacity a service offers, from its file alone (job plans, staff, calendar).

This is what the queueing-theory and goal figures use as *capacity*: the first contacts the
job plans offer each month, not the clock stops a simulation produced (which, once a list is
empty, equal demand and so can never disagree with it). For every day of the horizon:

- each post (workforce and ``add_staff`` / ``remove_staff`` events, split as the engine splits
  them) is in post between its dates; a new starter ramps up linearly as the job plan says;
- turnover leaves a post vacant for the recruitment lag ``rate x lag / (1 + rate x lag)`` of
  the time (the stationary share of a leave-then-refill cycle), less what bank staff cover;
- leave (``annual_leave_days / 253`` working days) and uncovered sickness are taken out as
  expected shares; bank holidays close clinics (``Calendar.working``);
- the job plan in force that day (dated ``set`` events included) gives clinical minutes per
  WTE per clinic day and its activity split: the *new* share is new-assessment time (triage and
  follow-up time are the rest of the split); extra sessions for new assessments are added.

Minutes become first contacts through the pathways' first-contact appointment types, weighted
by the triage outcome mix: ``minutes / appointment minutes`` slots, of which ``1 - dna_rate``
are attended (a DNA'd slot is lost). A group first contact uses group time, which the
programme's later sessions share: a share ``1 / (1 + follow-ups)`` of group places starts
new patients. Flexing (unused triage or follow-up time spent on new assessments) and
``caseload_first`` (follow-ups due taking new-patient time, down to ``min_new_share``) depend
on the list and the caseload, so they are not in this figure: the report says where they make
the simulation differ from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.calendar import calendar_for
from sim.engine.capacity import STAFF_WORKING_DAYS_PER_YEAR, build_posts, minutes_per_wte_day
from sim.engine.config import ServiceConfig
from sim.engine.field_types import ACTIVITIES
from sim.engine.job_plans import JobPlan
from sim.engine.timeline import build_phases, phase_of_day

FIRST_CONTACT_ACTIVITIES = ("new", "group")


def expected_presence(plan: JobPlan) -> float:
    """Expected share of a filled post's working days at work (leave and uncovered sickness out)."""
    leave = min(plan.annual_leave_days / STAFF_WORKING_DAYS_PER_YEAR, 1.0)
    return (1 - leave) * (1 - plan.sickness_rate * (1 - plan.sickness_cover_share))


def expected_filled(plan: JobPlan) -> float:
    """Expected share of a post's time worked, allowing for turnover vacancies and their cover."""
    cycle = plan.turnover_rate * plan.recruitment_lag_weeks / 52.18
    vacant = cycle / (1 + cycle)
    return 1 - vacant * (1 - plan.vacancy_cover_share)


def _ramp(plan: JobPlan, first: int, n_days: int) -> np.ndarray:
    since = np.arange(n_days) - first
    if plan.ramp_up_weeks <= 0:
        return np.ones(n_days)
    return np.clip(plan.ramp_up_start + (1 - plan.ramp_up_start) * since / (plan.ramp_up_weeks * 7), 0, 1)


def first_contact_mix(config: ServiceConfig) -> dict[str, dict[str, float]]:
    """Per first-contact activity: share of accepted referrals, mean minutes a place, attendance,
    and the share of the activity's places that start new patients."""
    outcomes = config.pathway_outcomes
    total = sum(outcomes.values()) or 1.0
    mix: dict[str, dict[str, float]] = {}
    for name, share in outcomes.items():
        pathway = config.pathways[name]
        kind = config.appointment_types[pathway.first_contact]
        entry = mix.setdefault(kind.activity, {"share": 0.0, "minutes": 0.0, "attend": 0.0, "starts": 0.0})
        weight = share / total
        later = pathway.followups.mean if pathway.followup and (
            config.appointment_types[pathway.followup].activity == kind.activity
        ) else 0.0
        entry["share"] += weight
        entry["minutes"] += weight * kind.minutes / kind.group_size
        entry["attend"] += weight * (1 - kind.dna_rate)
        entry["starts"] += weight / (1 + later)
    for entry in mix.values():
        if entry["share"] > 0:
            for key in ("minutes", "attend", "starts"):
                entry[key] /= entry["share"]
    return mix


def squeezable_minutes(plan: JobPlan, clinic_days: int) -> float:
    """Minutes per WTE per clinic day of new-assessment time that follow-ups due may take
    (``caseload_first``: down to ``min_new_share``, within ``max_followup_share``)."""
    if plan.clinical_time.rule != "caseload_first":
        return 0.0
    row = minutes_per_wte_day(plan, clinic_days)
    clinical, new, followup = row.sum(), row[ACTIVITIES.index("new")], row[ACTIVITIES.index("followup")]
    time = plan.clinical_time
    allowance = min(new + followup - time.min_new_share * clinical, time.max_followup_share * clinical)
    return float(max(0.0, allowance - followup))


def daily_minutes(config: ServiceConfig, role: str | None = None) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Expected clinical minutes per day by activity (days, activities + 1), from the file alone.

    The last column is the new-assessment time follow-ups due may take (``squeezable_minutes``).
    ``role``: that role's posts only, without extra sessions (which belong to no role).
    """
    calendar = calendar_for(config.service)
    phases = build_phases(config, calendar)
    of_day = phase_of_day(phases, calendar.n_days)
    n_days = calendar.n_days
    clinic_days = len(config.service.clinic_days)
    minutes = np.zeros((n_days, len(ACTIVITIES) + 1))
    for post in build_posts(config, calendar):
        if role is not None and post.role != role:
            continue
        first, last = max(post.start, 0), min(post.end, n_days)
        if last <= first:
            continue
        plans = [p.config.job_plans[post.role] for p in phases]
        per_day = np.array(
            [[*minutes_per_wte_day(p, clinic_days), squeezable_minutes(p, clinic_days)] for p in plans]
        )[of_day]
        share = np.array([expected_presence(p) * expected_filled(p) for p in plans])[of_day]
        level = np.zeros(n_days)
        level[first:last] = 1.0
        if post.new_starter:
            level *= _ramp(plans[int(of_day[min(first, n_days - 1)])], first, n_days)
        minutes += (post.wte * level * share)[:, None] * per_day
    for event in config.events:
        sessions = event.extra_sessions
        if sessions is None or event.until is None or role is not None:
            continue
        first = max(calendar.day(event.date), 0)
        last = min(calendar.day(event.until) + 1, n_days)
        weekday = np.isin(calendar.dates.day_of_week.to_numpy(), calendar.clinic_days)
        span = np.zeros(n_days, dtype=bool)
        span[first:last] = True
        per_day = sessions.hours_per_week * 60 / clinic_days
        minutes[span & weekday, ACTIVITIES.index(sessions.activity)] += per_day
    return calendar.dates, minutes * calendar.working[:, None]


def offered_capacity(config: ServiceConfig, role: str | None = None) -> pd.DataFrame:
    """Per month (YYYY-MM): new-assessment and group minutes, first-contact slots offered and
    the first contacts attended (clock stops) they allow, with the days in the month.

    ``role``: what that role's posts offer (the parts add up to the whole, less extra sessions).
    """
    dates, minutes = daily_minutes(config, role)
    mix = first_contact_mix(config)
    frame = pd.DataFrame({"month": dates.strftime("%Y-%m")})
    frame["slots"] = 0.0
    frame["first_contacts"] = 0.0
    for activity in FIRST_CONTACT_ACTIVITIES:
        column = minutes[:, ACTIVITIES.index(activity)]
        frame[f"{activity}_minutes"] = column
        entry = mix.get(activity, {"minutes": 1.0, "starts": 0.0, "attend": 0.0})
        places = column / entry["minutes"] * entry["starts"]
        frame["slots"] += places
        frame[f"first_contacts_{activity}"] = places * entry["attend"]
        frame["first_contacts"] += frame[f"first_contacts_{activity}"]
    frame["followup_minutes"] = minutes[:, ACTIVITIES.index("followup")]
    frame["squeezable_minutes"] = minutes[:, -1]
    frame["days"] = 1
    return frame.groupby("month", sort=False).sum().reset_index()


def weekly_offered(offered: pd.DataFrame, months: list[str], column: str = "first_contacts") -> float:
    """Mean per week of an offered column over ``months``."""
    rows = offered[offered["month"].isin(months)]
    days = rows["days"].sum()
    return float(rows[column].sum() / days * 7) if days else float("nan")


def followup_need_minutes(config: ServiceConfig) -> float:
    """Follow-up (1:1) minutes an accepted referral needs over its episode: mean follow-ups x
    minutes, with DNA'd slots rebooked (1 / (1 - dna_rate) slots per attended contact)."""
    outcomes = config.pathway_outcomes
    total = sum(outcomes.values()) or 1.0
    need = 0.0
    for name, share in outcomes.items():
        pathway = config.pathways[name]
        if pathway.followup is None:
            continue
        kind = config.appointment_types[pathway.followup]
        if kind.activity == "followup":
            slot = kind.minutes / kind.group_size / (1 - kind.dna_rate)
            need += share / total * pathway.followups.mean * slot
    return need


def followup_squeeze(
    config: ServiceConfig, offered: pd.DataFrame, months: list[str], accepted: float
) -> float:
    """First contacts a week that follow-ups due take from new patients in steady state.

    Follow-ups need ``accepted`` a week x ``followup_need_minutes``; what the job plans' follow-up
    time does not cover comes out of ``caseload_first`` roles' new-assessment time (down to their
    protected share), converted at the new-assessment first contact's minutes and attendance.
    """
    entry = first_contact_mix(config).get("new")
    if entry is None:
        return 0.0
    excess = accepted * followup_need_minutes(config) - weekly_offered(offered, months, "followup_minutes")
    taken = min(max(excess, 0.0), weekly_offered(offered, months, "squeezable_minutes"))
    return taken / entry["minutes"] * entry["attend"]
