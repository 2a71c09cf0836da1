"""Calibrated parameter draws carried into runs: one parameter set per replication.

``dcsim calibrate`` keeps draws of the fitted fields from its posterior and writes them as a
CSV: a ``draw`` column, one column per fitted field named by its dotted path (as ``--fit``
names it: ``job_plans.band6.non_clinical_share``, ``workforce.band6.wte``,
``events.<label>.add_staff.wte``) and optionally a ``weight`` column. An event's date
(``events.<label>.date``) is drawn as a whole number of months after ``service.start_date``,
as ``calibrate`` fits it: 6 is the first of October for a service starting in April. A scenario refers to
it with ``parameter_draws: {file: draws.csv, use: true}``, and every replication of
``run``, ``compare``, ``solve`` and ``sensitivity`` then runs with one draw's values set on
the scenario, so the bands carry the parameter uncertainty the calibration found.

Replication ``r`` takes the draw picked by its own ``parameter_draws`` stream, keyed by the
seed and ``r`` alone (``sim.engine.streams``): it gets the same draw in every scenario, lever value
and sensitivity variant, so common random numbers hold for parameters as for arrivals.
Drawn values replace the scenario's own for those fields; a solve lever or a varied field
that is also drawn is refused, as the draws would overwrite it.
"""

from __future__ import annotations

import copy
import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError, file_hash, validate
from sim.engine.streams import stream
from sim.engine.sweep import FieldError, apply_value, event_date, get_field, is_event_date

RESERVED = ("draw", "weight")
NOT_DRAWN = ("extends", "sweep", "parameter_draws")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class DrawTable:
    """The draws of a file, checked against a scenario: one row of field values per draw."""

    path: Path
    sha256: str
    fields: tuple[str, ...]
    values: tuple[tuple[float | int, ...], ...]
    ids: tuple[str, ...]
    cumulative: tuple[float, ...]  # normalised cumulative weights, last exactly 1

    @property
    def weighted(self) -> bool:
        steps = np.diff((0.0, *self.cumulative))
        return not np.allclose(steps, 1 / len(steps))

    def index_for(self, seed: int, replication: int) -> int:
        """The draw replication ``replication`` runs with: one uniform from its own stream."""
        u = stream(seed, replication, "parameter_draws").random()
        return min(int(np.searchsorted(self.cumulative, u, side="right")), len(self.values) - 1)

    def changes(self, index: int) -> dict[str, float | int]:
        return dict(zip(self.fields, self.values[index], strict=True))

    def info(self) -> dict[str, Any]:
        """What a manifest records: the file, its hash, the drawn fields."""
        return {
            "file": str(self.path.resolve()),
            "sha256": self.sha256,
            "draws": len(self.values),
            "fields": list(self.fields),
            "weighted": self.weighted,
            "used": True,
        }


class _Problems(list):
    def add(self, message: str) -> None:
        self.append(message)

    def raise_if_any(self) -> None:
        if self:
            more = len(self) - MAX_PROBLEMS
            raise ConfigError(
                "\n".join(self[:MAX_PROBLEMS] + ([f"... and {more} more problems"] if more > 0 else []))
            )


