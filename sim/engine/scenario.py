"""Reading service and scenario YAML files into a validated ``ServiceConfig``.

A baseline file describes a whole service. A scenario file names ``extends: <path>``
(relative to itself) and changes it: mappings merge key by key, scalars and lists replace,
except ``events``, which are appended to the baseline's events so that a scenario adds
dated changes to those the service already has, and ``title``, which is not inherited.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.engine.calendar import Calendar, calendar_for
from sim.engine.capacity import StaffingError, build_posts
from sim.engine.config import ServiceConfig
from sim.engine.demand import expected_daily_referrals
from sim.engine.input_files import ConfigError, read_yaml_file
from sim.engine.size_limits import MAX_PATIENTS, horizon_end
from sim.engine.timeline import PhaseError, build_phases, phase_of_day

APPENDED_LISTS = ("events",)
MAX_EXTENDS = 20  # files in one chain; real chains have two or three
EXTENDS_ROOT_VARIABLE = "DCSIM_EXTENDS_ROOT"


def deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` changed by ``change``: maps merge, other values replace."""
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        elif key in APPENDED_LISTS and isinstance(value, list):
            merged[key] = list(merged.get(key) or []) + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML mapping safely (bounded size, depth and aliases; no duplicate keys)."""
    document = read_yaml_file(path)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return document


def extends_roots(top: Path) -> list[Path]:
    """Folders ``extends:`` may reach: the top file's, the working folder, and any configured.

    ``DCSIM_EXTENDS_ROOT`` adds folders (separated by the system path separator), so that a
    scenario handed to you cannot read arbitrary files on the machine through ``extends:``.
    """
    extra = [Path(p) for p in os.environ.get(EXTENDS_ROOT_VARIABLE, "").split(os.pathsep) if p]
    return [folder.resolve() for folder in (top.parent, Path.cwd(), *extra)]


def _parent_file(path: Path, parent: Any, roots: list[Path]) -> Path:
    """The file an ``extends:`` names, checked to exist and to lie inside the allowed folders."""
    if not isinstance(parent, str) or not parent.strip():
        raise ConfigError(f"{path}: extends: must be a file path")
    target = (path.parent / parent).resolve()
    if not any(target.is_relative_to(root) for root in roots):
        raise ConfigError(
            f"{path}: extends: {parent}: outside the scenario's folder {roots[0]} and the working "
            f"folder; set {EXTENDS_ROOT_VARIABLE} to a folder holding it to allow this"
        )
    if not target.is_file():
        raise ConfigError(f"{path}: extends: {parent}: file not found")
    return target


def resolve(
    path: Path, seen: tuple[Path, ...] = (), roots: list[Path] | None = None
) -> tuple[dict[str, Any], list[Path]]:
    """Follow ``extends:`` chains; return the merged raw document and the files it came from."""
    path = path.resolve()
    roots = extends_roots(path) if roots is None else roots
    if path in seen:
        raise ConfigError(f"{seen[-1]}: extends: circular chain of scenario files")
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{seen[-1]}: extends: a chain of more than {MAX_EXTENDS} files")
    document = read_yaml(path)
    _anchor_draws_file(document, path)
    parent = document.pop("extends", None)
    if parent is None:
        return document, [path]
    base, files = resolve(_parent_file(path, parent, roots), (*seen, path), roots)
    base.pop("title", None)  # a title labels its own file's scenario, not the ones extending it
    return deep_merge(base, document), [*files, path]


def _anchor_draws_file(document: dict[str, Any], path: Path) -> None:
    """A ``parameter_draws.file`` is relative to the YAML naming it, wherever dcsim runs from."""
    draws = document.get("parameter_draws")
    if isinstance(draws, dict) and isinstance(draws.get("file"), str):
        draws["file"] = str(path.parent / draws["file"])


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem, as ``file: path.to.field: message``."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check spelling; see docs/yaml-reference.md)"
        lines.append(f"{source}: {field}: {message}")
    return "\n".join(lines)


def validate(document: dict[str, Any], source: str) -> ServiceConfig:
    """Validate a raw document, raising ``ConfigError`` with file-and-field messages."""
    try:
        config = ServiceConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(format_validation_error(source, error)) from None
    calendar = calendar_for(config.service)
    try:
        phases = build_phases(config, calendar)
        build_posts(config, calendar)
    except (PhaseError, StaffingError) as error:
        raise ConfigError(f"{source}: {error}") from None
    _check_size(config, phases, calendar, source)
    _check_events_in_horizon(config, source)
    return config


def _check_events_in_horizon(config: ServiceConfig, source: str) -> None:
    """Refuse an event dated after the horizon: it would change nothing, without a word.

    Checked on files (and sweeps, levers), not in the schema: fitting and goal checks
    simulate shortened horizons of a valid service on purpose.
    """
    end = horizon_end(config.service.start_date, config.service.horizon_months)
    for number, event in enumerate(config.events):
        if end is None:
            break
        last = end - dt.timedelta(days=1)
        if event.date >= end:
            raise ConfigError(
                f"{source}: events.{number}: {event.date} is after the horizon, which ends {last}"
            )
        sweep = event.validation_sweep
        final = event.date + dt.timedelta(days=sweep.round_days()[-1]) if sweep else event.date
        if sweep and final >= end:  # a round past the horizon would remove nobody, without a word
            raise ConfigError(
                f"{source}: events.{number}.validation_sweep: round {sweep.rounds} falls on {final}, "
                f"after the horizon, which ends {last}; use fewer rounds or a shorter every_weeks"
            )


def _check_size(config: ServiceConfig, phases: list, calendar: Calendar, source: str) -> None:
    """Refuse a service too large to simulate (demand x multipliers x growth over the horizon)."""
    expected = expected_daily_referrals(phases, calendar, phase_of_day(phases, calendar.n_days)).sum()
    total = expected + config.initial_state.patients
    if not total <= MAX_PATIENTS:
        raise ConfigError(
            f"{source}: demand: about {total:,.0f} referrals and patients over the horizon; at most "
            f"{MAX_PATIENTS:,} can be simulated in one replication (check monthly_rate, multiplier, "
            "seasonality, annual_trend and horizon_months)"
        )


def load_config(path: str | Path) -> ServiceConfig:
    """Load a baseline or scenario YAML (following ``extends:``) into a validated config."""
    document, _ = resolve(Path(path))
    if "portfolio" in document:
        raise ConfigError(
            f"{path}: portfolio: a portfolio stands for several services; run it with `dcsim run` "
            "(Python: sim.api.run_portfolio)"
        )
    if "sweep" in document:
        raise ConfigError(
            f"{path}: sweep: a sweep stands for several scenarios; run it with `dcsim compare` "
            "(Python: sim.engine.sweep.load_scenarios)"
        )
    return validate(document, str(path))


def scenario_files(path: str | Path) -> list[Path]:
    """The chain of files a scenario is built from, baseline first."""
    return resolve(Path(path))[1]


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, recorded in run manifests."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
