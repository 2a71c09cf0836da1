"""NHS England's monthly *Community Health Services Waiting Lists* workbooks (xlsx), as published.

Layout (the 2023-2025 workbooks committed in the repositories that ``chs_source_files.csv``
lists, and the parsers written for them):

- sheet ``Table 4``: the total waiting list at the month end, by organisation x service;
- sheets ``Table 4a`` to ``Table 4g``: the same grid for each weeks-waited band, counted in
  days: 4a 0-7 days (0-1 weeks), 4b 8-14, 4c 15-28, 4d 29-84, 4e 85-126, 4f 127-364 and 4g
  365 days and over (52+ weeks); from December 2024 4g is 52-104 weeks and ``Table 4h`` 104+.
- each sheet has a few title rows, then a header row (row 5 in most months, moved in some)
  ``Organisation Type | Organisation Code | Organisation Name | (A) Audiology | ... |
  (CYP) ...``, one column per service, then one row per organisation (England, regions,
  ICBs, providers). The 2023 workbooks have no organisation code column.

The reader finds the header row by its ``Organisation Name`` cell wherever it is (within the
first ``HEADER_SEARCH_ROWS`` rows), matches rows across sheets by organisation, not by
position, and takes the month from the title rows of Table 4 (or the cover sheet, or the
file name, e.g. ``...-2024-25-January.xlsx``). The two over-52 bands are merged into one,
as for the wide CSV (unless Table 4g's title says it is the whole 52+ band, with no 104 in
it: Table 4h is then a part of it, not added). Cells marked as not available (``-``, ``*``,
``..``, ``x``) are blank.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.waits.history import WaitsError
from calibration.waits.panel import Panel, band_column_names
from calibration.waits.tables import CHS_EDGES
from sim.engine.input_files import ConfigError, read_bytes

MAX_WORKBOOK_BYTES = 50_000_000  # a published month is about 1.4 MB
MAX_UNZIPPED_BYTES = 500_000_000  # what its sheets may expand to (a zip bomb is refused unopened)
MAX_WORKBOOKS = 240  # twenty years of months, as a simulation horizon may be (sim.engine.size_limits)
HEADER_SEARCH_ROWS = 40
TABLE_SHEET = re.compile(r"table\s*4\s*([a-h]?)", re.IGNORECASE)
NAME_HEADER = re.compile(r"(organi[sz]ation|org|provider)?\s*name", re.IGNORECASE)
CODE_HEADER = re.compile(r"(organi[sz]ation|org|provider|ods)?\s*code", re.IGNORECASE)
TYPE_HEADER = re.compile(r"(organi[sz]ation|org)?\s*(type|level)", re.IGNORECASE)
NOT_A_SERVICE = re.compile(r"(region|icb|ics|stp|commissioner|parent)(\s*(code|name))?", re.IGNORECASE)
NOT_AVAILABLE = {"", "-", "*", "..", ".", ":", "x", "n/a", "na", "null"}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_TEXT = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*[\s\-_/]*(\d{4})\b", re.IGNORECASE
)
FINANCIAL_YEAR_NAME = re.compile(r"(\d{4})-\d{2}-(" + "|".join(MONTHS) + ")", re.IGNORECASE)
# Table letter -> band column in the wide file's naming, before and after the 52-week split.
LETTERS = "abcdefg"
BANDS = ("wk_0_1", "wk_1_2", "wk_2_4", "wk_4_12", "wk_12_18", "wk_18_52")


def _where(
    source: str, sheet: str, row: int | None = None, column: int | None = None, header: str = ""
) -> str:
    place = [f"sheet {sheet}"]
    if row is not None:
        place.append(f"row {row}")
    if column is not None:
        from openpyxl.utils import get_column_letter

        place.append(f"column {get_column_letter(column + 1)}" + (f" ({header})" if header else ""))
    return f"{source}: {', '.join(place)}"


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _number(value: object, where: str) -> float:
    """A count from a cell: numbers as they are, numeric text, or NaN where marked not available."""
    if value is None:
        return np.nan
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise WaitsError(f"{where}: not a number: {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "")
        if text.casefold() in NOT_AVAILABLE:
            return np.nan
        try:
            number = float(text)
        except ValueError:
            raise WaitsError(f"{where}: not a number: {str(value)!r}") from None
    if not np.isfinite(number) or number != np.floor(number):
        raise WaitsError(f"{where}: not a whole number: {value!r}")
    return number


def _header(rows: list[tuple], source: str, sheet: str) -> tuple[int, dict[str, int], dict[int, str]]:
    """The header row's index, its organisation columns, and the service columns by position."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [_text(value) for value in row]
        names = [i for i, text in enumerate(texts) if NAME_HEADER.fullmatch(text)]
        if not names:
            continue
        ids = {"name": names[0]}
        for role, pattern in (("code", CODE_HEADER), ("type", TYPE_HEADER)):
            found = [i for i, text in enumerate(texts) if pattern.fullmatch(text) and i not in ids.values()]
            if found:
                ids[role] = found[0]
        services = {
            i: text
            for i, text in enumerate(texts)
            if text and i > ids["name"] and i not in ids.values() and not NOT_A_SERVICE.fullmatch(text)
        }
        if not services:
            raise WaitsError(f"{_where(source, sheet, index + 1)}: the header names no service columns")
        return index, ids, services
    raise WaitsError(
        f"{_where(source, sheet)}: no header row with an 'Organisation Name' cell in the first "
        f"{HEADER_SEARCH_ROWS} rows (is this the CHS waiting-list workbook?)"
    )


