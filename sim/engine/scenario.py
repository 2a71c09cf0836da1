"""Reading service and scenario YAML files into a validated ``ServiceConfig``.

A baseline file describes a whole service. A scenario file names ``extends: <path>``
(relative to itself) and changes it: mappings merge key by key, scalars and lists replace,
except ``events``, which are appended to the baseline's events so that a scenario adds
dated changes to those the service already has, and ``title``, which is not inherited.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.engine.calendar import calendar_for
from sim.engine.capacity import StaffingError, build_posts
from sim.engine.config import ServiceConfig
from sim.engine.timeline import PhaseError, build_phases

APPENDED_LISTS = ("events",)


class ConfigError(Exception):
    """A scenario or data file is invalid; the message names the file and the field."""


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
    """Parse one YAML mapping with ``safe_load``, reporting syntax errors against the file."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f"line {where.line + 1}: " if where else ""
        raise ConfigError(f"{path}: {line}not valid YAML: {getattr(error, 'problem', error)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return document


def resolve(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    """Follow ``extends:`` chains; return the merged raw document and the files it came from."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: extends: circular chain of scenario files")
    document = read_yaml(path)
    _anchor_draws_file(document, path)
    parent = document.pop("extends", None)
    if parent is None:
        return document, [path]
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: must be a file path")
    base, files = resolve(path.parent / parent, (*seen, path))
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
        build_phases(config, calendar)
        build_posts(config, calendar)
    except (PhaseError, StaffingError) as error:
        raise ConfigError(f"{source}: {error}") from None
    return config


def load_config(path: str | Path) -> ServiceConfig:
    """Load a baseline or scenario YAML (following ``extends:``) into a validated config."""
    document, _ = resolve(Path(path))
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
