"""Workspaces saved as a planner works, in SQLite (stdlib ``sqlite3``) in a folder the app owns.

A workspace (the service as edited, the scenarios, the uploaded figures, the goal and the
questions asked) is one row of JSON with a version number. Saving names the version it was read
at: when another session saved the same workspace since, the save is refused (``Conflict``) and
the page keeps the planner's work as a new workspace, so concurrent sessions never overwrite each
other. Finished answers (comparisons, capacity questions) are kept beside them by job key, so
they come back after a reload or a restart of the server without running again.

Answers are pickled: they are read only from this database, which only the app writes (an
imported workspace file is JSON and carries no answers). No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.scenario import ConfigError
from sim.web.answers import Asked
from sim.web.workspace import NamedScenario, Workspace

FOLDER_ENV = "DCSIM_APP_WORKSPACES"  # set by `dcsim app --workspaces DIR`
FORMAT = "dcsim-workspace"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 5_000_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, updated TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, created TEXT NOT NULL, result BLOB NOT NULL);
"""


def draws_folder() -> Path:
    """Where parameter draws named by saved workspaces are kept, by content (see ``_restore_draws``)."""
    return default_folder() / "draws"


def default_folder() -> Path:
    """``$DCSIM_APP_WORKSPACES``, else ``$XDG_DATA_HOME/dcsim/workspaces`` (~/.local/share)."""
    if os.environ.get(FOLDER_ENV):
        return Path(os.environ[FOLDER_ENV])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "dcsim" / "workspaces"


class Conflict(Exception):
    """Another session saved this workspace since this one read it."""


@dataclass(frozen=True)
class Saved:
    """One saved workspace as listed: id, name, version and when it was last saved."""

    id: str
    name: str
    version: int
    updated: str


