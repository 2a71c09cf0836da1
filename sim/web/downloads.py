"""What a planner takes away: the board table workbook, the HTML report and the manifest as bytes.

They are written by the same writers as ``dcsim compare`` (into a private temporary folder)
and read back, so the files are the CLI's files. A goal asked on the Run page travels with
them: the report's P(goal) section, the manifest's ``goal``, and a "P(goal)" sheet added to
the workbook (the goal in words, then the table the page shows).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd

from sim.api import ComparisonResult, write

NAMES = ("board_table.xlsx", "board_table.csv", "report.html", "manifest.json")
GOAL_SHEET = "P(goal)"


def comparison_files(result: ComparisonResult, actuals: pd.DataFrame | None = None) -> dict[str, bytes]:
    """``board_table.xlsx``, ``board_table.csv``, ``report.html`` and ``manifest.json`` of a comparison."""
    with tempfile.TemporaryDirectory(prefix="dcsim-download-") as folder:
        write(result, folder, actuals)
        files = {name: (Path(folder) / name).read_bytes() for name in NAMES}
    if result.goal is not None and result.goals is not None:
        files["board_table.xlsx"] = with_goal_sheet(files["board_table.xlsx"], result)
    return files


def with_goal_sheet(workbook: bytes, result: ComparisonResult) -> bytes:
    """The workbook with a sheet giving the goal and each scenario's chance of meeting it."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    from sim.web.labels import goal_table, named, scenario_names

    book = load_workbook(io.BytesIO(workbook))
    sheet = book.create_sheet(GOAL_SHEET, 1)
    sheet.append([f"Goal: {result.goal.text} ({result.goal.describe()})"])
    sheet["A1"].font = Font(bold=True)
    sheet.append([])
    # Each scenario by its title, as the report and the board table name it.
    table = named(goal_table(result.goals, result.baseline), scenario_names(result.scenarios))
    sheet.append([str(c) for c in table.columns])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in table.itertuples(index=False):
        sheet.append(list(row))
    for column, width in zip("ABCDE", (30, 10, 16, 28, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