def _read_rows(path: Path, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (lower-cased, stripped) and the non-blank rows with their line numbers."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [c.strip() for c in next(reader, [])]
            rows = [
                (reader.line_num, [c.strip() for c in cells])
                for cells in reader
                if any(c.strip() for c in cells)
            ]
    except FileNotFoundError:
        raise ConfigError(f"{source}: parameter_draws.file: {path}: file not found") from None
    except OSError as error:
        raise ConfigError(f"{source}: parameter_draws.file: {path}: cannot read: {error.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not a readable CSV file: {error}") from None
    return header, rows


def _check_header(header: list[str], document: dict[str, Any], path: Path) -> list[str]:
    """The field columns; each must name a number in the scenario."""
    if "draw" not in header:
        raise ConfigError(f"{path}: column draw: required but missing")
    problems = _Problems()
    seen: set[str] = set()
    for column in header:
        if not column or column in seen:
            problems.add(f"{path}: column {column!r}: {'appears twice' if column else 'empty column name'}")
        seen.add(column)
    fields = [c for c in header if c and c not in RESERVED]
    if not fields:
        problems.add(f"{path}: no field columns (one column per drawn field, named by its dotted path)")
    for column in fields:
        value = get_field(document, column) if column.split(".")[0] not in NOT_DRAWN else None
        if is_event_date(column) and isinstance(value, str):
            continue  # drawn as months after the start
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = "no such field" if value is None else f"is {value!r}, not a number"
            problems.add(f"{path}: column {column}: not a numeric field of the scenario ({shown})")
    problems.raise_if_any()
    return fields


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_rows(
    rows, header, fields, document, path
) -> tuple[list[tuple], list[str], list[float], list[int]]:
    problems = _Problems()
    values, ids, weights, lines = [], [], [], []
    integer = {f: isinstance(get_field(document, f), int) or is_event_date(f) for f in fields}
    for line, cells in rows:
        cells = (cells + [""] * len(header))[: len(header)]
        cell = dict(zip(header, cells, strict=True))
        row = []
        for column in fields:
            try:
                value = _number(cell[column])
            except ValueError:
                problems.add(f"{path}: row {line}, column {column}: not a number: {cell[column]!r}")
                continue
            if is_event_date(column) and not value.is_integer():
                problems.add(
                    f"{path}: row {line}, column {column}: not a whole number of months: {cell[column]!r}"
                )
                continue
            row.append(int(value) if integer[column] and value.is_integer() else value)
        weight = 1.0
        if "weight" in cell:
            try:
                weight = _number(cell["weight"])
            except ValueError:
                weight = -1.0
            if weight < 0:
                problems.add(
                    f"{path}: row {line}, column weight: not a non-negative number: {cell['weight']!r}"
                )
        values.append(tuple(row))
        ids.append(cell["draw"] or str(line))
        weights.append(weight)
        lines.append(line)
    problems.raise_if_any()
    if not values:
        raise ConfigError(f"{path}: no draws (the file has a header but no rows)")
    if sum(weights) <= 0:
        raise ConfigError(f"{path}: column weight: the weights add up to 0")
    return values, ids, weights, lines


def _check_draws(document, fields, values, lines, path) -> None:
    """Every draw, set on the scenario, must give a valid service."""
    problems = _Problems()
    for line, row in zip(lines, values, strict=True):
        try:
            apply_draw(document, dict(zip(fields, row, strict=True)), f"{path}: row {line}")
        except ConfigError as error:
            problems.add(str(error))
    problems.raise_if_any()


def apply_draw(document: dict[str, Any], changes: dict[str, Any], source: str) -> ServiceConfig:
    """The validated service with one draw's values set on a copy of ``document``."""
    changed = copy.deepcopy(document)
    for path, value in changes.items():
        if is_event_date(path):
            value = event_date(document, value)
        try:
            apply_value(changed, path, value)
        except FieldError as error:
            raise ConfigError(f"{source}, column {path}: {error}") from None
    return validate(changed, source)


def read_draws(config: ServiceConfig, source: str) -> DrawTable:
    """The draws file a service names, checked: columns are numeric fields, every draw validates."""
    spec = config.parameter_draws
    if spec is None:
        raise ConfigError(f"{source}: parameter_draws: not given")
    path = Path(spec.file)
    document = config.model_dump(mode="json")
    header, rows = _read_rows(path, source)
    fields = _check_header(header, document, path)
    values, ids, weights, lines = _parse_rows(rows, header, fields, document, path)
    _check_draws(document, fields, values, lines, path)
    cumulative = np.cumsum(weights) / sum(weights)
    cumulative[-1] = 1.0
    return DrawTable(
        path, file_hash(path), tuple(fields), tuple(values), tuple(ids), tuple(cumulative.tolist())
    )


def draws_in_use(
    config: ServiceConfig, use: bool = True, source: str = ""
) -> tuple[DrawTable | None, dict | None]:
    """The draws a run uses (None when absent or turned off) and what the manifest records."""
    spec = config.parameter_draws
    if spec is None:
        return None, None
    if not (use and spec.use):
        why = "--no-parameter-draws" if not use else "parameter_draws.use: false"
        return None, {"file": str(Path(spec.file).resolve()), "used": False, "reason": why}
    table = read_draws(config, source or config.service.name)
    return table, table.info()


def refuse_drawn(config: ServiceConfig, paths: list[str], what: str, use: bool = True) -> None:
    """A field changed by ``what`` (a lever, a varied field) must not also be drawn."""
    spec = config.parameter_draws
    if spec is None or not (use and spec.use):
        return
    header, _ = _read_rows(Path(spec.file), what)
    for path in paths:
        if path in header and path not in RESERVED:
            raise ConfigError(
                f"{what}: {path}: is drawn from {spec.file}, which would overwrite it in every "
                "replication; vary it with --no-parameter-draws (or parameter_draws.use: false)"
            )
