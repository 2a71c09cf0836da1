"""Files from the browser: size limits, safe names, and the same checks as files on disk.

The browser sends bytes and a name, never a path on this machine. A scenario upload must be
a whole service: ``extends:`` would name a file on the server, so it is refused. Bytes are
written to a private temporary folder under the upload's own (cleaned) name and read by the
very readers the CLI uses, so messages are the CLI's, naming the uploaded file.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sim.engine.scenario import ConfigError, read_yaml

MAX_YAML_BYTES = 1_000_000
MAX_CSV_BYTES = 5_000_000
UPLOAD_LIMIT_MB = 5  # Streamlit's own limit (server.maxUploadSize), set by `dcsim app`
T = TypeVar("T")


def safe_name(name: str, fallback: str = "upload") -> str:
    """The file name alone (no folders), in letters, digits, dot, dash and underscore."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned[:100] or fallback


def _read_as_file(name: str, data: bytes, limit: int, reader: Callable[[Path], T]) -> T:
    shown = safe_name(name)
    if len(data) > limit:
        raise ConfigError(f"{shown}: file too large ({len(data):,} bytes; the limit is {limit:,})")
    with tempfile.TemporaryDirectory(prefix="dcsim-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(data)
        try:
            return reader(path)
        except ConfigError as error:
            message = str(error).replace(str(path), shown)
            raise type(error)(message) from None


def read_scenario_upload(name: str, data: bytes) -> dict[str, Any]:
    """A whole-service YAML from the browser as a raw document (not yet validated)."""
    document = _read_as_file(name, data, MAX_YAML_BYTES, read_yaml)
    shown = safe_name(name)
    if "extends" in document:
        raise ConfigError(
            f"{shown}: extends: an uploaded file must describe the whole service "
            "(the explorer does not read other files on the server); upload the baseline itself"
        )
    if "sweep" in document:
        raise ConfigError(f"{shown}: sweep: sweeps are run with `dcsim compare`; upload one scenario")
    return document


def read_monthly_upload(name: str, data: bytes) -> pd.DataFrame:
    """Reported monthly figures (breaches, waiting, ...) checked cell by cell as the CLI does."""
    from calibration.data import read_monthly

    table = _read_as_file(name, data, MAX_CSV_BYTES, read_monthly)
    table.attrs["source"] = safe_name(name)
    return table
