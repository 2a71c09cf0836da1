"""The board-paper table: breaches by month, actuals then each scenario's median projection.

Months run across as columns, as in improvement-plan papers ("Actual breaches" over
"Projected breaches without the plan"). The same table is written as CSV and as a formatted
.xlsx (styled header, whole-number format, sized columns, frozen labels) that pastes cleanly
into a Word or PowerPoint board paper. The xlsx also carries the full comparison table and
notes on how the numbers were made. Every text cell goes through ``spreadsheet_text``, so a
scenario named ``=HYPERLINK(...)`` is shown, never run.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.runs.files import atomic_path, spreadsheet_text

LABEL = "series"
ACTUAL_ROW = "Actual breaches"
PUBLISHED_ROW = "Projected (published)"
HEADER_FILL = PatternFill("solid", fgColor="005EB8")  # NHS blue
ACTUAL_FILL = PatternFill("solid", fgColor="E8EDEE")
THIN = Side(style="thin", color="AEB7BD")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
METRIC_NAMES = {"breaches": "Breaches", "waiting": "Waiting", "wait_p92_weeks": "92nd centile wait (wks)"}
STAT_NAMES = {"mean": "mean", "p10": "10th centile", "p50": "median", "p90": "90th centile"}


def whole(value: float) -> float:
    """Round half up to a whole patient (Python's round() sends 0.5 to the even number)."""
    return math.floor(value + 0.5) if pd.notna(value) else value


def board_table(
    summary: pd.DataFrame,
    actuals: pd.DataFrame | None,
    scenarios: list[str],
    metric: str = "breaches",
) -> pd.DataFrame:
    """One row per series, one column per simulated month (YYYY-MM), whole numbers or blank.

    Rows: "Actual breaches" and "Projected (published)" when the actuals file gives them,
    then each scenario's median. Actuals outside the simulated months are not shown.
    """
    months = list(dict.fromkeys(summary["month"]))
    rows: dict[str, pd.Series] = {}
    if actuals is not None:
        observed = actuals.set_index("month")
        for column, label in ((metric, ACTUAL_ROW), (f"projected_{metric}", PUBLISHED_ROW)):
            if column in observed and observed[column].reindex(months).notna().any():
                rows[label] = observed[column].reindex(months)
    for name in scenarios:
        medians = summary.loc[summary["scenario"] == name].set_index("month")[f"{metric}_p50"]
        rows[name] = medians.reindex(months)
    table = pd.DataFrame(rows).T.map(whole).astype("Int64")
    table.index.name = LABEL
    table.columns = months
    return table.reset_index()


def month_heading(month: str) -> str:
    """2024-04 -> Apr-24, the style of NHS board tables."""
    return dt.datetime.strptime(month, "%Y-%m").strftime("%b-%y")


def _style_header(cells) -> None:
    for cell in cells:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER


def _write_board_sheet(sheet: Worksheet, board: pd.DataFrame, notes: list[str], target: str) -> None:
    months = [c for c in board.columns if c != LABEL]
    sheet.append([spreadsheet_text(target), *(month_heading(m) for m in months)])
    _style_header(sheet[1])
    sheet["A1"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    for values in board.itertuples(index=False):
        label, *numbers = values
        sheet.append([spreadsheet_text(label), *(None if pd.isna(v) else int(v) for v in numbers)])
        row = sheet[sheet.max_row]
        actual = label in (ACTUAL_ROW, PUBLISHED_ROW)
        for cell in row:
            cell.border = BORDER
            cell.number_format = "#,##0"
            cell.alignment = Alignment(horizontal="right")
            if actual:
                cell.fill = ACTUAL_FILL
        row[0].alignment = Alignment(horizontal="left")
        row[0].font = Font(bold=True, italic=actual)
    sheet.append([])
    for note in notes:
        sheet.append([spreadsheet_text(note)])
        sheet.cell(sheet.max_row, 1).font = Font(italic=True, size=9, color="425563")
    width = max([len(str(v)) for v in board[LABEL]] + [24])
    sheet.column_dimensions["A"].width = min(width + 2, 60)
    for column in range(2, len(months) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 8.5
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "B2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _comparison_heading(column: str) -> str:
    for metric, name in METRIC_NAMES.items():
        if column.startswith(f"{metric}_"):
            stat = column[len(metric) + 1 :]
            if stat.startswith("diff_"):
                return f"{name} vs baseline: {STAT_NAMES[stat[5:]]}"
            return f"{name}: {STAT_NAMES.get(stat, stat)}"
    return column.capitalize()


def _write_comparison_sheet(sheet: Worksheet, comparison: pd.DataFrame) -> None:
    sheet.append([spreadsheet_text(_comparison_heading(c)) for c in comparison.columns])
    _style_header(sheet[1])
    for values in comparison.itertuples(index=False):
        cells = (None if isinstance(v, float) and math.isnan(v) else spreadsheet_text(v) for v in values)
        sheet.append(list(cells))
    for index, column in enumerate(comparison.columns, start=1):
        letter = get_column_letter(index)
        weeks = column.startswith("wait_p92_weeks")
        for cell in sheet[letter][1:]:
            cell.number_format = "0.0" if weeks else "#,##0"
        sheet.column_dimensions[letter].width = 34 if column == "scenario" else 14
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions


def write_board_xlsx(
    board: pd.DataFrame,
    path: Path,
    comparison: pd.DataFrame | None = None,
    notes: list[str] | None = None,
    target: str = "Breaches (month end)",
) -> Path:
    """The board table as a formatted workbook; sheets 'Comparison' and 'Notes' follow it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Board table"
    _write_board_sheet(sheet, board, notes or [], target)
    if comparison is not None:
        _write_comparison_sheet(book.create_sheet("Comparison"), comparison)
    if notes:
        notes_sheet = book.create_sheet("Notes")
        for note in notes:
            notes_sheet.append([spreadsheet_text(note)])
        notes_sheet.column_dimensions["A"].width = 120
    with atomic_path(path) as temporary:
        book.save(temporary)
    return Path(path)
