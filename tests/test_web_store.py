"""Saved workspaces (sim.web.store) without Streamlit: round trips, versions, export and import."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from services import service_document

from sim.engine.scenario import ConfigError
from sim.web.answers import Asked
from sim.web.store import Conflict, WorkspaceStore, export_text, from_state, import_text, to_state
from sim.web.workspace import Workspace

POST = {"date": dt.date(2024, 6, 1), "label": "One post", "add_staff": {"role": "band6", "wte": 1.5}}


def planners_workspace() -> Workspace:
    space = Workspace(service_document(), "small.yaml")
    space.with_values({"demand.monthly_rate": 72.0})
    space.add_scenario("plan")
    space.add_change("plan", POST)
    space.actuals = pd.DataFrame({"month": ["2024-04", "2024-05"], "breaches": [10.0, 12.0]})
    space.goal = "breaches<=0 by 2025-03"
    space.asked["compare"] = Asked("compare", "abc", {"names": ["baseline", "plan"], "reps": 5, "seed": 1})
    return space


def same(a: Workspace, b: Workspace) -> None:
    assert a.document == b.document and a.source == b.source
    assert [(s.name, s.events) for s in a.scenarios] == [(s.name, s.events) for s in b.scenarios]
    pd.testing.assert_frame_equal(a.actuals, b.actuals)
    assert a.goal == b.goal and a.asked == b.asked
    assert a.scenario_config("plan") == b.scenario_config("plan")


def test_a_workspace_comes_back_as_it_was_dates_and_uploads_included(tmp_path):
    space = planners_workspace()
    history = pd.DataFrame({"month": ["2024-04"], "waiting": [300]})
    store = WorkspaceStore(tmp_path)
    saved = store.create("Board paper", to_state(space, {"history": history}))
    again = WorkspaceStore(tmp_path)  # as after a restart
    listed, state = again.load(saved.id)
    restored, uploads = from_state(state)
    same(space, restored)
    assert isinstance(restored.scenario("plan").events[0]["date"], dt.date)
    pd.testing.assert_frame_equal(uploads["history"], history)
    assert listed.name == "Board paper" and [s.id for s in again.list()] == [saved.id]


def test_a_save_over_a_version_another_session_saved_is_refused(tmp_path):
    store = WorkspaceStore(tmp_path)
    space = planners_workspace()
    first = store.create("Shared", to_state(space))
    mine = store.save(first.id, to_state(space), first.version)
    assert mine.version == first.version + 1
    with pytest.raises(Conflict):  # a second window still at the first version
        store.save(first.id, to_state(Workspace(service_document(), "other.yaml")), first.version)
    assert from_state(store.load(first.id)[1])[0].source == "small.yaml"  # not overwritten
    renamed = store.save(first.id, to_state(space), mine.version, name="Renamed")
    assert renamed.name == "Renamed"


def test_export_and_import_give_the_same_workspace_and_refuse_other_files(tmp_path):
    space = planners_workspace()
    text = export_text("Board paper", to_state(space))
    name, state = import_text(text.encode())
    assert name == "Board paper"
    same(space, from_state(state)[0])
    with pytest.raises(ConfigError, match="not a workspace"):
        import_text(b"not json")
    with pytest.raises(ConfigError, match="not a dcsim workspace"):
        import_text(json.dumps({"hello": 1}).encode())
    broken = json.loads(text)
    broken["document"]["demand"]["monthly_rate"] = -1
    with pytest.raises(ConfigError, match="greater than 0"):
        import_text(json.dumps(broken).encode())


def test_finished_answers_are_kept_by_key(tmp_path):
    store = WorkspaceStore(tmp_path)
    assert store.answer("k") is None and not store.has_answer("k")
    store.keep_answer("k", {"summary": pd.DataFrame({"a": [1, 2]})})
    assert store.has_answer("k")
    assert WorkspaceStore(tmp_path).answer("k")["summary"]["a"].tolist() == [1, 2]
