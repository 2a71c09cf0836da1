"""Named scenarios, changing one field of a scenario, and parameter sweeps.

Fields are named by dotted paths into the merged scenario document, as in ``set`` events
(``demand.multiplier``, ``job_plans.band6.non_clinical_share``), with list positions for
lists (``workforce.1.wte``, ``events.0.add_staff.wte``; events are numbered across the
``extends:`` chain, baseline first, as in validation messages). A scenario file may give
``sweep: {field: <path>, values: [...]}``; it then stands for one scenario per value,
named ``<file stem>[<path>=<value>]``. Solving and sensitivity analysis use the same
``Scenario.with_changes``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError, resolve, validate

SWEEP_KEYS = ("field", "values")
MAX_SWEEP_VALUES = 100
EMPTY_WHEN_ZERO = {
    "add_staff": "wte",
    "remove_staff": "wte",
    "extra_sessions": "hours_per_week",
    "validation_sweep": "stale_share",  # refused at 0 in a file; in a sweep, 0 is 'no clean-up'
}


class FieldError(ValueError):
    """A dotted path that does not lead to a field of the document."""


@dataclass
class Scenario:
    """A named, validated scenario with the raw document and the files it was built from."""

    name: str
    config: ServiceConfig
    document: dict[str, Any]
    path: Path | None = None
    files: list[Path] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return str(self.path) if self.path else self.name

    def with_changes(
        self, changes: Mapping[str, Any], name: str | None = None, what: str = "field"
    ) -> Scenario:
        """A copy with dotted-path ``changes`` applied to the raw document and revalidated.

        ``what`` names the option or key the paths came from, for error messages.
        """
        variant = changed(self.name, self.document, self.path, changes, what)
        variant.files, variant.changes = self.files, {**self.changes, **variant.changes}
        variant.name = name or variant.name
        return variant


def changed(
    name: str, document: dict[str, Any], path: Path | None, changes: Mapping[str, Any], what: str
) -> Scenario:
    """A scenario from a raw document with ``changes`` applied, named ``name[path=value, ...]``."""
    source = str(path) if path else name
    document = copy.deepcopy(document)
    for field_path, value in changes.items():
        try:
            apply_value(document, field_path, value)
        except FieldError as error:
            raise ConfigError(f"{source}: {what}: {error}") from None
    shown = ", ".join(f"{field_path}={format_value(value)}" for field_path, value in changes.items())
    config = validate(document, f"{source} [{shown}]")
    return Scenario(f"{name}[{shown}]", config, document, path, [], dict(changes))


def format_value(value: Any) -> str:
    """A value as it appears in a scenario name (``0.5``, ``3``, ``wales``)."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _child(node: Any, parts: list[str], trail: list[str]) -> tuple[Any, int]:
    """The key or index at the head of ``parts`` in ``node`` and how many parts it used."""
    where = ".".join(trail) or "the document"
    if isinstance(node, list):
        if not parts[0].isdigit():
            return _named_entry(node, parts, where)
        index = int(parts[0])
        if index >= len(node):
            raise FieldError(f"no field '{'.'.join([*trail, parts[0]])}' ({where} has {len(node)} entries)")
        return index, 1
    if not isinstance(node, dict):
        raise FieldError(f"{where} is a value, not a section")
    # Keys of `set` events contain dots themselves: take the longest key that matches.
    for used in range(len(parts), 0, -1):
        key = ".".join(parts[:used])
        if key in node:
            return key, used
    return parts[0], 1


def _named_entry(node: list, parts: list[str], where: str) -> tuple[int, int]:
    """A list entry named by its ``label`` (events) or ``role`` (staff), as calibration names them.

    Positions shift when a scenario adds events to its baseline's; labels do not. A label
    may contain dots, so the longest run of parts naming exactly one entry is taken.
    """
    for used in range(len(parts), 0, -1):
        name = ".".join(parts[:used])
        found = [i for i, item in enumerate(node) if _names(item, name)]
        if len(found) > 1:
            raise FieldError(f"{where}: {len(found)} entries are named {name!r}; give a position instead")
        if found:
            return found[0], used
    raise FieldError(
        f"{where} is a list: give a position 0 to {len(node) - 1}, not {parts[0]!r} "
        "(or an entry's label or role)"
    )


def _names(item: Any, name: str) -> bool:
    return isinstance(item, dict) and name in (item.get("label"), item.get("role"))


