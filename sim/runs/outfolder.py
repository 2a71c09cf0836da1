"""The ``--out`` folder of a command: checked before anything is written, locked while in use.

``OutputFolder(path)`` is entered once a command's inputs are known good. It refuses, as
``--out: path: message``, a path that is a file, lies under a file or cannot be written;
creates the folder; and takes an exclusive lock on ``OUT/.dcsim.lock`` (``fcntl.flock``), in
which it writes this process's id, start time and command. A second command into the same
folder stops at once and names the run holding it. The lock goes with the process, so a
killed run never leaves the folder locked. Leaving the block removes the lock file; when the
block fails (a refused input found late, such as an unreachable scheduler) and the folder was
created by it and is still empty, the folder is removed too: a refused command leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from types import TracebackType

from sim.engine.input_files import ConfigError

try:  # Unix; elsewhere runs are not locked (dcsim is developed and run on Linux)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".dcsim.lock"


class OutputError(ConfigError):
    """The ``--out`` folder cannot be used: a file in the way, not writable, in use."""


def check_usable(path: Path) -> None:
    """Refuse a path that is a file, lies under a file, or whose nearest folder is read-only."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out: {path}: is a file, not a folder")
    nearest = path
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise OutputError(f"--out: {path}: {nearest} is a file, not a folder")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(f"--out: {path}: {nearest} is not writable")


def _missing_ancestors(path: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` would create, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def describe_holder(text: str) -> str:
    """The lock file's content in words: which run holds the folder."""
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']}, started {holder['started']}: {holder['command']}"
    except (ValueError, KeyError, TypeError):
        return "details not yet written"


class OutputFolder:
    """Context manager: the checked, created and locked ``--out`` folder of one command."""

    def __init__(self, path: str | Path, command: str | None = None) -> None:
        self.path = Path(path)
        self.command = command or " ".join(["dcsim", *sys.argv[1:]])
        self.lock_path = self.path / LOCK_FILE
        self._created: list[Path] = []
        self._descriptor: int | None = None

    def __enter__(self) -> OutputFolder:
        check_usable(self.path)
        self._created = _missing_ancestors(self.path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock()
        except OSError as error:
            self._remove_created()
            raise OutputError(f"--out: {self.path}: {error.strerror or error}") from None
        except OutputError:
            self._remove_created()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._unlock()
        if kind is not None:
            self._remove_created()

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        while True:
            descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = describe_holder(os.read(descriptor, 4096).decode(errors="replace"))
                os.close(descriptor)
                raise OutputError(
                    f"--out: {self.path}: in use by another dcsim run ({holder}); "
                    "wait for it to finish or choose another --out"
                ) from None
            # The holder removes the file as it lets go: a lock on a removed file locks nothing.
            try:
                if os.fstat(descriptor).st_ino == os.stat(self.lock_path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(descriptor)
        started = dt.datetime.now(dt.timezone.utc).isoformat(sep=" ", timespec="seconds")
        record = {"pid": os.getpid(), "started": started, "command": self.command}
        os.ftruncate(descriptor, 0)
        os.write(descriptor, json.dumps(record).encode())
        self._descriptor = descriptor

    def _unlock(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is None:
            return
        self.lock_path.unlink(missing_ok=True)  # while still held, so no one locks a stale file
        os.close(descriptor)

    def _remove_created(self) -> None:
        """Remove the folders this command created, if nothing was left in them."""
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                return