# --- a workspace as JSON ---------------------------------------------------------------------
def _encode(value: Any) -> Any:
    """Dates tagged so they come back as dates (YAML documents hold ``datetime.date``s)."""
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return dt.date.fromisoformat(value["$date"])
        if set(value) == {"$datetime"}:
            return dt.datetime.fromisoformat(value["$datetime"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _frame(table: pd.DataFrame | None) -> dict[str, Any] | None:
    """A table as JSON with its column types, so it comes back exactly (months stay text)."""
    if table is None:
        return None
    text = table.to_json(orient="split", date_format="iso", index=False)
    return {"table": text, "dtypes": {str(c): str(t) for c, t in table.dtypes.items()}}


def _unframe(data: dict[str, Any] | None) -> pd.DataFrame | None:
    if data is None:
        return None
    table = pd.read_json(StringIO(data["table"]), orient="split", dtype=False)
    return table.astype(data["dtypes"])


def to_state(space: Workspace, uploads: dict[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Everything a planner made in the workspace, as JSON-ready data (answers not included)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "source": space.source,
        "document": _encode(space.document),
        "scenarios": [{"name": s.name, "events": _encode(s.events)} for s in space.scenarios],
        "actuals": _frame(space.actuals),
        "goal": space.goal,
        "asked": {kind: asked.to_json() for kind, asked in space.asked.items()},
        "uploads": {name: _frame(table) for name, table in (uploads or {}).items()},
        "origin": _encode(space.origin),
        "draws": _draws_text(space.document),
    }


def _draws_text(document: dict[str, Any]) -> str | None:
    """The parameter draws the service runs with, carried in the workspace itself.

    The document names the draws by a path on this machine (a fit's temporary folder, the
    store's draws folder); with the table inside the state, a workspace still runs after the
    temporary folder is cleared, or on another machine after an export.
    """
    spec = document.get("parameter_draws")
    path = Path(spec["file"]) if isinstance(spec, dict) and spec.get("file") else None
    if path is None or not path.is_file() or path.stat().st_size > MAX_IMPORT_BYTES:
        return None
    return path.read_text(encoding="utf-8")


def _restore_draws(document: dict[str, Any], text: str) -> dict[str, Any]:
    """Point the document at its saved draws: the file it names when that still holds them,
    else a copy written (by content) to the draws folder."""
    spec = document.get("parameter_draws")
    if not isinstance(spec, dict):
        return document
    named = Path(str(spec.get("file", "")))
    if named.is_file() and named.read_text(encoding="utf-8") == text:
        return document  # unchanged, so answers worked out with it stay current
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    path = draws_folder() / f"{digest}.csv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(text, encoding="utf-8")
    return {**document, "parameter_draws": {**spec, "file": str(path)}}


def from_state(state: dict[str, Any]) -> tuple[Workspace, dict[str, pd.DataFrame]]:
    """The workspace (validated: a bad file is refused with the CLI's message) and its other uploads."""
    if state.get("format") != FORMAT:
        raise ConfigError("workspace file: this is not a dcsim workspace (exported from the explorer)")
    document = _decode(state["document"])
    if isinstance(state.get("draws"), str):
        document = _restore_draws(document, state["draws"])
    space = Workspace(document, str(state.get("source", "workspace")))
    space.scenarios = [NamedScenario(s["name"], _decode(s["events"])) for s in state.get("scenarios", [])]
    space.actuals = _unframe(state.get("actuals"))
    space.goal = state.get("goal")
    space.origin = _decode(state["origin"]) if isinstance(state.get("origin"), dict) else None
    space.asked = {kind: Asked.from_json(data) for kind, data in state.get("asked", {}).items()}
    space.config()
    for scenario in space.scenarios:
        space.scenario_config(scenario.name)
    uploads = {name: _unframe(text) for name, text in state.get("uploads", {}).items() if text is not None}
    return space, uploads


def export_text(name: str, state: dict[str, Any]) -> str:
    """One JSON file holding a workspace, for another machine or a colleague."""
    return json.dumps({**state, "name": name}, indent=1, sort_keys=True)


def import_text(raw: bytes) -> tuple[str, dict[str, Any]]:
    """The name and state in an exported workspace file (refused with a sentence if it is not one)."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ConfigError(f"workspace file: larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"workspace file: not a workspace exported from the explorer ({error})") from None
    if not isinstance(state, dict):
        raise ConfigError("workspace file: not a workspace exported from the explorer")
    from_state(state)  # refuse now what would not load
    return str(state.pop("name", "Imported workspace")), state


# --- the database ----------------------------------------------------------------------------
class WorkspaceStore:
    """Saved workspaces and finished answers in ``folder/workspaces.sqlite3``."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.folder / "workspaces.sqlite3"
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # one transaction: committed, or rolled back on error
                yield db
        finally:
            db.close()

    def create(self, name: str, state: dict[str, Any]) -> Saved:
        """A new workspace (version 1) under a fresh id."""
        saved = Saved(uuid.uuid4().hex[:12], name.strip() or "Untitled workspace", 1, _now())
        with self._connect() as db:
            db.execute(
                "INSERT INTO workspaces (id, name, version, updated, state) VALUES (?, ?, ?, ?, ?)",
                (saved.id, saved.name, saved.version, saved.updated, json.dumps(state)),
            )
        return saved

    def save(self, id: str, state: dict[str, Any], version: int, name: str | None = None) -> Saved:
        """Save over ``version``; ``Conflict`` if another session saved this workspace since."""
        updated = _now()
        with self._connect() as db:
            changed = db.execute(
                "UPDATE workspaces SET state = ?, version = version + 1, updated = ?, "
                "name = COALESCE(?, name) WHERE id = ? AND version = ?",
                (json.dumps(state), updated, name, id, version),
            ).rowcount
            row = db.execute("SELECT name, version FROM workspaces WHERE id = ?", (id,)).fetchone()
        if not changed:
            raise Conflict(id)
        return Saved(id, row[0], row[1], updated)

    def load(self, id: str) -> tuple[Saved, dict[str, Any]] | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT name, version, updated, state FROM workspaces WHERE id = ?", (id,)
            ).fetchone()
        if row is None:
            return None
        return Saved(id, row[0], row[1], row[2]), json.loads(row[3])

    def list(self) -> list[Saved]:
        """Saved workspaces, the most recently saved first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, name, version, updated FROM workspaces ORDER BY updated DESC"
            ).fetchall()
        return [Saved(*row) for row in rows]

    def delete(self, id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM workspaces WHERE id = ?", (id,))

    # --- answers -----------------------------------------------------------------------------
    def keep_answer(self, key: str, result: Any) -> None:
        blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO answers (key, created, result) VALUES (?, ?, ?)", (key, _now(), blob)
            )

    def has_answer(self, key: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM answers WHERE key = ?", (key,)).fetchone() is not None

    def answer(self, key: str) -> Any | None:
        with self._connect() as db:
            row = db.execute("SELECT result FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else pickle.loads(row[0])  # noqa: S301 - written by this app only


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
