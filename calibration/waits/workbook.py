"""NHS England CHS waiting-list workbooks (xlsx): not yet read."""

from __future__ import annotations

from pathlib import Path

from calibration.waits.history import WaitsError
from calibration.waits.panel import Panel

MAX_WORKBOOK_BYTES = 50_000_000
MAX_WORKBOOKS = 240


def workbook_panel(data: bytes, source: str) -> Panel:
    raise WaitsError(f"{source}: xlsx workbooks are not read yet")


def folder_panel(path: Path, source: str) -> Panel:
    raise WaitsError(f"{source}: folders of workbooks are not read yet")
