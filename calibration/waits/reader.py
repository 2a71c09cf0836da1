"""``read_waits`` and ``list_series``: any published waits file in, one series (or a listing) out.

The format is told from the content, not the name: gzip bytes are a compressed CSV, a zip
archive is an xlsx workbook, a folder is a set of monthly workbooks, anything else must be
CSV text (UTF-8); among CSVs, the CHS wide file is told by its columns. Files are bounded in
size before anything is decompressed or parsed. A parsed file is kept in memory per path,
modification time and size, so choosing many series from one file reads it once.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from pathlib import Path

import pandas as pd

from calibration.cells import MAX_DATA_BYTES
from calibration.waits.history import BandHistory, WaitsError
from calibration.waits.panel import Panel, list_panel, select
from calibration.waits.tables import chs_wide_panel, csv_table, is_chs_wide, plain_panel
from calibration.waits.workbook import MAX_WORKBOOK_BYTES, MAX_WORKBOOKS, folder_panel, workbook_panel
from sim.engine.input_files import ConfigError, decode_table_text, read_bytes

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 binary .xls format
MAX_COMPRESSED_BYTES = 50_000_000  # the CHS wide file is 0.8 MB compressed, 5 MB as text
CACHE_SIZE = 8
_cache: OrderedDict[tuple, Panel] = OrderedDict()


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        return read_bytes(path, limit, what)
    except ConfigError as error:
        raise WaitsError(str(error)) from None


def _gunzip(data: bytes, source: str) -> bytes:
    """Decompressed bytes, never more than ``MAX_DATA_BYTES`` of them (a gzip bomb is refused)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        text = inflater.decompress(data, MAX_DATA_BYTES + 1)
    except zlib.error as error:
        raise WaitsError(f"{source}: not a readable gzip file: {error}") from None
    if len(text) > MAX_DATA_BYTES:
        raise WaitsError(
            f"{source}: decompresses to more than {MAX_DATA_BYTES:,} bytes, the most a waits file may be"
        )
    if not inflater.eof:
        raise WaitsError(f"{source}: the gzip file is cut short (truncated download?)")
    return text


def _csv_panel(data: bytes, source: str) -> Panel:
    try:
        text = decode_table_text(data, source)
    except ConfigError as error:
        raise WaitsError(str(error)) from None
    table = csv_table(text, source)
    if table.empty:
        raise WaitsError(f"{source}: no data rows (only a header)")
    return chs_wide_panel(table, source) if is_chs_wide(table) else plain_panel(table, source)


def _fingerprint(path: Path) -> tuple:
    """What must be unchanged for a cached parse to stand: path, size and modification time(s)."""
    try:
        info = path.stat()
        if path.is_dir():
            parts = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir()))
            return (str(path.resolve()), "dir", info.st_mtime_ns, parts)
        return (str(path.resolve()), info.st_size, info.st_mtime_ns)
    except OSError:
        return ()  # not cached: the read below reports what is wrong


def load_panel(path: str | Path) -> Panel:
    """Every series in a waits file (or folder of workbooks), parsed once per file version."""
    source = str(path)
    if not isinstance(path, (str, Path)) or not source:
        raise WaitsError(f"{path!r}: not a file path")
    path = Path(path)
    key = _fingerprint(path)
    if key and key in _cache:
        _cache.move_to_end(key)
        panel = _cache[key]
        return Panel(source, panel.edges, panel.frame, panel.single, panel._cache)
    if path.is_dir():
        panel = folder_panel(path, source)
    else:
        head = _read(path, MAX_COMPRESSED_BYTES, "waits file")
        if head.startswith(GZIP_MAGIC):
            panel = _csv_panel(_gunzip(head, source), source)
        elif head.startswith(ZIP_MAGIC):
            if len(head) > MAX_WORKBOOK_BYTES:
                raise WaitsError(
                    f"{source}: larger than {MAX_WORKBOOK_BYTES:,} bytes, the most a workbook may be"
                )
            panel = workbook_panel(head, source)
        elif head.startswith(OLE_MAGIC):
            raise WaitsError(f"{source}: an old binary .xls workbook; save it as .xlsx (or CSV UTF-8)")
        elif not head.strip():
            raise WaitsError(f"{source}: the file is empty")
        else:
            panel = _csv_panel(head, source)
    if key:
        _cache[key] = panel
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return panel


def read_waits(path: str | Path, provider: str | None = None, service: str | None = None) -> BandHistory:
    """The published waiting list by weeks band of one provider x service, with its data problems.

    ``path`` is the CHS wide CSV (``.csv`` or ``.csv.gz``), an NHS England CHS waiting-list
    workbook (``.xlsx``, Tables 4 and 4a-4h) or a folder of them (one per month), or a plain
    CSV of ``month`` plus band columns with any edges (``band_0_14, band_14_inf``; weeks) and
    an optional ``total``. ``provider`` is an org_code or exact organisation name (case
    ignored), needed when the file holds several; ``service`` is an exact service name or a
    case-insensitive part of one that matches a single service. For a plain CSV (one series)
    both are only recorded on the result, as ``provider_code`` and ``service``.

    CHS bands are merged above 52 weeks (the 52-104 / 104+ split published from December 2024
    becomes one 52+ band), so a series has edges (0, 1, 2, 4, 12, 18, 52, inf) in every month.
    A cell that cannot be read raises ``WaitsError`` naming the file, row and column; data
    problems (bands not summing, stale repeats, gaps, ...) are listed in ``problems``.
    """
    for name, value in (("provider", provider), ("service", service)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise WaitsError(f"{path}: {name}: {value!r} is not a name (give text, or None)")
    return select(load_panel(path), provider, service)


def list_series(path: str | Path) -> pd.DataFrame:
    """One row per provider x service in the file.

    Columns: provider_code, provider_name, service, months (with a submission), first_month,
    last_month, and org_type (Provider, ICB, Region, National, where the file says). A plain
    CSV lists its one series with empty names.
    """
    return list_panel(load_panel(path))


__all__ = ["MAX_WORKBOOKS", "list_series", "load_panel", "read_waits"]
