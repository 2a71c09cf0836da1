"""Reading a service's history: monthly aggregates and patient-level extracts.

Both readers check every cell and report problems as ``file: row N, column C: message``,
where N is the line number in the file (the header is line 1), as an analyst counts rows
in a spreadsheet. Problems that make a file unusable raise ``DataError``, which the CLI
treats like a bad scenario file (exit 2, no traceback). Patient rows that are readable but
internally inconsistent are excluded and listed in an ``ExclusionReport``, never dropped
silently. Referral identifiers are used only to spot duplicates and never leave this module.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.input_files import decode_table_text, read_bytes
from sim.engine.scenario import ConfigError

MAX_PROBLEMS = 20
MAX_DATA_BYTES = 200_000_000  # about a million patient rows
MAX_VALUE = 1e9  # no count or measure of one service comes near this
MONTHLY_ALIASES = {"actual_breaches": "breaches", "projected_breaches_no_plan": "projected_breaches"}
MONTHLY_COUNTS = ("referrals", "waiting", "breaches", "first_contacts")
MONTHLY_MEASURES = ("wte", "projected_breaches")  # non-negative, may be fractional
BAND_COLUMN = re.compile(r"band_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?|plus)")
EXTRACT_DATES = ("referral_date", "triage_date", "first_contact_date", "discharge_date")
EXTRACT_REQUIRED = ("referral_date", "priority", *EXTRACT_DATES[1:], "triage_outcome")
EXTRACT_OPTIONAL = ("referral_id", "source", "followup_contacts", "followup_dates", "dna_count")
NOT_ACCEPTED = ("reject", "signpost")
DATE_FORMATS = (  # NHS extracts come with ISO or UK day-first dates, sometimes with a time
    (r"^(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]*)?$", "%Y-%m-%d"),
    (r"^(\d{1,2}/\d{1,2}/\d{4})(?: [\d:.]*)?$", "%d/%m/%Y"),
)


class DataError(ConfigError):
    """A history file cannot be used; the message names file, row and column."""


class Problems:
    """Collects cell problems so one run reports all of them (up to a limit), not just the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []

    def add(self, row: int | None, column: str | None, message: str) -> None:
        where = [f"row {row}" if row is not None else "", f"column {column}" if column else ""]
        place = ", ".join(w for w in where if w)
        self.messages.append(f"{self.source}: {place + ': ' if place else ''}{message}")

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        shown = self.messages[:MAX_PROBLEMS]
        more = len(self.messages) - len(shown)
        raise DataError("\n".join(shown + ([f"... and {more} more problems"] if more else [])))


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV as strings, indexed by line number, with lower-case column names; blank lines skipped."""
    source = str(path)
    try:  # bounded, regular files only, UTF-8 (a BOM, as Excel writes, allowed)
        text = decode_table_text(read_bytes(Path(path), MAX_DATA_BYTES, "data file"), source)
    except ConfigError as error:
        raise DataError(str(error)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []
    try:
        header = next(reader, None)
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append(cells)
                lines.append(reader.line_num)
    except csv.Error as error:
        raise DataError(f"{source}: row {reader.line_num}: not readable as CSV: {error}") from None
    if not header:
        raise DataError(f"{source}: the file is empty (a header row is needed)")
    columns = [c.strip().lower() for c in header]
    _check_header(source, columns)
    width = len(columns)
    problems = Problems(source)
    for line, cells in zip(lines, rows, strict=True):
        if any(c.strip() for c in cells[width:]):
            problems.add(line, None, f"{len(cells)} cells but the header has {width} columns")
    problems.raise_if_any()
    padded = [[c.strip() for c in (cells + [""] * width)[:width]] for cells in rows]
    table = pd.DataFrame(padded, columns=columns, index=pd.Index(lines, name="row"), dtype=object)
    return table


def _check_header(source: str, columns: list[str]) -> None:
    seen = set()
    for column in columns:
        if not column:
            raise DataError(f"{source}: the header has an empty column name")
        if column in seen:
            raise DataError(f"{source}: column {column}: appears twice in the header")
        seen.add(column)


def _present(table: pd.DataFrame, column: str) -> pd.Series:
    return table[column].astype(str).str.len() > 0


def parse_numbers(
    table: pd.DataFrame, column: str, problems: Problems, whole: bool = True
) -> pd.Series:
    """Non-negative numbers (whole numbers for counts); empty cells become NaN."""
    text = table[column].astype(str).str.replace(",", "", regex=False)  # "1,234" from Excel
    given = _present(table, column)
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    for row in values.index[given & ~np.isfinite(values)]:
        problems.add(row, column, f"not a number: {table.at[row, column]!r}")
    for row in values.index[values < 0]:
        problems.add(row, column, f"negative {'count' if whole else 'value'} {_plain(values[row])}")
    for row in values.index[np.isfinite(values) & (values > MAX_VALUE)]:
        problems.add(row, column, f"{table.at[row, column]} is larger than {MAX_VALUE:,.0f}")
    if whole:
        fractional = (values >= 0) & np.isfinite(values) & (values != np.floor(values))
        for row in values.index[fractional]:
            problems.add(row, column, f"not a whole number: {_plain(values[row])}")
    return values


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_dates(text: pd.Series) -> pd.Series:
    """Dates from ISO (2024-03-31, any time after it ignored) or UK day-first (31/03/2024) text.

    NaT where neither fits: a bare "2024" or "2024-03" is not silently read as the 1st.
    """
    parsed = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    for pattern, form in DATE_FORMATS:  # positional, as an exploded index repeats labels
        match = text.str.extract(pattern, expand=False).to_numpy()
        fits = pd.notna(match) & np.isnat(parsed)
        if fits.any():
            attempt = pd.to_datetime(pd.Series(match[fits]), format=form, errors="coerce")
            parsed[fits] = attempt.to_numpy(dtype="datetime64[ns]")
    return pd.Series(parsed, index=text.index)


def _parse_date_column(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    dates = parse_dates(table[column].astype(str))
    for row in dates.index[dates.isna() & _present(table, column)]:
        problems.add(row, column, f"not a date: {table.at[row, column]!r} (use YYYY-MM-DD)")
    return dates


# --- monthly aggregates -------------------------------------------------------------------


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
        if column not in known and not BAND_COLUMN.fullmatch(column):
            expected = ", ".join(sorted(known)) + ", band_<from>_<to>"
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
                row, names["breaches"], f"{_plain(frame.at[row, 'breaches'])} breaches exceed "
                f"{_plain(frame.at[row, 'waiting'])} waiting"
            )
    bands = [name for name, _, _ in band_columns(frame)]
    if bands and "waiting" in frame.columns:
        banded = frame[bands].sum(axis=1, min_count=1)
        for row in frame.index[banded > frame["waiting"]]:
            problems.add(
                row, names["waiting"], f"bands add up to {_plain(banded[row])}, more than "
                f"{_plain(frame.at[row, 'waiting'])} waiting"
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
        whole = MONTHLY_ALIASES.get(column, column) not in MONTHLY_MEASURES
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


# --- patient-level extracts ---------------------------------------------------------------


@dataclass
class ExclusionReport:
    """Patient rows left out of estimation, by reason, with their row (line) numbers.

    Each excluded row is counted once, under the first reason found, so counts add up.
    """

    source: str
    rows_read: int = 0
    rows: dict[str, list[int]] = field(default_factory=dict)

    def add(self, reason: str, rows: list[int]) -> None:
        if rows:
            self.rows.setdefault(reason, []).extend(int(r) for r in rows)

    @property
    def counts(self) -> dict[str, int]:
        return {reason: len(rows) for reason, rows in self.rows.items()}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_kept(self) -> int:
        return self.rows_read - self.total

    def summary(self) -> str:
        lines = [
            f"{self.source}: {self.rows_read} rows read, {self.total} excluded, "
            f"{self.rows_kept} kept"
        ]
        for reason, rows in self.rows.items():
            shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
            lines.append(f"  {reason}: {len(rows)} (rows {shown})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _check_extract_columns(table: pd.DataFrame, source: str) -> None:
    for column in table.columns:
        if column not in (*EXTRACT_REQUIRED, *EXTRACT_OPTIONAL):
            expected = ", ".join((*EXTRACT_REQUIRED, *EXTRACT_OPTIONAL))
            raise DataError(f"{source}: column {column}: unknown column (expected {expected})")
    for column in EXTRACT_REQUIRED:
        if column not in table.columns:
            raise DataError(f"{source}: column {column}: required but missing")
    if "followup_contacts" not in table.columns and "followup_dates" not in table.columns:
        raise DataError(f"{source}: column followup_contacts: give it or followup_dates")


def _parse_followup_dates(table: pd.DataFrame, problems: Problems) -> pd.Series:
    """Semicolon-separated dates per row as sorted tuples of timestamps."""
    parts = table["followup_dates"].astype(str).str.split(";").explode().str.strip()
    parts = parts[parts != ""]
    dates = parse_dates(parts)
    for row, part in parts[dates.isna()].items():
        problems.add(row, "followup_dates", f"not a date: {part!r} (use YYYY-MM-DD)")
    grouped = dates.dropna().groupby(level=0).agg(lambda d: tuple(sorted(d)))
    empty = pd.Series([()] * len(table), index=table.index, dtype=object)
    empty.update(grouped)
    return empty


def _required_text(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    text = table[column].astype(str).str.lower()  # "Urgent" and "urgent" are one priority
    for row in text.index[text == ""]:
        problems.add(row, column, "empty (required)")
    return text


def _parse_extract(table: pd.DataFrame, source: str) -> pd.DataFrame:
    problems = Problems(source)
    frame = pd.DataFrame(index=table.index)
    frame["referral_date"] = _parse_date_column(table, "referral_date", problems)
    for row in frame.index[~_present(table, "referral_date")]:
        problems.add(row, "referral_date", "empty (required)")
    frame["priority"] = _required_text(table, "priority", problems)
    if "source" in table.columns:
        frame["source"] = table["source"].astype(str).str.lower().replace("", np.nan)
    frame["triage_date"] = _parse_date_column(table, "triage_date", problems)
    frame["triage_outcome"] = table["triage_outcome"].astype(str).str.lower().replace("", np.nan)
    frame["first_contact_date"] = _parse_date_column(table, "first_contact_date", problems)
    if "followup_contacts" in table.columns:
        frame["followup_contacts"] = parse_numbers(table, "followup_contacts", problems)
    if "followup_dates" in table.columns:
        frame["followup_dates"] = _parse_followup_dates(table, problems)
    frame["discharge_date"] = _parse_date_column(table, "discharge_date", problems)
    if "dna_count" in table.columns:
        frame["dna_count"] = parse_numbers(table, "dna_count", problems)
    problems.raise_if_any()
    return frame


def _inconsistencies(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Reasons a row cannot be trusted, each as a boolean mask (NaT comparisons are False)."""
    referral, triage = frame["referral_date"], frame["triage_date"]
    first, discharge = frame["first_contact_date"], frame["discharge_date"]
    outcome = frame["triage_outcome"]
    count = frame["followup_contacts"]
    reasons = {
        "triage before referral": triage < referral,
        "first contact before referral": first < referral,
        "discharge before referral": discharge < referral,
        "triage outcome without a triage date": outcome.notna() & triage.isna(),
        "triage date without an outcome": triage.notna() & outcome.isna(),
        "first contact without triage": first.notna() & triage.isna(),
        "first contact before triage": first < triage,
        "first contact after reject or signpost": first.notna() & outcome.isin(NOT_ACCEPTED),
        "discharge before first contact": discharge < first,
        "follow-ups without a first contact": (count > 0) & first.isna(),
    }
    if "followup_dates" in frame.columns:
        dates = frame["followup_dates"]
        earliest = pd.to_datetime(dates.map(lambda d: d[0] if d else pd.NaT))
        latest = pd.to_datetime(dates.map(lambda d: d[-1] if d else pd.NaT))
        reasons["follow-up before first contact"] = earliest < first
        reasons["follow-up after discharge"] = latest > discharge
    return reasons


