"""What a planner takes away: the board table workbook and the HTML report as bytes.

They are written by the same writers as ``dcsim compare`` (into a private temporary folder)
and read back, so the files are the CLI's files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from sim.api import ComparisonResult, write


def comparison_files(result: ComparisonResult, actuals: pd.DataFrame | None = None) -> dict[str, bytes]:
    """``board_table.xlsx``, ``board_table.csv`` and ``report.html`` of a comparison."""
    with tempfile.TemporaryDirectory(prefix="dcsim-download-") as folder:
        write(result, folder, actuals)
        names = ("board_table.xlsx", "board_table.csv", "report.html")
        return {name: (Path(folder) / name).read_bytes() for name in names}
