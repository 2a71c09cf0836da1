"""Entries checked where they are made: a sentence for the widget, never a clamped value.

The pages show each problem under the widget that has it and then refuse the whole form (no
change added, nothing applied). Dates must fall inside the simulated period; numbers inside the
bounds the schema gives the setting. No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig
from sim.web.fields import FieldSpec, is_share


def horizon(config: ServiceConfig) -> tuple[dt.date, dt.date]:
    """The first and last day the service is simulated."""
    start = config.service.start_date
    return start, add_months(start, config.service.horizon_months) - dt.timedelta(days=1)


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def date_problem(value: Any, config: ServiceConfig, what: str = "The date") -> str | None:
    """Why ``value`` cannot be a change's date, or None when it can."""
    if value is None or not isinstance(value, dt.date):
        return f"{what} is missing: pick a day."
    first, last = horizon(config)
    if value < first:
        return f"{what} {_day(value)} is before the simulation starts ({_day(first)}): pick a later day."
    if value > last:
        return f"{what} {_day(value)} is after the simulation ends ({_day(last)}): pick an earlier day."
    return None


def until_problem(until: Any, start: Any, required: bool) -> str | None:
    """Why ``until`` cannot end a change that starts on ``start``, or None."""
    if until is None:
        return "The end date is missing: this change needs one." if required else None
    if isinstance(start, dt.date) and until <= start:
        return f"The end date {_day(until)} is not after the start {_day(start)}: pick a later day."
    return None


def number_problem(spec: FieldSpec, value: Any) -> str | None:
    """Why ``value`` is outside the setting's bounds, or None (the schema's bounds, in words)."""
    if spec.kind not in ("number", "integer", "percent") or value is None:
        return None
    if is_share(spec):  # entered as a percentage: refused as one
        low = -math.inf if spec.low is None else 100 * spec.low
        high = math.inf if spec.high is None else 100 * spec.high
        if not low <= value * 100 <= high:
            return f"{spec.label} must be between {low:g}% and {high:g}% ({value * 100:g}% given)."
        return None
    if spec.low is not None and value < spec.low:
        return f"{spec.label} cannot be below {spec.low:g} ({value:g} given)."
    if spec.high is not None and value > spec.high:
        return f"{spec.label} cannot be above {spec.high:g} ({value:g} given)."
    return None


def text_problem(spec: FieldSpec, value: Any) -> str | None:
    """A required text entry left empty."""
    if spec.kind == "text" and not spec.optional and not str(value or "").strip():
        return f"{spec.label} is empty: type one."
    return None


def entry_problem(spec: FieldSpec, value: Any) -> str | None:
    return number_problem(spec, value) or text_problem(spec, value)


def change_problems(
    kind: Any, start: Any, until: Any, values: dict[str, Any], config: ServiceConfig
) -> dict[str, str]:
    """Problems of an "Add a change" form by input ("from", "until" or a field's path)."""
    found = {"from": date_problem(start, config, "The start date")}
    if kind.until != "no":
        found["until"] = until_problem(until, start, kind.until == "required")
    for spec in kind.fields:
        if spec.path in values:
            found[spec.path] = entry_problem(spec, values[spec.path])
    return {name: sentence for name, sentence in found.items() if sentence}


def form_problems(items: list[tuple[str, FieldSpec]], values: dict[str, Any]) -> dict[str, str]:
    """Problems of a settings form: (path, spec) pairs and the values entered, by path."""
    found = {path: entry_problem(spec, values.get(path)) for path, spec in items}
    return {path: sentence for path, sentence in found.items() if sentence}


def dated(name: str, value: Any, config: ServiceConfig, what: str = "The start date") -> dict[str, str]:
    """One date's problem by input name (empty when the date is inside the simulated period)."""
    sentence = date_problem(value, config, what)
    return {name: sentence} if sentence else {}


def drawn_fields(config: ServiceConfig) -> set[str]:
    """Settings the service's parameter draws set in every run (the draws file's columns)."""
    import csv
    from pathlib import Path

    spec = config.parameter_draws
    if spec is None or not spec.use or not Path(spec.file).is_file():
        return set()
    with open(spec.file, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return {name.strip() for name in header} - {"draw", "weight"}


def drawn_problems(
    items: list[tuple[str, FieldSpec]], values: dict[str, Any], current: dict[str, Any], drawn: set[str]
) -> dict[str, str]:
    """A drawn setting changed on a form: every run would overwrite it, so it is refused, saying why.

    The CLI names the field and its options; a planner reads what to do instead.
    """
    return {
        path: f"{spec.label} is drawn from its fitted range in every simulated future, so it cannot be "
        "set here; plan a change to it as a scenario instead."
        for path, spec in items
        if path in drawn and values.get(path) != current.get(path)
    }