def _reconcile_followups(frame: pd.DataFrame, report: ExclusionReport) -> pd.DataFrame:
    """One follow-up count per row, from the count column or the dates; disagreement excludes."""
    if "followup_dates" not in frame.columns:
        return frame
    from_dates = frame["followup_dates"].map(len).astype(float)
    if "followup_contacts" in frame.columns:
        count = frame["followup_contacts"]
        disagree = count.notna() & (count != from_dates)
        report.add("followup_contacts disagrees with followup_dates", list(frame.index[disagree]))
        frame = frame[~disagree].copy()
        frame["followup_contacts"] = count[~disagree].fillna(from_dates[~disagree])
    else:
        frame["followup_contacts"] = from_dates
    return frame


def _drop_duplicate_referrals(
    table: pd.DataFrame, frame: pd.DataFrame, report: ExclusionReport
) -> pd.DataFrame:
    """Rows repeating an earlier referral_id are excluded (the identifier itself is not kept)."""
    if "referral_id" not in table.columns:
        return frame
    ids = table["referral_id"].astype(str)
    duplicate = ids.duplicated() & (ids != "")
    report.add("duplicate referral_id (later rows)", list(table.index[duplicate]))
    return frame[~duplicate]


def read_extract(path: str | Path) -> tuple[pd.DataFrame, ExclusionReport]:
    """A patient-level extract (one row per referral), validated, and the rows excluded.

    Returns dates as datetime64, ``priority``/``triage_outcome``/``source`` lower-cased,
    ``followup_contacts`` (float, from the count or the dates), ``followup_dates`` (tuples,
    if given) and ``dna_count`` (if given), indexed by line number. ``referral_id`` is not
    returned. Unreadable cells raise ``DataError``; inconsistent rows are excluded.
    """
    source = str(path)
    table = read_table(path)
    _check_extract_columns(table, source)
    report = ExclusionReport(source, rows_read=len(table))
    frame = _parse_extract(table, source)  # every cell must be readable, duplicates too
    frame = _reconcile_followups(_drop_duplicate_referrals(table, frame, report), report)
    frame["followup_contacts"] = frame["followup_contacts"].fillna(0.0)
    excluded = pd.Series(False, index=frame.index)
    for reason, mask in _inconsistencies(frame).items():
        new = mask.fillna(False).astype(bool) & ~excluded
        report.add(reason, list(frame.index[new]))
        excluded |= new
    return frame[~excluded], report
