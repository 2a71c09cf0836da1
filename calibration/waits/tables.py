"""Published waits in CSV: the CHS wide file (``chs_england_therapy_wide.csv.gz``) and plain band CSVs.

Every cell is checked; a cell that cannot be read stops the read with
``file: row N, column C: message`` (N as a spreadsheet numbers rows: the header is row 1).
Negative counts are not an error here: they are real submissions, reported per month as a
``negative`` problem by ``calibration.waits.history``.

CHS bands are counted in days waited: wk_0_1 is 0-7 days, wk_1_2 8-14, wk_2_4 15-28,
wk_4_12 29-84, wk_12_18 85-126, wk_18_52 127-364 and over 52 weeks 365 days and more, so
each band holds waits from its lower week edge up to its upper one, and a count "over 18
weeks" is the sum of the bands from the 18-week edge up.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pandas as pd

from calibration.cells import MAX_VALUE, DataError, Problems, csv_rows, plain
from calibration.waits.history import WaitsError
from calibration.waits.panel import Panel, band_column_names

CHS_EDGES = (0.0, 1.0, 2.0, 4.0, 12.0, 18.0, 52.0, math.inf)
CHS_BANDS = ("wk_0_1", "wk_1_2", "wk_2_4", "wk_4_12", "wk_12_18", "wk_18_52")
CHS_OVER_52 = "wk_over_52"
CHS_SPLIT_52 = ("wk_52_104", "wk_over_104")  # published from December 2024 instead of wk_over_52
CHS_TOTAL = "waiting_total"
PLAIN_BAND = re.compile(r"(?:band|wk)_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?|inf|plus)")
PLAIN_OVER = re.compile(r"(?:band|wk)_over_(\d+(?:\.\d+)?)")
PLAIN_TOTALS = ("total", "waiting")
# Columns of dcsim's monthly history format that a plain waits file may also carry: read past.
PLAIN_IGNORED = re.compile(
    r"referrals|breaches|actual_breaches|first_contacts|wte|projected_breaches(_no_plan)?"
    r"|(trajectory|projected)(_[a-z0-9_]+)?"
)


def _fast_table(text: str) -> pd.DataFrame | None:
    """The table by pandas' C parser, when every record is one line (so row numbers are exact).

    None when a quoted cell spans lines or rows are ragged: the careful reader below then
    numbers rows as the csv module sees them and names the row that is wrong. This path exists for
    speed: the CHS wide file has 34,000 rows.
    """
    if text.count("\r") != text.count("\r\n"):
        return None  # old Mac line ends: the csv module numbers those rows
    try:
        table = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            header=None,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(table) != lines or len(table) < 1:
        return None
    table = table.astype(object)
    header = [str(c) for c in table.iloc[0]]
    body = table.iloc[1:]
    body.index = pd.RangeIndex(2, len(table) + 1, name="row")
    stripped = body.apply(lambda column: column.str.strip())
    stripped.columns = [c.strip().lower() for c in header]
    if any(not c for c in stripped.columns) or stripped.columns.duplicated().any():
        return None  # the careful reader names the header problem
    return stripped[(stripped != "").any(axis=1)].astype(object)


def csv_table(text: str, source: str) -> pd.DataFrame:
    """A CSV as stripped strings indexed by row number (header = row 1), lower-case column names."""
    fast = _fast_table(text)
    if fast is not None:
        return fast
    # strict: a quote left open is an error
    header, rows, lines = csv_rows(text, source, strict=True, error=WaitsError)
    if not header or not any(c.strip() for c in header):
        raise WaitsError(f"{source}: the file is empty (a header row is needed)")
    columns = [c.strip().lower() for c in header]
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        if not column:
            raise WaitsError(f"{source}: row 1, column {number}: empty column name in the header")
        if column in seen:
            raise WaitsError(f"{source}: row 1, column {column}: appears twice in the header")
        seen.add(column)
    width = len(columns)
    problems = Problems(source)
    for line, cells in zip(lines, rows, strict=True):
        if any(c.strip() for c in cells[width:]):
            problems.add(line, None, f"{len(cells)} cells but the header has {width} columns")
    raise_problems(problems)
    padded = [[c.strip() for c in (cells + [""] * width)[:width]] for cells in rows]
    return pd.DataFrame(padded, columns=columns, index=pd.Index(lines, name="row"), dtype=object)


def raise_problems(problems: Problems) -> None:
    """``Problems.raise_if_any`` as a ``WaitsError``."""
    if problems.messages:
        try:
            problems.raise_if_any()
        except DataError as error:  # re-raised as the waits reader's own error
            raise WaitsError(str(error)) from None


def parse_counts(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    """Whole numbers (negative allowed: reported later as a problem); blank cells become NaN."""
    text = table[column].astype(str).str.replace(",", "", regex=False)  # "1,234" from Excel
    given = text != ""
    values = pd.to_numeric(text.where(given), errors="coerce").astype(float)
    for row in values.index[given & ~np.isfinite(values)]:
        problems.add(row, column, f"not a number: {table.at[row, column]!r}")
    finite = np.isfinite(values)
    for row in values.index[finite & (values.abs() > MAX_VALUE)]:
        problems.add(row, column, f"{table.at[row, column]} is larger than {MAX_VALUE:,.0f}")
    for row in values.index[finite & (values != np.floor(values))]:
        problems.add(row, column, f"not a whole number: {plain(values[row])}")
    return values


def parse_months(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    """``YYYY-MM`` text (a date such as 2024-03-31 or 2024-03-01 is read as its month)."""
    text = table[column].astype(str)
    month = text.str.extract(r"^(\d{4}-(?:0[1-9]|1[0-2]))(?:-(?:0[1-9]|[12]\d|3[01]))?$", expand=False)
    for row in month.index[month.isna()]:
        problems.add(row, column, f"not a month: {table.at[row, column]!r} (use YYYY-MM)")
    return month


def _require(table: pd.DataFrame, source: str, columns: tuple[str, ...], what: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise WaitsError(f"{source}: column {column}: required in {what} but missing")


def is_chs_wide(table: pd.DataFrame) -> bool:
    return {"month", "service", CHS_TOTAL} <= set(table.columns) and bool(
        {"org_code", "org_name"} & set(table.columns)
    )


def chs_wide_panel(table: pd.DataFrame, source: str) -> Panel:
    """The CHS wide file: one row per month x organisation x service, bands in days (see above).

    The 52-week-and-over band is published as ``wk_over_52`` up to November 2024 and split into
    ``wk_52_104`` and ``wk_over_104`` from December 2024. They are always merged into one
    52+ band, so that every month of a series has the same band edges
    (0, 1, 2, 4, 12, 18, 52, inf weeks).
    """
    what = "the CHS wide file"
    _require(table, source, ("month", "org_code", "org_name", "service", CHS_TOTAL, *CHS_BANDS), what)
    if CHS_OVER_52 not in table.columns and not set(CHS_SPLIT_52) <= set(table.columns):
        raise WaitsError(
            f"{source}: column {CHS_OVER_52}: required in {what} (or both {' and '.join(CHS_SPLIT_52)})"
        )
    problems = Problems(source)
    frame = pd.DataFrame(index=table.index)
    frame["month"] = parse_months(table, "month", problems)
    for column in ("org_type", "org_code", "org_name", "service"):
        frame[column] = table[column].astype(str) if column in table.columns else ""
    frame["total"] = parse_counts(table, CHS_TOTAL, problems)
    names = band_column_names(CHS_EDGES)
    for name, column in zip(names, CHS_BANDS, strict=False):
        frame[name] = parse_counts(table, column, problems)
    over = parse_counts(table, CHS_OVER_52, problems) if CHS_OVER_52 in table.columns else None
    split = [parse_counts(table, c, problems) for c in CHS_SPLIT_52 if c in table.columns]
    raise_problems(problems)
    merged = split[0] + split[1] if len(split) == 2 else pd.Series(np.nan, index=table.index)
    frame[names[-1]] = merged if over is None else over.where(over.notna(), merged)
    unnamed = (frame["org_code"] == "") & (frame["org_name"] == "")
    for row in frame.index[unnamed][:1]:
        raise WaitsError(f"{source}: row {row}, column org_name: no org_code or org_name")
    return Panel(source, CHS_EDGES, frame.reset_index(drop=True))


def plain_edges(table: pd.DataFrame, source: str) -> list[tuple[str, float, float]]:
    """The band columns of a plain CSV as (column, from, to), checked to tile 0 weeks to open-ended."""
    bands = []
    for column in table.columns:
        if match := PLAIN_BAND.fullmatch(column):
            upper = math.inf if match[2] in ("inf", "plus") else float(match[2])
            bands.append((column, float(match[1]), upper))
        elif match := PLAIN_OVER.fullmatch(column):
            bands.append((column, float(match[1]), math.inf))
    if not bands:
        raise WaitsError(
            f"{source}: no band columns (name them by weeks waited, from_to: band_0_14, band_14_inf "
            "or wk_0_14, wk_14_inf)"
        )
    bands.sort(key=lambda band: (band[1], band[2]))
    for (name, low, high), following in zip(bands, [*bands[1:], None], strict=True):
        if high <= low:
            raise WaitsError(f"{source}: column {name}: the upper edge must exceed the lower")
        if following is None:
            if math.isfinite(high):
                raise WaitsError(
                    f"{source}: column {name}: the last band must be open-ended "
                    f"(e.g. band_{plain(high)}_inf), so that every waiting patient is in a band"
                )
        elif following[1] != high:
            relation = (
                "overlaps" if following[1] < high else f"leaves a gap before (from {plain(high)} weeks)"
            )
            raise WaitsError(f"{source}: column {following[0]}: {relation} the band {name}")
    if bands[0][1] != 0:
        raise WaitsError(f"{source}: column {bands[0][0]}: the first band must start at 0 weeks")
    return bands


def plain_panel(table: pd.DataFrame, source: str) -> Panel:
    """A plain CSV: ``month``, band columns with any edges, optional ``total`` (or ``waiting``)."""
    _require(table, source, ("month",), "a waits file")
    bands = plain_edges(table, source)
    band_names = {name for name, _, _ in bands}
    totals = [c for c in PLAIN_TOTALS if c in table.columns]
    if len(totals) > 1:
        raise WaitsError(f"{source}: column waiting: means the total, which column total also gives")
    for column in table.columns:
        if column not in {"month", *band_names, *totals} and not PLAIN_IGNORED.fullmatch(column):
            raise WaitsError(
                f"{source}: column {column}: unknown column (expected month, total or waiting, and band "
                "columns such as band_0_14, band_14_inf)"
            )
    problems = Problems(source)
    frame = pd.DataFrame(index=table.index)
    frame["month"] = parse_months(table, "month", problems)
    for column in ("org_type", "org_code", "org_name", "service"):
        frame[column] = ""
    frame["total"] = parse_counts(table, totals[0], problems) if totals else np.nan
    edges = tuple([low for _, low, _ in bands] + [math.inf])
    for name, (column, _, _) in zip(band_column_names(edges), bands, strict=True):
        frame[name] = parse_counts(table, column, problems)
    raise_problems(problems)
    return Panel(source, edges, frame.reset_index(drop=True), single=True)
