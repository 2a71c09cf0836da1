"""Reading a service's history: monthly aggregates (here) and patient-level extracts.

Both readers check every cell and report problems as ``file: row N, column C: message``,
where N is the line number in the file (the header is line 1); see ``calibration.cells``.
Patient-level extracts are read by ``calibration.extract`` (re-exported here).
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.cells import DataError, Problems, parse_dates, parse_numbers, plain, read_table
from calibration.extract import NOT_ACCEPTED, ExclusionReport, read_extract

__all__ = [
    "NOT_ACCEPTED",
    "DataError",
    "ExclusionReport",
    "band_columns",
    "parse_dates",
    "read_extract",
    "read_monthly",
]
MONTHLY_ALIASES = {"actual_breaches": "breaches", "projected_breaches_no_plan": "projected_breaches"}
MONTHLY_COUNTS = ("referrals", "waiting", "breaches", "first_contacts")
MONTHLY_MEASURES = ("wte", "projected_breaches")  # non-negative, may be fractional
BAND_COLUMN = re.compile(r"band_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?|plus)")
# Published series drawn beside the model (a plan's trajectory, a projection): any name so started.
TRAJECTORY_COLUMN = re.compile(r"(trajectory|projected)(_[a-z0-9_]+)?")


def band_columns(frame: pd.DataFrame) -> list[tuple[str, float, float]]:
    """Weeks-waiting band columns of a monthly table as (column, from_weeks, to_weeks)."""
    bands = []
    for column in frame.columns:
        match = BAND_COLUMN.fullmatch(column)
        if match:
            upper = np.inf if match[2] == "plus" else float(match[2])
            bands.append((column, float(match[1]), upper))
    return sorted(bands, key=lambda band: band[1])


def _check_monthly_columns(table: pd.DataFrame, source: str) -> None:
    for alias, name in MONTHLY_ALIASES.items():
        if alias in table.columns and name in table.columns:
            raise DataError(f"{source}: column {alias}: means {name}, which is also given")
    table = table.rename(columns=MONTHLY_ALIASES)
    if "month" not in table.columns:
        raise DataError(f"{source}: column month: required (YYYY-MM) but missing")
    known = {"month", *MONTHLY_COUNTS, *MONTHLY_MEASURES}
    for column in table.columns:
        published = BAND_COLUMN.fullmatch(column) or TRAJECTORY_COLUMN.fullmatch(column)
        if column not in known and not published:
            expected = ", ".join(sorted(known)) + ", band_<from>_<to>, trajectory_<name>, projected_<name>"
            raise DataError(f"{source}: column {column}: unknown column (expected {expected})")
    bands = band_columns(table)
    for (name, low, high), (_, next_low, _) in pairwise([*bands, (None, np.inf, None)]):
        if high <= low:
            raise DataError(f"{source}: column {name}: band upper edge must exceed the lower")
        if next_low < high:
            raise DataError(f"{source}: column {name}: overlaps the next band")


def _parse_months(table: pd.DataFrame, problems: Problems) -> pd.Series:
    text = table["month"].astype(str)
    valid = text.str.fullmatch(r"\d{4}-\d{2}")
    months = pd.Series(pd.NaT, index=table.index, dtype="period[M]")
    parsed = pd.PeriodIndex(pd.to_datetime(text[valid], format="%Y-%m", errors="coerce"), freq="M")
    months[valid] = parsed
    for row in months.index[months.isna()]:
        problems.add(row, "month", f"not a month: {table.at[row, 'month']!r} (use YYYY-MM)")
    return months


def _check_month_sequence(months: pd.Series, problems: Problems) -> None:
    """Months must run one after another: no repeats, no going back, then no gaps."""
    before = len(problems.messages)
    seen: dict[pd.Period, int] = {}
    latest: tuple[int, pd.Period] | None = None
    for row, month in months.items():
        if month in seen:
            problems.add(row, "month", f"{month} repeats row {seen[month]}")
        elif latest and month < latest[1]:
            problems.add(row, "month", f"{month} is before {latest[1]} on row {latest[0]}")
        seen.setdefault(month, row)
        if latest is None or month > latest[1]:
            latest = (row, month)
    if len(problems.messages) > before:
        return  # a gap message would only restate the ordering problem
    for (_, previous), (row, month) in pairwise(months.items()):
        if month != previous + 1:
            missing = previous + 1
            gap = str(missing) if month == missing + 1 else f"{missing} to {month - 1}"
            problems.add(row, "month", f"{month} follows {previous}: {gap} missing")


def _check_monthly_totals(frame: pd.DataFrame, problems: Problems, names: dict[str, str]) -> None:
    """Breaches and bands are parts of the waiting list, so cannot exceed it."""
    if {"breaches", "waiting"} <= set(frame.columns):
        over = frame["breaches"] > frame["waiting"]
        for row in frame.index[over]:
            problems.add(
                row, names["breaches"], f"{plain(frame.at[row, 'breaches'])} breaches exceed "
                f"{plain(frame.at[row, 'waiting'])} waiting"
            )
    bands = [name for name, _, _ in band_columns(frame)]
    if bands and "waiting" in frame.columns:
        banded = frame[bands].sum(axis=1, min_count=1)
        for row in frame.index[banded > frame["waiting"]]:
            problems.add(
                row, names["waiting"], f"bands add up to {plain(banded[row])}, more than "
                f"{plain(frame.at[row, 'waiting'])} waiting"
            )


def read_monthly(path: str | Path) -> pd.DataFrame:
    """Monthly aggregates (board papers, national returns) as a validated table.

    Columns: ``month`` ("YYYY-MM" text, as in dcsim's monthly.csv) and whichever of
    referrals, waiting, breaches, first_contacts, wte, projected_breaches and ``band_<a>_<b>``
    weeks-waiting counts the file gives (floats; empty cells are NaN). Indexed by line number.
    """
    source = str(path)
    table = read_table(path)
    _check_monthly_columns(table, source)
    problems = Problems(source)
    months = _parse_months(table, problems)
    frame = pd.DataFrame(index=table.index)
    frame["month"] = months
    for column in table.columns.drop("month"):  # parsed under the file's own names for messages
        name = MONTHLY_ALIASES.get(column, column)
        whole = name not in MONTHLY_MEASURES and not TRAJECTORY_COLUMN.fullmatch(name)
        frame[column] = parse_numbers(table, column, problems, whole=whole)
    problems.raise_if_any()
    names = {MONTHLY_ALIASES.get(c, c): c for c in frame.columns}
    frame = frame.rename(columns=MONTHLY_ALIASES)
    _check_month_sequence(months, problems)
    _check_monthly_totals(frame, problems, names)
    problems.raise_if_any()
    if frame.empty:
        raise DataError(f"{source}: no data rows")
    frame["month"] = months.astype(str)
    return frame