def _sheet_frame(rows: list[tuple], source: str, sheet: str, value: str) -> tuple[pd.DataFrame, list[tuple]]:
    """One row per organisation x service of a table sheet; also the title rows above the header."""
    start, ids, services = _header(rows, source, sheet)
    records = []
    for index in range(start + 1, len(rows)):
        row = rows[index]
        cell = {role: _text(row[i]) if i < len(row) else "" for role, i in ids.items()}
        cells = [(i, row[i] if i < len(row) else None) for i in services]
        if not (cell["name"] or cell.get("code")) or all(_text(v) == "" for _, v in cells):
            continue  # blank rows, notes under the table
        for i, raw in cells:
            where = _where(source, sheet, index + 1, i, services[i])
            records.append(
                (cell.get("type", ""), cell.get("code", ""), cell["name"], services[i], _number(raw, where))
            )
    frame = pd.DataFrame(records, columns=["org_type", "org_code", "org_name", "service", value])
    frame = frame.astype({"org_type": object, "org_code": object, "org_name": object, "service": object})
    key = ["org_code", "org_name", "service"]
    repeated = frame[frame.duplicated(key, keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        raise WaitsError(
            f"{_where(source, sheet)}: {first['org_name'] or first['org_code']} appears twice "
            f"for {first['service']}"
        )
    return frame, rows[:start]


def _month_in(values: list[object]) -> str | None:
    for value in values:
        if isinstance(value, dt.datetime | dt.date):
            return f"{value.year:04d}-{value.month:02d}"
        match = MONTH_TEXT.search(_text(value))
        if match:
            number = next(
                i for i, name in enumerate(MONTHS, start=1) if name.startswith(match[1].lower()[:3])
            )
            return f"{int(match[2]):04d}-{number:02d}"
    return None


def _month(titles: list[tuple], book, source: str) -> str:
    """The month a workbook describes: Table 4's title rows, else a cover sheet, else the file name."""
    found = _month_in([value for row in titles for value in row])
    if found:
        return found
    for name in book.sheetnames:
        if TABLE_SHEET.fullmatch(name.strip()) or not re.search(r"cover|contents|notes|title", name, re.I):
            continue
        sheet = book[name]
        rows = list(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True))
        periods = [
            row for row in rows if re.search(r"period|month|data for", " ".join(map(_text, row)), re.I)
        ]
        found = _month_in([value for row in periods for value in row])
        if found:
            return found
    name = Path(source).name
    if match := FINANCIAL_YEAR_NAME.search(name):  # "2024-25-January": the financial year starts in April
        number = MONTHS.index(match[2].lower()) + 1
        return f"{int(match[1]) + (number < 4):04d}-{number:02d}"
    found = _month_in([name.replace("_", " ")])
    if found:
        return found
    raise WaitsError(
        f"{source}: cannot tell which month this workbook describes (no month in the title rows of "
        "Table 4, nor on a cover sheet, nor in the file name such as ...-January-2025.xlsx)"
    )


def _open(data: bytes, source: str):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WaitsError(f"{source}: not a readable xlsx workbook ({error})") from None
    if "xl/workbook.xml" not in names:
        raise WaitsError(f"{source}: a zip archive, not an xlsx workbook")
    if unzipped > MAX_UNZIPPED_BYTES:
        raise WaitsError(f"{source}: its sheets expand to more than {MAX_UNZIPPED_BYTES:,} bytes")
    import openpyxl  # imported here: only workbook readers pay for it

    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise WaitsError(
            f"{source}: not a readable xlsx workbook ({type(error).__name__}: {error})"
        ) from None


def workbook_frame(data: bytes, source: str) -> pd.DataFrame:
    """One month's workbook as rows of month, organisation, service, total and the CHS bands."""
    book = _open(data, source)
    try:
        sheets = {}
        for name in book.sheetnames:
            if match := TABLE_SHEET.fullmatch(name.strip()):
                sheets.setdefault(match[1].lower(), name)
        if "" not in sheets:
            raise WaitsError(
                f"{source}: no sheet 'Table 4' (total waiting by provider and service); sheets: "
                + ", ".join(book.sheetnames[:20])
            )
        split = "h" in sheets  # from December 2024: 4g is 52-104 weeks, 4h 104 weeks and over
        columns = [*BANDS, *(("wk_52_104", "wk_over_104") if split else ("wk_over_52",))]
        letters = LETTERS + ("h" if split else "")
        for letter, column in zip(letters, columns, strict=True):
            if letter not in sheets:
                raise WaitsError(f"{source}: no sheet 'Table 4{letter}' (the {column} band)")
        frames = []
        for letter, column in [("", "total"), *zip(letters, columns, strict=True)]:
            sheet = book[sheets[letter]]
            sheet.reset_dimensions()  # published files can state a wrong used range
            rows = list(sheet.iter_rows(values_only=True))
            frame, titles = _sheet_frame(rows, source, sheets[letter], column)
            if letter == "":
                month = _month(titles, book, source)
            if letter == "g":
                title_g = " ".join(_text(value) for row in titles for value in row)
            frames.append(frame)
    finally:
        book.close()
    key = ["org_code", "org_name", "service"]
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame.drop(columns="org_type"), on=key, how="outer")
    merged["org_type"] = merged["org_type"].fillna("")
    names = band_column_names(CHS_EDGES)
    result = pd.DataFrame(
        {"month": month, **{c: merged[c] for c in ("org_type", *key)}, "total": merged["total"]}
    )
    for name, column in zip(names, BANDS, strict=False):
        result[name] = merged[column]
    # With a Table 4h, 4g is 52-104 weeks and 4h adds 104+; but should a 4g titled "52+" (no
    # 104 in it) come with a 4h, the 104+ would be a part of 4g, and adding it would count it twice.
    over_52_whole = split and "52" in title_g and "104" not in title_g
    if split and not over_52_whole:
        result[names[-1]] = merged["wk_52_104"] + merged["wk_over_104"]
    else:
        result[names[-1]] = merged["wk_52_104" if split else "wk_over_52"]
    return result