def set_field(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at dotted ``path``, creating missing sections (validation catches typos)."""
    parts = str(path).split(".")
    if not path or any(not p for p in parts):
        raise FieldError(f"{path!r} is not a dotted field path (e.g. workforce.1.wte)")
    if parts[0] in ("extends", "sweep"):
        raise FieldError(f"{path}: {parts[0]} cannot be changed this way")
    node: Any = document
    trail: list[str] = []
    while True:
        key, used = _child(node, parts, trail)
        if used == len(parts):
            node[key] = copy.deepcopy(value)
            return
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        node, trail, parts = node[key], [*trail, str(key)], parts[used:]


def get_field(document: dict[str, Any], path: str) -> Any:
    """The value at dotted ``path``, or ``None`` where the document does not give it."""
    node: Any = document
    parts, trail = str(path).split("."), []
    while parts:
        try:
            key, used = _child(node, parts, trail)
        except FieldError:
            return None
        if isinstance(node, dict) and key not in node:
            return None
        node, trail, parts = node[key], [*trail, str(key)], parts[used:]
    return node


def is_event_date(path: str) -> bool:
    """An ``events.<label>.date`` path: fitted and drawn as whole months after the start."""
    return path.startswith("events.") and path.endswith(".date")


def event_date(document: dict[str, Any], months: float) -> dt.date:
    """The first of the month ``months`` (rounded to whole months) after ``service.start_date``."""
    start = document["service"]["start_date"]
    if isinstance(start, str):  # a document dumped to JSON types
        start = dt.date.fromisoformat(start)
    return add_months(start, int(round(months)))


def apply_value(document: dict[str, Any], path: str, value: Any) -> None:
    """Set a field; a staff or extra-sessions event set to zero becomes an event doing nothing.

    Its place in the event list is kept (as an empty ``set``) so the random streams of later
    events' posts, addressed by event position, stay common across values.
    """
    set_field(document, path, value)
    parts = str(path).split(".")
    if len(parts) == 4 and parts[0] == "events" and parts[1].isdigit() and value == 0:
        if EMPTY_WHEN_ZERO.get(parts[2]) == parts[3]:
            event = document["events"][int(parts[1])]
            kept = {k: event[k] for k in ("date", "label") if k in event}
            document["events"][int(parts[1])] = {**kept, "set": {}}


def read_sweep(sweep: Any, source: str) -> tuple[str, list[Any]]:
    """Check a ``sweep:`` block and return its field and values."""
    if not isinstance(sweep, dict):
        raise ConfigError(f"{source}: sweep: must be a mapping with `field` and `values`")
    for key in sweep:
        if key not in SWEEP_KEYS:
            raise ConfigError(f"{source}: sweep.{key}: unknown key (a sweep has `field` and `values`)")
    path, values = sweep.get("field"), sweep.get("values")
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{source}: sweep.field: a dotted field path is required (e.g. workforce.1.wte)")
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{source}: sweep.values: a non-empty list of values is required")
    if len(values) > MAX_SWEEP_VALUES:
        raise ConfigError(
            f"{source}: sweep.values: {len(values):,} values; at most {MAX_SWEEP_VALUES} "
            "(each is a whole scenario run)"
        )
    shown = [format_value(v) for v in values]
    for position, text in enumerate(shown):
        if text in shown[:position]:
            raise ConfigError(f"{source}: sweep.values.{position}: {text} appears twice")
    return path, values


def load_scenarios(path: str | Path) -> list[Scenario]:
    """The scenarios a file stands for: itself, or one per value of its ``sweep``."""
    path = Path(path)
    document, files = resolve(path)
    sweep = document.pop("sweep", None)
    if sweep is None:
        return [Scenario(path.stem, validate(document, str(path)), document, path, files)]
    swept, values = read_sweep(sweep, str(path))
    scenarios = [changed(path.stem, document, path, {swept: value}, "sweep.field") for value in values]
    for scenario in scenarios:
        scenario.files = files
    return scenarios


def as_scenarios(items: Iterable[Any] | Mapping[str, Any]) -> list[Scenario]:
    """Scenarios from paths (sweeps expanded), configs or ``Scenario``s; a mapping names them.

    Names are made unique by numbering repeats, as two files may share a stem.
    """
    named = items.items() if isinstance(items, Mapping) else ((None, item) for item in items)
    scenarios: list[Scenario] = []
    for name, item in named:
        if isinstance(item, Scenario):
            found = [item]
        elif isinstance(item, ServiceConfig):
            found = [Scenario(item.service.name, item, item.model_dump(mode="json"))]
        else:
            found = load_scenarios(item)
        for scenario in found:
            if name is not None:  # a sweep keeps its [field=value] after the given name
                swept = scenario.path is not None and scenario.name.startswith(f"{scenario.path.stem}[")
                scenario.name = name + (scenario.name[len(scenario.path.stem) :] if swept else "")
            scenarios.append(scenario)
    seen: dict[str, int] = {}
    for scenario in scenarios:
        seen[scenario.name] = seen.get(scenario.name, 0) + 1
        if seen[scenario.name] > 1:
            scenario.name = f"{scenario.name} ({seen[scenario.name]})"
    if not scenarios:
        raise ConfigError("scenarios: at least one scenario is needed")
    return scenarios
