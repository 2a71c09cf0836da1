"""Publishing a command's outputs together: staged in a hidden folder, then moved into place.

Writers write into ``OUT/.staging.<random>/``. Only when every file is there is the list of
them written beside them (``.ready``); then the outputs of the previous command that this set
does not replace are removed, each new file is renamed into place, and the list is kept as
``OUT/.outputs.json`` for the next command to do the same. So:

- a failure while writing (a full disk, a stopped run) deletes the staging folder and leaves
  the previous outputs exactly as they were: never some files new and others old;
- renaming within a folder needs no disk space, and a process killed while renaming leaves a
  staging folder marked ready, which the next command into the folder finishes (``recover``)
  before doing anything else;
- files that a user put in the folder are never removed: only those a command published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.runs.files import write_text

STAGING_PREFIX = ".staging."
READY = ".ready"
RECORD = ".outputs.json"
TEMPORARY = ".*.tmp"  # what files.atomic_path leaves behind when its process is killed


@contextmanager
def staged(out: str | Path, adopt: dict[str, Path] | None = None) -> Iterator[Path]:
    """Yield a staging folder inside ``out``; publish its contents if the block succeeds.

    ``adopt`` maps names to files or folders made earlier (a run's traces) that are moved in
    last, and moved back if publishing fails, so they are never lost with the staging folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        yield folder
        moved = {}
        try:
            for name, source in (adopt or {}).items():
                if Path(source).exists():
                    os.replace(source, folder / name)
                    moved[name] = Path(source)
            names = sorted(path.name for path in folder.iterdir() if not path.match(TEMPORARY))
            write_text(json.dumps({"files": names}) + "\n", folder / READY)
        except BaseException:
            for name, source in moved.items():
                os.replace(folder / name, source)
            raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    commit(out, folder)


def published(out: str | Path) -> list[str]:
    """Names of the files the last command published in ``out`` (empty if none is recorded)."""
    try:
        names = list(json.loads((Path(out) / RECORD).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    # Only plain names: an edited record must not reach outside the folder.
    return [n for n in names if isinstance(n, str) and Path(n).name == n and n not in (".", "..")]


def commit(out: Path, folder: Path) -> None:
    """Replace the previous outputs with the staged ones. Safe to repeat after an interruption."""
    names = json.loads((folder / READY).read_text())["files"]
    for name in published(out):
        if name not in names:
            _remove(out / name)
    for name in names:
        source = folder / name
        if source.exists() or source.is_symlink():
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # a folder (the traces) cannot be renamed over another
            os.replace(source, target)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    write_text(json.dumps({"files": names, "published": stamp}, indent=2) + "\n", out / RECORD)
    shutil.rmtree(folder)


def recover(out: str | Path) -> None:
    """Finish the publishing a killed command left half done; drop staging that never finished.

    Call only while holding the folder's lock: a staging folder without ``.ready`` may
    otherwise belong to a command still writing.
    """
    for folder in sorted(Path(out).glob(STAGING_PREFIX + "*")):
        if not folder.is_dir():
            continue
        if (folder / READY).is_file():
            commit(Path(out), folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def remove_temporaries(*folders: str | Path) -> None:
    """Delete the hidden ``.<name>.<random>.tmp`` files killed writers left in ``folders``."""
    for folder in folders:
        for path in Path(folder).glob(TEMPORARY):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
