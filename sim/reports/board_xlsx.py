"""The board table as a workbook that pastes into an A4 Word document.

Sheet "Board table": the chosen month ends, each scenario cell "median" over "(p10-p90)" on
two lines so columns stay narrow; sized so the whole table fits the width of an A4 page
(portrait when it fits, landscape otherwise; printing is set to fit one page wide). Sheet
"Monthly": every simulated month's medians as numbers. Then the full comparison table and
notes on how the numbers were made.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.reports.board import LABEL, SIM_WORDS, month_heading
from sim.runs.files import atomic_path, spreadsheet_text

HEADER_FILL = PatternFill("solid", fgColor="005EB8")  # NHS blue
ACTUAL_FILL = PatternFill("solid", fgColor="E8EDEE")
THIN = Side(style="thin", color="AEB7BD")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT_SIZE = 9
LABEL_WIDTH = 18  # Excel character units (labels wrap onto a second line)
MONTH_WIDTH = 8.5  # "1,234" over "(1,100-1,400)" at 9 pt
A4_PORTRAIT_CM = 16.0  # text width of A4 with Word's 2.54 cm margins: portrait
A4_LANDSCAPE_CM = 24.6  # and landscape
METRIC_NAMES = {"breaches": "Breaches", "waiting": "Waiting", "wait_p92_weeks": "92nd centile wait (wks)"}
STAT_NAMES = {"mean": "mean", "p10": "10th centile", "p50": "median", "p90": "90th centile",
              "p10_with_model_error": "10th centile with model error",
              "p90_with_model_error": "90th centile with model error"}


def _style_header(cells) -> None:
    for cell in cells:
        cell.font = Font(bold=True, color="FFFFFF", size=FONT_SIZE)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER


def width_cm(widths: list[float]) -> float:
    """Printed width of columns of these Excel widths (each 7 px a character + 5 px padding, 96 dpi)."""
    return sum(w * 7 + 5 for w in widths) * 2.54 / 96


def _page_setup(sheet: Worksheet, width_cm: float) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait" if width_cm <= A4_PORTRAIT_CM else "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.print_title_rows = "1:1"


def write_board_sheet(
    sheet: Worksheet, board: pd.DataFrame, observed: set[str], notes: list[str], target: str
) -> None:
    """The board table: text cells, the band on a second line, observed rows shaded."""
    months = [c for c in board.columns if c != LABEL]
    sheet.append([spreadsheet_text(target), *(month_heading(m) for m in months)])
    _style_header(sheet[1])
    sheet["A1"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    for values in board.itertuples(index=False):
        label, *cells = values
        texts = ((c or None) and spreadsheet_text(c.replace(" (", "\n(")) for c in cells)
        sheet.append([spreadsheet_text(label), *texts])
        shaded = label in observed
        alone = str(label).endswith(f": {SIM_WORDS}")  # a scenario's simulation-only band, in grey
        for cell in sheet[sheet.max_row]:
            cell.border = BORDER
            cell.font = Font(size=FONT_SIZE - alone, color="425563" if alone else None)
            cell.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
            if shaded:
                cell.fill = ACTUAL_FILL
        first = sheet.cell(sheet.max_row, 1)
        first.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        first.font = Font(bold=not alone, italic=shaded or alone, size=FONT_SIZE - alone)
    sheet.append([])
    for note in notes:
        sheet.append([spreadsheet_text(note)])
        sheet.cell(sheet.max_row, 1).font = Font(italic=True, size=8, color="425563")
    sheet.column_dimensions["A"].width = LABEL_WIDTH
    for column in range(2, len(months) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = MONTH_WIDTH
    sheet.row_dimensions[1].height = 24
    sheet.freeze_panes = "B2"
    _page_setup(sheet, width_cm([LABEL_WIDTH, *[MONTH_WIDTH] * len(months)]))


def write_monthly_sheet(sheet: Worksheet, monthly: pd.DataFrame, observed: set[str], target: str) -> None:
    """Every simulated month's medians (and actuals) as whole numbers."""
    months = [c for c in monthly.columns if c != LABEL]
    sheet.append([spreadsheet_text(target), *(month_heading(m) for m in months)])
    _style_header(sheet[1])
    for values in monthly.itertuples(index=False):
        label, *numbers = values
        sheet.append([spreadsheet_text(label), *(None if pd.isna(v) else int(v) for v in numbers)])
        for cell in sheet[sheet.max_row]:
            cell.border = BORDER
            cell.number_format = "#,##0"
            if label in observed:
                cell.fill = ACTUAL_FILL
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, italic=label in observed)
    sheet.column_dimensions["A"].width = 34
    for column in range(2, len(months) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 9
    sheet.freeze_panes = "B2"
    _page_setup(sheet, 100)


def _comparison_heading(column: str) -> str:
    for metric, name in METRIC_NAMES.items():
        if column.startswith(f"{metric}_"):
            stat = column[len(metric) + 1 :]
            if stat.startswith("diff_"):
                return f"{name} vs baseline: {STAT_NAMES[stat[5:]]}"
            return f"{name}: {STAT_NAMES.get(stat, stat)}"
    return column.capitalize()


def write_comparison_sheet(sheet: Worksheet, comparison: pd.DataFrame) -> None:
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
    monthly: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
    notes: list[str] | None = None,
    target: str = "Breaches (month end)",
    observed: set[str] | None = None,
) -> Path:
    """Sheets: Board table, Monthly (when given), Comparison (when given), Notes (when given)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Board table"
    observed = observed or set()
    write_board_sheet(sheet, board, observed, notes or [], target)
    if monthly is not None:
        write_monthly_sheet(book.create_sheet("Monthly"), monthly, observed, target)
    if comparison is not None:
        write_comparison_sheet(book.create_sheet("Comparison"), comparison)
    if notes:
        notes_sheet = book.create_sheet("Notes")
        for note in notes:
            notes_sheet.append([spreadsheet_text(note)])
        notes_sheet.column_dimensions["A"].width = 120
    with atomic_path(path) as temporary:
        book.save(temporary)
    return Path(path)
