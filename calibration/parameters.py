"""The parameters a fit changes: dotted paths into a service, their bounds and the fitted file.

A parameter is named as in a dated ``set`` event (``job_plans.band6.non_clinical_share``,
``pathways.specialist.followups.mean``, ``access_policy.validation_removal_rate``), and may
also reach into the staff list by position or role (``workforce.1.wte``,
``workforce.band6.wte``), or into a dated event by its label (``events.<label>.set.<field>``,
``events.<label>.validate_list.share``, ``events.<label>.date`` in months after the start;
see ``calibration.addressing``). Each value is checked by validating the whole service with it, so
the schema's own limits (a share is at most 1) bound the search.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from calibration.addressing import FitError, is_event_path, locate, read_value, with_values
from sim.engine.calendar import calendar_for
from sim.engine.config import ServiceConfig
from sim.engine.scenario import deep_merge
from sim.engine.sweep import is_event_date
from sim.engine.timeline import PhaseError, build_phases

BISECTIONS = 40  # enough to bring a default bound within 1e-12 of a schema limit


@dataclass(frozen=True)
class Parameter:
    """One fitted field: where it is, its value before the fit and the box it is searched in."""

    path: str
    start: float
    low: float
    high: float
    integer: bool = False
    # Log-uniform prior: the box is searched and sampled evenly in log(value), the usual prior
    # for a scale known only to within a factor (a capacity or a referral rate).
    log: bool = False

    def value(self, unit: float) -> float | int:
        """The value at position ``unit`` (0 = low bound, 1 = high bound)."""
        if self.log:
            return self.cast(self.low * (self.high / self.low) ** float(unit))
        return self.cast(self.low + float(unit) * (self.high - self.low))

    def cast(self, value: float) -> float | int:
        """Whole numbers for integer fields (a count of patients), plain floats otherwise."""
        return int(round(value)) if self.integer else float(value)

    def unit(self, value: float) -> float:
        if self.log:
            return math.log(max(float(value), 1e-300) / self.low) / math.log(self.high / self.low)
        return (float(value) - self.low) / (self.high - self.low)


def build(document: dict[str, Any], values: dict[str, float]) -> ServiceConfig:
    """The validated service with ``values`` set; raises ``FitError`` naming the first bad field.

    Values inside dated ``set`` events are checked as the run would check them (the phases
    are built), so the schema bounds them too.
    """
    try:
        config = ServiceConfig.model_validate(with_values(document, values))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise FitError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None
    if any(event.set for event in config.events):
        try:
            build_phases(config, calendar_for(config.service))
        except PhaseError as error:
            raise FitError(str(error)) from None
    return config


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
    """Half to twice the current value, narrowed to what the schema allows.

    An event's date (months after the start) may move anywhere in the horizon.
    """
    if is_event_date(path):
        return 0.0, float(document["service"]["horizon_months"] - 1)
    low = _widest_allowed(document, path, start, start / 2)
    high = _widest_allowed(document, path, start, start * 2)
    return low, high


def describe(
    config: ServiceConfig,
    paths: list[str],
    bounds: dict[str, tuple[float, float]] | None,
    source: str,
    log: set[str] | frozenset[str] = frozenset(),
) -> list[Parameter]:
    """Check the fitted paths against ``config`` and give each its search box.

    Paths in ``log`` get a log-uniform prior over their box (both bounds above zero).
    Problems are raised as ``FitError`` in the form ``source: field: message``.
    """
    document = config.model_dump(mode="python")
    bounds = dict(bounds or {})
    if not paths:
        raise FitError(f"{source}: --fit: name at least one parameter to fit")
    if len(set(paths)) != len(paths):
        raise FitError(f"{source}: --fit: a parameter is named twice")
    unknown = sorted(set(bounds) - set(paths)) + sorted(set(log) - set(paths))
    if unknown:
        raise FitError(f"{source}: {unknown[0]}: has --bounds but is not in --fit")
    described = [_describe_one(document, path, bounds.get(path), source) for path in paths]
    for p in described:
        if p.path in log and p.low <= 0:
            raise FitError(
                f"{source}: {p.path}: a log-uniform prior needs a low bound above 0 (got {p.low:g})"
            )
    return [replace(p, log=p.path in log) for p in described]


def _describe_one(
    document: dict[str, Any], path: str, box: tuple[float, float] | None, source: str
) -> Parameter:
    try:
        start = read_value(document, path)
    except FitError as error:
        raise FitError(f"{source}: {error}") from None
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise FitError(f"{source}: {path}: is not a number (it is {start!r}), so cannot be fitted")
    integer = isinstance(start, int)
    if box is None:
        if start <= 0 and not is_event_date(path):
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


def scenario_document(
    resolved: dict[str, Any], values: dict[str, float], own: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The fitted scenario as a document: what to write beside ``extends:``.

    Without fitted events: overrides of the fitted fields, to extend the fitted file itself.
    A scenario's events are appended to its baseline's, so an override cannot change one;
    with fitted events the result is instead the fitted file's ``own`` document (keeping
    its ``extends:``) with the events' fields set and the other fields merged in. A fitted
    event must then be defined in that file. Without ``own``, the whole fitted document.
    """
    plain = {p: v for p, v in values.items() if not is_event_path(p)}
    dated = {p: v for p, v in values.items() if is_event_path(p)}
    if not dated:
        return overrides(resolved, plain)
    if own is None:
        return with_values(resolved, values)
    fitted = with_values(resolved, dated)
    document = copy.deepcopy(own)
    for path in dated:
        container, key = locate(fitted, path)
        try:
            target, own_key = locate(document, path)
        except FitError as error:
            raise FitError(
                f"{path}: the event must be defined in the fitted file itself, not in a file it "
                f"extends ({error})"
            ) from None
        target[own_key] = container[key]
    return deep_merge(document, overrides(resolved, plain)) if plain else document
