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

FROZEN_SECTIONS = ("service", "events", "workforce", "initial_state", "parameter_draws")


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
        raise PhaseError(f"{path}: cannot be changed by a dated `set` (use an event type)")
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
        return ServiceConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise PhaseError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None


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
