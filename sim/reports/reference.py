"""The YAML reference (``docs/yaml-reference.md``), generated from the schema in ``sim.engine.config``.

Every field's meaning comes from its ``description``, its allowed range from its
constraints (``ge``/``gt``/``le``/``lt`` and ``Literal`` choices) and its default from the
schema itself, so the reference cannot drift from what validation enforces: a test
regenerates it and compares. Regenerate with ``python -m sim.reports.reference docs/yaml-reference.md``.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.engine.config import ServiceConfig
from sim.engine.sweep import SWEEP_KEYS
from sim.reports.reference_prose import COMMAND, EVENT_EXAMPLES, HEADER, SCENARIO_KEYS, limits, set_note

__all__ = ["COMMAND", "EVENT_EXAMPLES", "SCENARIO_KEYS", "reference_markdown", "write_reference"]

PLACEHOLDERS = {  # what the keys of a map stand for, by the map's field name
    "sources": "<source>",
    "priorities": "<priority>",
    "delay_days": "<priority>",
    "outcomes": "<outcome>",
    "pathways": "<pathway>",
    "appointment_types": "<appointment_type>",
    "job_plans": "<role>",
    "activity_split": "<activity>",
    "set": "<dotted.path>",
    "source_priorities": "<source>",
    "source_outcomes": "<source>",
}
UNITS = {  # fields whose unit is not in their name
    "monthly_rate": "referrals per month",
    "annual_trend": "share per year",
    "minutes": "minutes per slot",
    "hours_per_wte": "hours per week per WTE",
    "annual_leave_days": "days per year",
    "turnover_rate": "leavers per WTE per year",
    "sickness_rate": "share of working days",
    "validation_removal_rate": "share per month",
    "reneging_rate": "share per month",
    "count": "patients",
    "awaiting_triage": "referrals",
    "followup_caseload": "patients",
    "group_size": "patients per slot",
    "mean": "follow-up contacts",
    "wte": "WTE",
    "hours_per_week": "hours per week",
    "minutes_per_referral": "minutes",
    "multiplier": "multiplier",
    "seasonality": "multiplier",
    "clinic_days": "",
    "stale_share": "share of those waiting",
    "find_share": "share per round",
    "rounds": "rounds",
    "min_weeks_waited": "weeks",
}
SUFFIX_UNITS = (("_weeks", "weeks"), ("_days", "days"), ("_months", "months"), ("_minutes", "minutes"))


@dataclass
class Block:
    """One table of the reference: the fields of one schema class at one dotted path."""

    path: str
    model: type[BaseModel]


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return annotation, False


def _unannotated(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type of ``Annotated[...]`` and its constraints."""
    if typing.get_origin(annotation) is typing.Annotated:
        bare, *extras = typing.get_args(annotation)
        constraints = []
        for extra in extras:
            constraints += extra.metadata if isinstance(extra, FieldInfo) else [extra]
        return bare, constraints
    return annotation, []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _choices(annotation: Any) -> str:
    return ", ".join(f"`{c}`" for c in typing.get_args(annotation))


def type_name(annotation: Any) -> str:
    """A field type in words a planner reads (``number``, ``list of weekday``...)."""
    annotation, optional = _strip_optional(annotation)
    annotation, _ = _unannotated(annotation)
    origin = typing.get_origin(annotation)
    if _is_model(annotation):
        name = "section"
    elif origin is Literal:
        name = "choice"
    elif origin is list:
        (item,) = typing.get_args(annotation)
        item, _ = _unannotated(item)
        if _is_model(item):
            name = "list of entries"
        else:
            name = "list of choices" if typing.get_origin(item) is Literal else f"list of {type_name(item)}"
    elif origin is dict:
        key, value = typing.get_args(annotation)
        value, _ = _unannotated(value)
        keys = "dotted path" if value is object else "name"
        name = "map of sections" if _is_model(value) else f"map: {keys} → {type_name(value)}"
    else:
        name = {
            float: "number",
            int: "whole number",
            str: "text",
            bool: "true/false",
            dt.date: "date (YYYY-MM-DD)",
            object: "value",
        }.get(annotation, str(annotation))
    return f"{name}, or empty" if optional else name


def _bounds(constraints: list[Any]) -> str:
    words = []
    for constraint in constraints:
        for attribute, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(constraint, attribute, None)
            if value is not None:
                words.append(f"{sign} {value:g}")
    return ", ".join(words)


def allowed(field: FieldInfo) -> str:
    """The allowed values: numeric bounds, choices, and the same for list items or map values."""
    annotation, _ = _strip_optional(field.annotation)
    parts = [_bounds(field.metadata)]
    if typing.get_origin(annotation) is Literal:
        parts.append(_choices(annotation))
    elif typing.get_origin(annotation) in (list, dict):
        *keys, item = typing.get_args(annotation)
        if keys and typing.get_origin(keys[0]) is Literal:
            parts.append(f"names: {_choices(keys[0])}")
        item, constraints = _unannotated(item)
        each = "each item" if typing.get_origin(annotation) is list else "each value"
        if typing.get_origin(item) is Literal:
            parts.append(f"{each}: {_choices(item)}")
        elif constraints:
            parts.append(f"{each} {_bounds(constraints)}")
    return "; ".join(p for p in parts if p)


def _is_share(constraints: list[Any]) -> bool:
    bounds = {(a, getattr(c, a, None)) for c in constraints for a in ("ge", "le")}
    return bounds - {("ge", None), ("le", None)} == {("ge", 0), ("le", 1)}


