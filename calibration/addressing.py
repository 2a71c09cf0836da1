"""Dotted field paths into a service document, as ``--fit`` names them.

A path walks mappings by key (``job_plans.band6.non_clinical_share``; a key of a ``set``
event holds dots itself, so the longest key that matches is taken), lists by position or
role (``workforce.1.wte``, ``workforce.band6.wte``), and the event list by event label
(``events.<label>.validate_list.share``,
``events.<label>.set.access_policy.validation_removal_rate``). Events are addressed by label,
not position, because a scenario's events are appended to its baseline's, so a position
depends on the chain of files. An event's ``date`` is fitted as a whole number of months
after ``service.start_date`` (``events.<label>.date``: 6 is the first of October for a
service starting in April), since board papers date changes to the month.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sim.engine.scenario import ConfigError
from sim.engine.sweep import event_date


class FitError(ConfigError):
    """A fit cannot be set up as asked; the message names the file or option and the field."""


def is_event_path(path: str) -> bool:
    return path.split(".")[0] == "events"


def event_labels(document: dict[str, Any]) -> list[str]:
    return [str(e["label"]) for e in document.get("events") or [] if e.get("label")]


def _event(events: list[Any], parts: list[str]) -> tuple[Any, int]:
    """The event whose label is the longest run of ``parts`` (labels may hold dots)."""
    labels = [str(e.get("label") or "") if isinstance(e, dict) else "" for e in events]
    for used in range(len(parts), 0, -1):
        label = ".".join(parts[:used])
        matches = [i for i, name in enumerate(labels) if name == label]
        if len(matches) > 1:
            raise ValueError(f"{len(matches)} events have the label {label!r}; give each a distinct label")
        if matches:
            return events[matches[0]], used
    named = ", ".join(repr(name) for name in labels if name) or "none: give each event a `label:`"
    raise ValueError(
        f"no event labelled {parts[0]!r}; events are fitted by label as "
        f"events.<label>.<action>.<field> (labels: {named})"
    )


def _step(node: Any, parts: list[str], in_events: bool) -> tuple[Any, int]:
    """One step down a document and the number of path parts it used."""
    if in_events:
        return _event(node, parts)
    if isinstance(node, dict):
        for used in range(len(parts), 0, -1):  # keys of `set` events hold dots
            key = ".".join(parts[:used])
            if key in node:
                return node[key], used
        raise KeyError(parts[0])
    if isinstance(node, list):
        part = parts[0]
        if part.isdigit():
            if int(part) >= len(node):
                raise KeyError(part)
            return node[int(part)], 1
        matches = [item for item in node if isinstance(item, dict) and item.get("role") == part]
        if len(matches) > 1:
            raise ValueError(f"several entries have role {part!r}; name one by its position instead")
        if not matches:
            raise KeyError(part)
        return matches[0], 1
    raise KeyError(parts[0])


def locate(document: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding the field at ``path`` and the field's key (or list index) in it."""
    parts = path.split(".")
    node: Any = document
    done: list[str] = []
    while True:
        rest = ".".join(parts)
        if isinstance(node, dict) and rest in node:
            return node, rest
        in_events = done == ["events"] and isinstance(node, list)
        if len(parts) == 1 and not in_events:
            if isinstance(node, list) and rest.isdigit() and int(rest) < len(node):
                return node, int(rest)
            raise FitError(f"{path}: no such field")
        try:
            node, used = _step(node, parts, in_events)
        except KeyError:
            raise FitError(f"{'.'.join([*done, parts[0]])}: no such field") from None
        except ValueError as error:
            where = "events" if in_events else ".".join([*done, parts[0]])
            raise FitError(f"{where}: {error}") from None
        done, parts = [*done, *parts[:used]], parts[used:]
        if not parts:
            raise FitError(f"{path}: names a section or an event, not a field")


def months_after_start(document: dict[str, Any], day: dt.date) -> int:
    start = document["service"]["start_date"]
    return (day.year - start.year) * 12 + day.month - start.month


def read_value(document: dict[str, Any], path: str) -> Any:
    """The field's value; an event date as whole months after the service's start date."""
    container, key = locate(document, path)
    value = container[key]
    if is_event_path(path) and key == "date" and isinstance(value, dt.date):
        return months_after_start(document, value)
    return value


def set_value(document: dict[str, Any], path: str, value: Any) -> None:
    container, key = locate(document, path)
    if is_event_path(path) and key == "date":
        value = event_date(document, value)
    container[key] = value


def with_values(document: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of ``document`` with each dotted path set to its value."""
    changed = copy.deepcopy(document)
    for path, value in values.items():
        set_value(changed, path, value)
    return changed
