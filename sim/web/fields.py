"""Form fields read from the pydantic schema, so new settings appear without page changes.

A ``FieldSpec`` says what kind of input a setting needs (number, whole number, yes/no,
choice, date, text), its bounds and its description, all taken from ``sim.engine.config``. Nested
blocks are flattened to dotted paths (``followups.mean``), as used by ``set`` events.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.reports.setting_words import ENDINGS, words

KINDS = ("number", "integer", "bool", "choice", "date", "text", "percent")  # percent: a share shown x100


@dataclass(frozen=True)
class FieldSpec:
    """One input: dotted ``path`` under its block, the widget kind, bounds and help text."""

    path: str
    kind: str
    label: str
    help: str = ""
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    default: Any = None
    optional: bool = False


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (it, False)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in info.metadata:
        if isinstance(item, (Ge, Gt)):
            low = float(getattr(item, "ge", None) if isinstance(item, Ge) else item.gt)
        if isinstance(item, (Le, Lt)):
            high = float(getattr(item, "le", None) if isinstance(item, Le) else item.lt)
    return low, high


def _kind(annotation: Any) -> tuple[str | None, tuple[Any, ...]]:
    if typing.get_origin(annotation) is Literal:
        return "choice", typing.get_args(annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "integer", ()
    if annotation is float:
        return "number", ()
    if annotation is dt.date:
        return "date", ()
    if annotation is str:
        return "text", ()
    return None, ()


LABELS = {  # the few field names that read badly when spelled out
    "wte": "WTE",
    "recruitment_lag_weeks": "Recruitment lag (weeks)",
    "hours_per_week": "Extra clinical hours a week",
    "share": "Share removed",
    "non_clinical_share": "Time not with patients",
    "hours_per_wte": "Hours a week per WTE",
}


def label_for(path: str) -> str:
    """``followups.mean`` -> ``Follow-ups per episode``: readable without a glossary."""
    if path in LABELS:
        return LABELS[path]
    text = ENDINGS.get(path) or " ".join(words(part) for part in path.split("."))
    return text[:1].upper() + text[1:]


def is_share(spec: FieldSpec) -> bool:
    """A share (a number between 0 and 1 by the schema, or a "percent" entry), entered and shown
    as a percentage."""
    return spec.kind == "percent" or (spec.kind == "number" and spec.low == 0.0 and spec.high == 1.0)


def field_specs(model: type[BaseModel], prefix: str = "", skip: tuple[str, ...] = ()) -> list[FieldSpec]:
    """The scalar settings of a schema block, nested blocks flattened; lists and maps left out."""
    specs: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        path = f"{prefix}{name}"
        annotation, optional = _unwrap(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            specs += field_specs(annotation, f"{path}.")
            continue
        kind, choices = _kind(annotation)
        if kind is None:
            continue
        low, high = _bounds(info)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        specs.append(
            FieldSpec(
                path, kind, label_for(path), info.description or "", choices, low, high, default, optional
            )
        )
    return specs


def action_model(info: FieldInfo) -> type[BaseModel] | None:
    """The block type of an event action (``add_staff`` -> ``StaffChange``), or None for maps."""
    annotation, _ = _unwrap(info.annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def get_path(node: Any, path: str) -> Any:
    """The value at a dotted path in plain dicts, or None."""
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_path(node: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in plain dicts, creating blocks on the way."""
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