def workbook_panel(data: bytes, source: str) -> Panel:
    """A single month's workbook as a panel (every series then has one month)."""
    return Panel(source, CHS_EDGES, workbook_frame(data, source).reset_index(drop=True))


def _fill_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes for organisations a month lists by name only, from months that give both (the 2023 files)."""
    named = frame[frame["org_code"] != ""]
    pairs = named.assign(name=named["org_name"].str.casefold()).drop_duplicates(["name", "org_code"])
    unique = pairs.drop_duplicates("name", keep=False).set_index("name")["org_code"]
    missing = frame["org_code"] == ""
    found = frame.loc[missing, "org_name"].str.casefold().map(unique)
    frame.loc[missing, "org_code"] = found.fillna("").to_numpy()
    return frame


def folder_panel(path: Path, source: str) -> Panel:
    """Every ``.xlsx`` workbook in a folder (one per month), read as one panel."""
    try:
        files = sorted(
            p for p in path.iterdir() if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", "."))
        )
    except OSError as error:
        raise WaitsError(f"{source}: cannot list the folder: {error.strerror}") from None
    if not files:
        raise WaitsError(f"{source}: a folder with no .xlsx workbooks in it")
    if len(files) > MAX_WORKBOOKS:
        raise WaitsError(
            f"{source}: {len(files)} workbooks, more than the {MAX_WORKBOOKS} months a history may hold"
        )
    frames = []
    for file in files:
        try:
            data = read_bytes(file, MAX_WORKBOOK_BYTES, "workbook")
        except ConfigError as error:
            raise WaitsError(str(error)) from None
        frames.append(workbook_frame(data, str(file)))
    frame = _fill_codes(pd.concat(frames, ignore_index=True))
    return Panel(source, CHS_EDGES, frame)
