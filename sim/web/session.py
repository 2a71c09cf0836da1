"""The browser session's side of saved workspaces: open by the URL's ``?ws=`` id, save as it goes.

``workspace()`` (in ``sim.web.ui``) opens the workspace the URL names, or a new one, and
``save()`` runs after every page run (``app.py``): it writes the workspace when anything in it
changed and keeps finished answers. When another session saved the same workspace meanwhile,
this session's work is kept as a copy and the URL moves to it. The data work is in
``sim.web.store``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pandas as pd
import streamlit as st

from sim.engine.scenario import ConfigError
from sim.web.jobs import STORE
from sim.web.store import Conflict, Saved, WorkspaceStore, from_state, to_state
from sim.web.workspace import Workspace

BASELINE_ENV = "DCSIM_APP_BASELINE"  # set by `dcsim app BASELINE.yaml`
QUERY = "ws"
KEPT_KINDS = ("compare", "capacity")  # answers kept across restarts (a fit's files live in a temp folder)
UPLOAD_KEYS = ("history",)  # session uploads saved with the workspace (the Calibrate page's figures)


@st.cache_resource(show_spinner=False)
def workspace_store() -> WorkspaceStore:
    """One store per server process, in ``$DCSIM_APP_WORKSPACES`` or the user's data folder."""
    return WorkspaceStore()


def starting_workspace() -> Workspace:
    """A new workspace from the command line's baseline, or the example."""
    path = os.environ.get(BASELINE_ENV)
    return Workspace.from_file(path) if path else Workspace.example()


def open_workspace(id: str | None = None) -> Workspace:
    """Put the saved workspace ``id`` (or a new one) in the session and the URL."""
    store = workspace_store()
    loaded = store.load(id) if id else None
    space, uploads = None, {}
    if loaded is not None:
        saved, state = loaded
        try:
            space, uploads = from_state(state)
        except ConfigError as error:  # a workspace that no longer validates (the schema moved on)
            st.session_state["workspace_notice"] = f"Workspace {saved.name!r} could not be opened: {error}"
    if space is None:
        space = starting_workspace()
        saved = store.create(f"Workspace of {dt.datetime.now():%-d %b %Y %H:%M}", to_state(space))
    _remember(space, saved, to_state(space, uploads))
    for key in UPLOAD_KEYS:
        if key in uploads:
            st.session_state[key] = uploads[key]
    for asked in space.asked.values():  # finished answers come back without running again
        if asked.kind in KEPT_KINDS and STORE.get(asked.key) is None:
            result = store.answer(asked.key)
            if result is not None:
                STORE.put(asked.key, result)
    return space


def adopt(space: Workspace, name: str | None = None) -> None:
    """Make ``space`` (imported, or started afresh) a new saved workspace of this session."""
    saved = workspace_store().create(
        name or f"Workspace of {dt.datetime.now():%-d %b %Y %H:%M}", to_state(space)
    )
    _remember(space, saved, to_state(space))


def _remember(space: Workspace, saved: Saved, state: dict[str, Any]) -> None:
    st.session_state["workspace"] = space
    st.session_state["saved"] = saved
    st.session_state["saved_text"] = json.dumps(state)
    st.query_params[QUERY] = saved.id


def current() -> Saved | None:
    return st.session_state.get("saved")


def uploads() -> dict[str, pd.DataFrame]:
    return {key: st.session_state[key] for key in UPLOAD_KEYS if st.session_state.get(key) is not None}


def save(name: str | None = None) -> None:
    """Write the session's workspace if it changed (a copy on conflict) and keep its finished answers."""
    space, saved = st.session_state.get("workspace"), current()
    if space is None or saved is None:
        return
    store = workspace_store()
    state = to_state(space, uploads())
    text = json.dumps(state)
    if text != st.session_state.get("saved_text") or name:
        try:
            saved = store.save(saved.id, state, saved.version, name)
        except Conflict:
            copy = store.create(f"{saved.name} (copy)", state)
            st.session_state["workspace_notice"] = (
                f"Another window saved {saved.name!r} while you worked here; your work is kept as "
                f"{copy.name!r} (the address now opens it)."
            )
            saved = copy
        st.session_state["saved"] = saved
        st.session_state["saved_text"] = text
    # Moving to another page clears the address's query, so it is put back on every run:
    # a reload then reopens this workspace whichever page it is on.
    if st.query_params.get(QUERY) != saved.id:
        st.query_params[QUERY] = saved.id
    for asked in space.asked.values():
        job = STORE.get(asked.key)
        if asked.kind in KEPT_KINDS and job is not None and not job.running and job.result is not None:
            if not store.has_answer(asked.key):
                store.keep_answer(asked.key, job.result)


SESSION_KEYS = (
    "files", "history", "history_file", "actuals_file", "uploaded", "editing", "provisional",
    "waits_pending", "waits_notice",
)  # fmt: skip


def switch(id: str | None = None, space: Workspace | None = None, name: str | None = None) -> None:
    """Leave this workspace (saved) for the saved one ``id``, or for ``space`` as a new one."""
    save()
    for key in SESSION_KEYS:
        st.session_state.pop(key, None)
    if space is not None:
        adopt(space, name)
    else:
        open_workspace(id)
