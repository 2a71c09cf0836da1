"""The base of every config block: what any value in a service file must be.

Unknown keys are errors; numbers must be finite (``.inf``/``.nan`` would run as silently
wrong answers, e.g. no referrals at all); true/false is not accepted where a number belongs
(pydantic would otherwise read it as 1 or 0).
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


def _numeric(annotation: Any) -> bool:
    """Whether a field holds numbers (or lists or maps of numbers)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_numeric(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin in (list, dict):
        return _numeric(typing.get_args(annotation)[-1])
    return annotation in (int, float)


def _has_boolean(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return any(isinstance(item, bool) for item in items)


class Strict(BaseModel):
    """Base for every config block: unknown keys are errors, values are checked on assignment.

    Numbers must be finite (``.inf``/``.nan`` would run as silently wrong answers), and
    true/false is not accepted where a number belongs (pydantic would read it as 1 or 0).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _numeric(field.annotation) and _has_boolean(value):
            raise ValueError("expected a number, not true/false")
        return value
