"""Writing files atomically: tables, text, manifests and figures.

Every file is written to a temporary name beside its destination and renamed into place,
so an interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes files private; outputs are shared
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Text a spreadsheet would run as a formula (OWASP, "CSV injection"): = + - @ and tab or CR first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_text(value: Any) -> Any:
    """A cell a spreadsheet shows as text and never runs: OWASP's single quote before a text
    starting with ``= + - @``, tab or CR. Numbers, and text that is just a number, are left alone.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name made safe by ``spreadsheet_text``.

    Scenario names, labels and role names come from users' files and land in CSV and xlsx
    outputs that people open in Excel; numeric columns are untouched (negative numbers stay
    numbers). Returns ``frame`` itself when nothing needs changing.
    """
    changed = {}
    for position, (_, column) in enumerate(frame.items()):
        if is_numeric_dtype(column) or is_bool_dtype(column) or is_datetime64_any_dtype(column):
            continue
        safe = column.map(spreadsheet_text)
        if not safe.equals(column):
            changed[position] = safe
    names = [spreadsheet_text(name) for name in frame.columns]
    if not changed and names == list(frame.columns):
        return frame
    frame = frame.copy()
    for position, safe in changed.items():
        frame.isetitem(position, safe)
    frame.columns = names
    return frame


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """CSV (or Parquet, by suffix) written atomically; CSV text cannot start a spreadsheet formula."""
    with atomic_path(path) as temporary:
        if Path(path).suffix == ".parquet":
            frame.to_parquet(temporary, index=False)  # typed data, not opened in a spreadsheet
        else:
            spreadsheet_safe(frame).to_csv(temporary, index=False, float_format="%.6g")
    return Path(path)


def write_text(text: str, path: Path) -> Path:
    with atomic_path(path) as temporary:
        temporary.write_text(text)
    return Path(path)


def write_figure(draw: Callable[[Path], None], path: Path) -> Path:
    """Call ``draw(temporary_path)`` (which saves a figure there) and move it into place."""
    with atomic_path(path) as temporary:
        draw(temporary)
    return Path(path)


def package_version() -> str:
    try:
        return metadata.version("dcsim")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def source_commit() -> str | None:
    """The git commit dcsim's code was run from, ``+dirty`` when it had changes; None outside git.

    The version number alone does not say which code made a forecast between releases, and a
    forecast is only re-made exactly from the same code.
    """
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        changes = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if changes else head or None


def write_manifest(content: dict, path: Path) -> Path:
    return write_text(json.dumps(content, indent=2, default=str) + "\n", path)
