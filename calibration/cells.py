"""Reading CSV cells: every cell checked, problems named as ``file: row N, column C: message``.

N is the line number in the file (the header is line 1), as an analyst counts rows in a
spreadsheet. Problems that make a file unusable raise ``DataError``, which the CLI treats
like a bad scenario file (exit 2, no traceback).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.input_files import decode_table_text, read_bytes
from sim.engine.scenario import ConfigError

MAX_PROBLEMS = 20
MAX_DATA_BYTES = 200_000_000  # about a million patient rows
MAX_VALUE = 1e9  # no count or measure of one service comes near this
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


def csv_rows(
    text: str, source: str, strict: bool = False, error: type[DataError] = DataError
) -> tuple[list[str] | None, list[list[str]], list[int]]:
    """The header, the non-blank rows and their line numbers; unreadable CSV raises ``error``."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    rows, lines = [], []
    try:
        header = next(reader, None)
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append(cells)
                lines.append(reader.line_num)
    except csv.Error as problem:
        raise error(f"{source}: row {reader.line_num}: not readable as CSV: {problem}") from None
    return header, rows, lines


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV as strings, indexed by line number, with lower-case column names; blank lines skipped."""
    source = str(path)
    try:  # bounded, regular files only, UTF-8 (a BOM, as Excel writes, allowed)
        text = decode_table_text(read_bytes(Path(path), MAX_DATA_BYTES, "data file"), source)
    except ConfigError as error:
        raise DataError(str(error)) from None
    header, rows, lines = csv_rows(text, source)
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


def present(table: pd.DataFrame, column: str) -> pd.Series:
    return table[column].astype(str).str.len() > 0


def parse_numbers(table: pd.DataFrame, column: str, problems: Problems, whole: bool = True) -> pd.Series:
    """Non-negative numbers (whole numbers for counts); empty cells become NaN."""
    text = table[column].astype(str).str.replace(",", "", regex=False)  # "1,234" from Excel
    given = present(table, column)
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    for row in values.index[given & ~np.isfinite(values)]:
        problems.add(row, column, f"not a number: {table.at[row, column]!r}")
    for row in values.index[values < 0]:
        problems.add(row, column, f"negative {'count' if whole else 'value'} {plain(values[row])}")
    for row in values.index[np.isfinite(values) & (values > MAX_VALUE)]:
        problems.add(row, column, f"{table.at[row, column]} is larger than {MAX_VALUE:,.0f}")
    if whole:
        fractional = (values >= 0) & np.isfinite(values) & (values != np.floor(values))
        for row in values.index[fractional]:
            problems.add(row, column, f"not a whole number: {plain(values[row])}")
    return values


def plain(value: float) -> str:
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


def parse_date_column(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    dates = parse_dates(table[column].astype(str))
    for row in dates.index[dates.isna() & present(table, column)]:
        problems.add(row, column, f"not a date: {table.at[row, column]!r} (use YYYY-MM-DD)")
    return dates
