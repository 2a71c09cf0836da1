"""Parameters in force on each day: the config changed by dated ``set`` events.

A ``set`` event replaces fields (named by dotted paths, e.g. ``triage.minutes_per_referral``
or ``job_plans.band6.sickness_rate``) from its date on. The result is a list of phases,
each the full validated config that holds from its first day.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.engine.calendar import Calendar
from sim.engine.config import ServiceConfig

FROZEN_SECTIONS = ("service", "events", "workforce", "initial_state", "parameter_draws", "title", "costs")
FROZEN_REASONS = {
    "service": "the calendar, horizon and target are fixed for a whole run",
    "events": "events cannot be changed by other events",
    "workforce": "staff in post change through add_staff, remove_staff and recruitment_freeze events",
    "initial_state": "the snapshot is where the run starts",
    "parameter_draws": "draws are chosen per replication before the run starts",
    "costs": "pay assumptions hold for the whole run (the costs are worked out after it)",
    "title": "the title names the whole scenario in reports, not a period of it",
}
# Maps whose keys index the model's queues, capacity rows or priority order: their values
# may change from a date, but adding or removing a key mid-run would change what the
# numbers in flight refer to.
FIXED_KEYS = {
    "pathways": "patients already on a pathway keep its place",
    "appointment_types": "booked patients wait in their appointment type's queue",
    "job_plans": "a role's staff are drawn for the whole run (add posts with add_staff)",
    "demand.priorities": "referrals already waiting keep their priority's place in the booking order",
}


class PhaseError(ValueError):
    """A ``set`` event names a field that does not exist or gives it an invalid value."""


@dataclass(frozen=True)
class Phase:
    """The config in force from ``first_day`` until the next phase."""

    first_day: int
    config: ServiceConfig


def _set_path(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] in FROZEN_SECTIONS:
        raise PhaseError(f"{path}: cannot be changed by a dated `set`: {FROZEN_REASONS[parts[0]]}")
    node = document
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise PhaseError(f"{path}: no field {'.'.join(parts[: depth + 1])!r}")
        node = node[part]
    if not isinstance(node, dict):
        raise PhaseError(f"{path}: {'.'.join(parts[:-1])!r} is not a section")
    if isinstance(node.get(parts[-1]), dict) and isinstance(value, dict):
        node[parts[-1]] = {**node[parts[-1]], **value}
    else:
        node[parts[-1]] = value


def apply_changes(config: ServiceConfig, changes: dict[str, Any]) -> ServiceConfig:
    """A copy of ``config`` with dotted-path ``changes`` applied and revalidated."""
    document = config.model_dump(mode="python")
    for path, value in changes.items():
        _set_path(document, path, copy.deepcopy(value))
    try:
        changed = ServiceConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise PhaseError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None
    _check_fixed_keys(config, changed)
    weighted = [c.access_policy.booking_order == "by_weeks_waited" for c in (config, changed)]
    if weighted[0] != weighted[1]:
        raise PhaseError(
            "access_policy.booking_order: a dated `set` cannot switch to or from by_weeks_waited "
            "(patients already waiting are held in that order's lists)"
        )
    return changed


def _keys(config: ServiceConfig, path: str) -> list[str]:
    node: Any = config
    for part in path.split("."):
        node = getattr(node, part)
    return list(node)


def _check_fixed_keys(before: ServiceConfig, after: ServiceConfig) -> None:
    for path, reason in FIXED_KEYS.items():
        old, new = _keys(before, path), _keys(after, path)
        if old != new:
            added = [k for k in new if k not in old] or [k for k in old if k not in new] or new
            raise PhaseError(
                f"{path}.{added[0]}: a dated `set` cannot add, remove or reorder {path} ({reason}); "
                "declare every one in the service file"
            )


def build_phases(config: ServiceConfig, calendar: Calendar) -> list[Phase]:
    """Phases of the horizon, each starting on the day a ``set`` event takes effect."""
    phases = [Phase(0, config)]
    dated = sorted((calendar.day(e.date), index, e) for index, e in enumerate(config.events) if e.set)
    for day, index, event in dated:
        try:
            current = apply_changes(phases[-1].config, event.set or {})
        except PhaseError as error:
            raise PhaseError(f"events.{index}.set.{error}") from None
        if day <= phases[-1].first_day:
            phases[-1] = Phase(phases[-1].first_day, current)
        else:
            phases.append(Phase(day, current))
    return phases


def phase_of_day(phases: list[Phase], n_days: int) -> np.ndarray:
    """Index of the phase in force on each day."""
    index = np.zeros(n_days, dtype=np.int64)
    for number, phase in enumerate(phases[1:], start=1):
        index[max(phase.first_day, 0) :] = number
    return index
