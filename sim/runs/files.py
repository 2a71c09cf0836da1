"""Writing files atomically: tables, text, manifests and figures.

Every file is written to a temporary name beside its destination and renamed into place,
so an interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd


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


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """CSV (or Parquet, by suffix) written atomically."""
    with atomic_path(path) as temporary:
        if Path(path).suffix == ".parquet":
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False, float_format="%.6g")
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


def write_manifest(content: dict, path: Path) -> Path:
    return write_text(json.dumps(content, indent=2, default=str) + "\n", path)