def unit(name: str, field: FieldInfo) -> str:
    """The field's unit: the table above, its name (``..._weeks`` is in weeks), or *share* for 0-1."""
    if name in UNITS:
        return UNITS[name]
    for suffix, word in SUFFIX_UNITS:
        if name.endswith(suffix):
            return word
    annotation, _ = _strip_optional(field.annotation)
    if typing.get_origin(annotation) is dict:
        return "share" if _is_share(_unannotated(typing.get_args(annotation)[1])[1]) else ""
    return "share" if _is_share(field.metadata) else ""


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def default(field: FieldInfo) -> str:
    """The default as it would be written in YAML, or *required*."""
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory else field.default
    if value is PydanticUndefined:
        return "**required**"
    if value is None:
        return "empty"
    if isinstance(value, BaseModel):
        given = value.model_dump(mode="json", exclude_unset=True)
        return f"`{_flow(given)}`" if given else "defaults below"
    if isinstance(value, dt.date):
        return f"`{value.isoformat()}`"
    return f"`{_flow(value)}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _child_path(path: str, name: str, annotation: Any) -> tuple[str, Any]:
    """The dotted path of a field's entries and the schema class they follow, if any."""
    annotation, _ = _strip_optional(annotation)
    annotation, _ = _unannotated(annotation)
    origin = typing.get_origin(annotation)
    here = f"{path}.{name}" if path else name
    if origin is list:
        item, _ = _unannotated(typing.get_args(annotation)[0])
        return (f"{here}.<n>" if _is_model(item) else here), item
    if origin is dict:
        item, _ = _unannotated(typing.get_args(annotation)[1])
        return f"{here}.{PLACEHOLDERS.get(name, '<name>')}", item
    return here, annotation


def blocks(model: type[BaseModel] = ServiceConfig, path: str = "") -> list[Block]:
    """Every schema class at its dotted path, depth first, in field order."""
    found = [Block(path, model)] if path else []
    for name, field in model.model_fields.items():
        child, target = _child_path(path, name, field.annotation)
        if _is_model(target):
            found += blocks(target, child)
    return found


def field_rows(block: Block) -> list[str]:
    rows = []
    for name, field in block.model.model_fields.items():
        path, target = _child_path(block.path, name, field.annotation)
        if _is_model(target):
            meaning = f"{field.description or ''} See `{path}` below."
        else:
            meaning = field.description or ""
            if typing.get_origin(_strip_optional(field.annotation)[0]) is dict:
                path = f"{block.path}.{name}.{PLACEHOLDERS.get(name, '<name>')}"
        kind = type_name(field.annotation)
        cells = (f"`{path}`", meaning, kind, unit(name, field), default(field), allowed(field))
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def top_level(schema: type[BaseModel] = ServiceConfig) -> str:
    rows = [
        "| `extends` | Path of the file this scenario changes, relative to this file. | text | | "
        "empty (a baseline) | a YAML file in this file's folder or the working folder (see Limits) |",
        f"| `sweep` | One scenario per value of one field (see below). | section | | empty | "
        f"keys: {', '.join(f'`{k}`' for k in SWEEP_KEYS)} |",
    ]
    for name, field in schema.model_fields.items():
        required = "**required**" if field.is_required() else default(field)
        kind = type_name(field.annotation)
        path, target = _child_path("", name, field.annotation)
        if not _is_model(target):  # a plain top-level value (the scenario's title)
            description = field.description or ""
            cells = (f"`{name}`", description, kind, unit(name, field), default(field), allowed(field))
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            continue
        meaning = _doc(target)
        if kind == "map of sections":
            meaning = f"One section per {path.split('.')[-1]}. {meaning}"
        elif kind == "list of entries":
            meaning = f"A list of entries. Each: {meaning[0].lower()}{meaning[1:]}"
        rows.append(f"| `{name}` | {_cell(meaning)} | {kind} | | {required} | see `{name}` |")
    head = "| Key | Meaning | Type | Unit | Default | Allowed |\n|---|---|---|---|---|---|"
    return "## Top-level keys\n\n" + head + "\n" + "\n".join(rows) + "\n"


def reference_markdown(schema: type[BaseModel] = ServiceConfig) -> str:
    """The whole reference as Markdown text (``schema`` is replaceable for tests)."""
    parts = [HEADER, top_level(schema), SCENARIO_KEYS, limits()]
    head = "| Field | Meaning | Type | Unit | Default | Allowed |\n|---|---|---|---|---|---|"
    for name, field in schema.model_fields.items():
        path, target = _child_path("", name, field.annotation)
        if not _is_model(target):
            continue  # described in the top-level table
        section = [f"## `{name}`\n"]
        for block in [b for b in blocks(schema) if b.path == path or b.path.startswith(f"{path}.")]:
            level = "###" if block.path != path else ""
            if level:
                section.append(f"{level} `{block.path}`\n")
            section.append(_doc(block.model) + "\n")
            section.append(head + "\n" + "\n".join(field_rows(block)) + "\n")
        if name == "events":
            section.append(f"Examples, one of each action:\n\n```yaml\n{EVENT_EXAMPLES}```\n")
            section.append(set_note())
        parts.append("\n".join(section))
    return "\n".join(parts)


def write_reference(path: str | Path) -> Path:
    """Write the reference atomically to ``path``."""
    from sim.runs.files import write_text

    return write_text(reference_markdown(), Path(path))


if __name__ == "__main__":  # pragma: no cover - command line
    if len(sys.argv) > 1:
        print(write_reference(sys.argv[1]))
    else:
        sys.stdout.write(reference_markdown())
