"""Shared clinical time: how a clinic day's minutes reach follow-ups and new patients.

Under a role's ``template`` rule each activity gets the role's ``activity_split`` share and
unused time flexes (``ServiceModel._clinic_day``). Under ``caseload_first`` the role's new +
follow-up minutes are one pool: follow-ups that are due are booked first, up to
``max_followup_share`` of the role's clinical minutes and never into the
``min_new_share`` kept for new assessments; new patients get the rest of the pool,
including any allowance follow-ups did not need. Triage and group time keep their split.
So a rise of X minutes a day in follow-up work takes X minutes a day from new patients
(while the cap allows), which is what puts follow-up caseload pressure on RTT waits.
"""

from __future__ import annotations

from typing import Protocol

from sim.engine.field_types import ACTIVITIES


class ClinicDay(Protocol):
    """What sharing a day's time needs of a model: serving an activity, and time carried over."""

    carry: list[float]

    def _serve(self, activity: int, day: int, budget: float) -> tuple[float, bool]: ...

TRIAGE, NEW, FOLLOWUP, GROUP = (ACTIVITIES.index(a) for a in ("triage", "new", "followup", "group"))
SharedRole = tuple[int, float, float]  # capacity row, max_followup_share, min_new_share


def followup_allowance(row: list[float], max_followup: float, min_new: float) -> float:
    """Minutes of a caseload_first role's pool that follow-ups may take today."""
    clinical = sum(row)
    pool = row[NEW] + row[FOLLOWUP]
    return max(0.0, min(pool - min_new * clinical, max_followup * clinical))


def shared_clinic_day(
    model: ClinicDay, day: int, by_role: list[list[float]], shared: list[SharedRole]
) -> list[float]:
    """Spend a clinic day with some roles under caseload_first; return each role's unused minutes."""
    free = [0.0] * len(by_role)
    allowance = [row[FOLLOWUP] for row in by_role]
    new_time = [row[NEW] for row in by_role]
    pooled = set()
    for role, max_followup, min_new in shared:
        row = by_role[role]
        allowance[role] = followup_allowance(row, max_followup, min_new)
        new_time[role] = row[NEW] + row[FOLLOWUP] - allowance[role]
        pooled.add(role)
    _spend(model, TRIAGE, day, [row[TRIAGE] for row in by_role], free)
    unused = _spend(model, FOLLOWUP, day, allowance, free, pooled)
    for role in pooled:
        new_time[role] += allowance[role] * unused
    _spend(model, NEW, day, new_time, free)
    _spend(model, GROUP, day, [row[GROUP] for row in by_role], free)
    return free


def _spend(
    model: ClinicDay, activity: int, day: int, time: list[float], free: list[float], keep=frozenset()
) -> float:
    """Serve one activity with the roles' minutes; unused minutes (nobody waiting) go to ``free``.

    Returns the unused share. Roles in ``keep`` do not release theirs: the caller re-spends it.
    """
    budget = sum(time)
    left, waiting = model._serve(activity, day, budget + model.carry[activity])
    model.carry[activity] = left if waiting else 0.0
    if waiting or left <= 0 or budget <= 0:
        return 0.0
    share = min(left, budget) / budget
    for role, minutes in enumerate(time):
        if role not in keep:
            free[role] += minutes * share
    return share
