"""The parameters a fit changes: dotted paths into a service, their bounds and the fitted file.

A parameter is named as in a dated ``set`` event (``job_plans.band6.non_clinical_share``,
``pathways.specialist.followups.mean``, ``access_policy.validation_removal_rate``), and may
also reach into the staff list by position or role (``workforce.1.wte``,
``workforce.band6.wte``). Each value is checked by validating the whole service with it, so
the schema's own limits (a share is at most 1) bound the search.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError

BISECTIONS = 40  # enough to bring a default bound within 1e-12 of a schema limit


class FitError(ConfigError):
    """A fit cannot be set up as asked; the message names the file or option and the field."""


@dataclass(frozen=True)
class Parameter:
    """One fitted field: where it is, its value before the fit and the box it is searched in."""

    path: str
    start: float
    low: float
    high: float
    integer: bool = False

    def value(self, unit: float) -> float | int:
        """The value at position ``unit`` (0 = low bound, 1 = high bound)."""
        return self.cast(self.low + float(unit) * (self.high - self.low))

    def cast(self, value: float) -> float | int:
        """Whole numbers for integer fields (a count of patients), plain floats otherwise."""
        return int(round(value)) if self.integer else float(value)

    def unit(self, value: float) -> float:
        return (float(value) - self.low) / (self.high - self.low)


def _step(node: Any, part: str, path: str) -> Any:
    """One step down a document: a key of a mapping, or an item of a list by index or role."""
    if isinstance(node, dict):
        if part not in node:
            raise KeyError(part)
        return node[part]
    if isinstance(node, list):
        if part.isdigit():
            if int(part) >= len(node):
                raise KeyError(part)
            return node[int(part)]
        matches = [item for item in node if isinstance(item, dict) and item.get("role") == part]
        if len(matches) > 1:
            raise ValueError(f"several entries have role {part!r}; name one by its position instead")
        if not matches:
            raise KeyError(part)
        return matches[0]
    raise KeyError(part)


def locate(document: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding the field at ``path`` and the field's key (or list index) in it."""
    parts = path.split(".")
    node: Any = document
    for depth, part in enumerate(parts[:-1]):
        try:
            node = _step(node, part, path)
        except KeyError:
            raise FitError(f"{'.'.join(parts[: depth + 1])}: no such field") from None
        except ValueError as error:
            raise FitError(f"{'.'.join(parts[: depth + 1])}: {error}") from None
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    if not isinstance(node, dict) or last not in node:
        raise FitError(f"{path}: no such field")
    return node, last


def read_value(document: dict[str, Any], path: str) -> Any:
    container, key = locate(document, path)
    return container[key]


def with_values(document: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of ``document`` with each dotted path set to its value."""
    changed = copy.deepcopy(document)
    for path, value in values.items():
        container, key = locate(changed, path)
        container[key] = value
    return changed


def build(document: dict[str, Any], values: dict[str, float]) -> ServiceConfig:
    """The validated service with ``values`` set; raises ``FitError`` naming the first bad field."""
    try:
        return ServiceConfig.model_validate(with_values(document, values))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise FitError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None


def _allowed(document: dict[str, Any], path: str, value: float) -> bool:
    try:
        build(document, {path: value})
    except FitError:
        return False
    return True


def _widest_allowed(document: dict[str, Any], path: str, inside: float, outside: float) -> float:
    """The value nearest ``outside`` that the schema still accepts, by bisection from ``inside``."""
    if _allowed(document, path, outside):
        return outside
    for _ in range(BISECTIONS):
        middle = (inside + outside) / 2
        if _allowed(document, path, middle):
            inside = middle
        else:
            outside = middle
    return inside


def default_bounds(document: dict[str, Any], path: str, start: float) -> tuple[float, float]:
    """Half to twice the current value, narrowed to what the schema allows."""
    low = _widest_allowed(document, path, start, start / 2)
    high = _widest_allowed(document, path, start, start * 2)
    return low, high


def describe(
    config: ServiceConfig, paths: list[str], bounds: dict[str, tuple[float, float]] | None, source: str
) -> list[Parameter]:
    """Check the fitted paths against ``config`` and give each its search box.

    Problems are raised as ``FitError`` in the form ``source: field: message``.
    """
    document = config.model_dump(mode="python")
    bounds = dict(bounds or {})
    if not paths:
        raise FitError(f"{source}: --fit: name at least one parameter to fit")
    if len(set(paths)) != len(paths):
        raise FitError(f"{source}: --fit: a parameter is named twice")
    unknown = sorted(set(bounds) - set(paths))
    if unknown:
        raise FitError(f"{source}: {unknown[0]}: has --bounds but is not in --fit")
    return [_describe_one(document, path, bounds.get(path), source) for path in paths]


def _describe_one(
    document: dict[str, Any], path: str, box: tuple[float, float] | None, source: str
) -> Parameter:
    if path.split(".")[0] == "events":
        raise FitError(
            f"{source}: {path}: events cannot be fitted (a scenario's events are appended to its "
            "baseline's); fit the field the event changes instead"
        )
    try:
        start = read_value(document, path)
    except FitError as error:
        raise FitError(f"{source}: {error}") from None
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise FitError(f"{source}: {path}: is not a number (it is {start!r}), so cannot be fitted")
    integer = isinstance(start, int)
    if box is None:
        if start <= 0:
            raise FitError(f"{source}: {path}: is {start}; give --bounds {path}=LOW,HIGH to search")
        box = default_bounds(document, path, float(start))
    low, high = (float(b) for b in box)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise FitError(f"{source}: {path}: bounds {low:g},{high:g}: the low bound must be below the high")
    for name, value in (("low", low), ("high", high)):
        try:
            build(document, {path: int(round(value)) if integer else value})
        except FitError as error:
            raise FitError(f"{source}: {path}: {name} bound {value:g} is not allowed ({error})") from None
    return Parameter(path, float(start), low, high, integer)


def overrides(document: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """Nested maps that set ``values`` when deep-merged onto ``document`` (``extends:``).

    Maps merge key by key, but lists replace, so a value inside a list (the staff list)
    carries the whole changed list with it.
    """
    changed = with_values(document, values)
    result: dict[str, Any] = {}
    for path in values:
        parts = path.split(".")
        node, target = changed, result
        for depth, part in enumerate(parts):
            child = node[part]
            if isinstance(child, list) or depth == len(parts) - 1:
                target[part] = copy.deepcopy(child)
                break
            node, target = child, target.setdefault(part, {})
    return result
