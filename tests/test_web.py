"""The explorer's non-UI glue: uploads, the workspace, plain-words changes, jobs and answers.

Expected values come from the CLI's own readers and from ``sim.api``/``sim.questions.compare`` run
directly, never from the glue itself.
"""

from __future__ import annotations

import datetime as dt
import typing

import pandas as pd
import pytest
from pydantic import BaseModel, Field
from services import EXAMPLE, service_document

from sim.engine.events import Event
from sim.engine.scenario import ConfigError, load_config, validate
from sim.questions.compare import compare
from sim.web import changes, questions
from sim.web.fields import field_specs
from sim.web.jobs import Job, JobStore, request_key
from sim.web.uploads import MAX_YAML_BYTES, read_monthly_upload, read_scenario_upload, safe_name
from sim.web.workspace import Workspace

POST = {"date": dt.date(2024, 6, 1), "add_staff": {"role": "band6", "wte": 1.5}}


def small_workspace() -> Workspace:
    return Workspace(service_document(), "small.yaml")


# --- uploads -----------------------------------------------------------------------------------
def test_upload_names_lose_their_folders():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\my service.yaml") == "my_service.yaml"
    assert safe_name("") == "upload"


def test_bad_yaml_upload_is_reported_against_the_uploaded_name():
    with pytest.raises(ConfigError, match=r"^service\.yaml: line 1: not valid YAML"):
        read_scenario_upload("some/dir/service.yaml", b"demand: [1, 2")


def test_upload_may_not_name_files_on_the_server():
    with pytest.raises(ConfigError, match="extends: an uploaded file must describe the whole service"):
        read_scenario_upload("s.yaml", b"extends: ../../baseline.yaml\n")


def test_upload_size_is_limited():
    with pytest.raises(ConfigError, match="file too large"):
        read_scenario_upload("big.yaml", b"#" * (MAX_YAML_BYTES + 1))


def test_uploaded_baseline_validates_as_the_file_does():
    document = read_scenario_upload("baseline.yaml", (EXAMPLE / "baseline.yaml").read_bytes())
    assert validate(document, "baseline.yaml") == load_config(EXAMPLE / "baseline.yaml")


def test_monthly_upload_checks_cells_like_the_cli():
    table = read_monthly_upload("actuals.csv", (EXAMPLE / "actuals.csv").read_bytes())
    assert table["breaches"].iloc[0] == 329
    with pytest.raises(ConfigError, match=r"^bad\.csv: row 2, column breaches"):
        read_monthly_upload("bad.csv", b"month,breaches\n2024-04,lots\n")


# --- workspace ---------------------------------------------------------------------------------
def test_invalid_form_values_are_refused_with_the_cli_message_and_change_nothing():
    space = small_workspace()
    with pytest.raises(
        ConfigError, match=r"^small\.yaml: demand\.monthly_rate: Input should be greater than 0"
    ):
        space.with_values({"demand.monthly_rate": 0})
    assert space.document["demand"]["monthly_rate"] == 60
    space.with_values({"workforce.0.wte": 4.5})
    assert space.config().workforce[0].wte == 4.5


def test_a_change_that_breaks_the_scenario_is_not_added():
    space = small_workspace()
    space.add_scenario("plan")
    with pytest.raises(ConfigError, match="role 'band9' has no job plan"):
        space.add_change("plan", {"date": dt.date(2024, 6, 1), "add_staff": {"role": "band9", "wte": 1}})
    assert space.scenario("plan").events == []
    with pytest.raises(ConfigError, match="already used"):
        space.add_scenario("plan")


def test_scenario_yaml_reruns_as_the_same_service(tmp_path):
    space = small_workspace()
    space.add_scenario("More posts")
    space.add_change("More posts", POST)
    path = tmp_path / "more.yaml"
    path.write_text(space.scenario_yaml("More posts", reps=5, seed=3))
    expected = validate({**service_document(), "events": [POST]}, "expected")
    assert load_config(path) == expected
    assert "dcsim run More_posts.yaml --reps 5 --seed 3" in path.read_text()


# --- the menu of dated changes -------------------------------------------------------------------
def test_menu_offers_every_event_action_of_the_schema():
    actions = {k.action for k in changes.menu()}
    schema = {name for name in Event.model_fields if name not in changes.EVENT_META}
    assert actions == schema


@pytest.mark.parametrize(
    ("key", "values", "until", "expected"),
    [
        ("add_staff", {"role": "band6", "wte": 2.0, "recruitment_lag_weeks": 8.0}, None,
         {"add_staff": {"role": "band6", "wte": 2.0, "recruitment_lag_weeks": 8.0}}),
        ("remove_staff", {"role": "band4", "wte": 0.5}, None,
         {"remove_staff": {"role": "band4", "wte": 0.5}}),
        ("extra_sessions", {"activity": "new", "hours_per_week": 15.0}, dt.date(2024, 12, 31),
         {"until": dt.date(2024, 12, 31), "extra_sessions": {"activity": "new", "hours_per_week": 15.0}}),
        ("validate_list", {"share": 0.1}, None, {"validate_list": {"share": 0.1}}),
        ("open_referrals", {"value": 1.3}, None, {"set": {"demand.multiplier": 1.3}}),
        ("demand_growth", {"value": 0.1}, None, {"set": {"demand.annual_trend": 0.1}}),
        ("set", {"setting": "job_plans.band6.non_clinical_share", "value": 0.3}, None,
         {"set": {"job_plans.band6.non_clinical_share": 0.3}}),
    ],
)  # fmt: skip
def test_plain_words_become_the_events_a_yaml_file_would_give(key, values, until, expected):
    event = changes.kind(key).event(dt.date(2024, 6, 1), values, until)
    assert event == {"date": dt.date(2024, 6, 1), **expected}
    validate({**service_document(), "events": [event]}, "check")  # and the engine accepts it


def test_new_settings_appear_as_form_fields_without_page_changes():
    class Rule(BaseModel):
        rule: typing.Literal["template", "caseload_first", "min_new_share"] = "template"
        min_new_share: float = Field(0.3, ge=0, le=1)

    class Plan(BaseModel):
        hours: float = Field(37.5, gt=0, le=60)
        clinical_time: Rule = Field(default_factory=Rule)

    specs = {s.path: s for s in field_specs(Plan)}
    assert specs["clinical_time.rule"].choices == ("template", "caseload_first", "min_new_share")
    assert (specs["clinical_time.min_new_share"].low, specs["clinical_time.min_new_share"].high) == (0, 1)
    assert specs["hours"].kind == "number"


# --- jobs and the cache --------------------------------------------------------------------------
def test_cache_key_is_the_validated_config_not_its_spelling():
    sparse = validate(service_document(), "a")
    explicit = validate(sparse.model_dump(mode="json"), "b")
    assert request_key("compare", [("x", sparse)], 1, 5) == request_key("compare", [("x", explicit)], 1, 5)
    assert request_key("compare", [("x", sparse)], 1, 5) != request_key("compare", [("x", sparse)], 2, 5)
    assert request_key("compare", [("x", sparse)], 1, 5) != request_key("compare", [("x", sparse)], 1, 6)


def test_identical_requests_are_served_by_one_job_and_failures_are_retried():
    store, calls = JobStore(keep=2), []

    def work(job):
        calls.append(1)
        job.advance(job.total)
        return len(calls)

    first = store.start("k", 3, work)
    first.wait(10)
    assert store.start("k", 3, work) is first and first.result == 1 and first.fraction == 1

    def broken(job):
        raise ConfigError("x.yaml: field: bad")

    failed = store.start("bad", 1, broken)
    failed.wait(10)
    assert failed.error == "x.yaml: field: bad"
    assert store.start("bad", 1, work) is not failed


def test_a_running_job_expects_the_rest_at_the_pace_so_far(monkeypatch):
    job = Job("k", total=10, started=100.0)
    assert job.seconds_left() is None  # no pace yet
    job.advance(4)
    monkeypatch.setattr("sim.web.jobs.time.monotonic", lambda: 108.0)
    left = job.seconds_left()
    monkeypatch.undo()
    assert left == pytest.approx(12.0)  # 4 done in 8 s: 2 s each, 6 to go
    job.finished.set()
    assert job.seconds_left() == 0.0


# --- answers -------------------------------------------------------------------------------------
def test_comparison_job_gives_the_numbers_of_sim_compare():
    space = small_workspace()
    space.add_scenario("plan")
    space.add_change("plan", POST)
    job = questions.start_comparison(space.run_scenarios(), reps=4, seed=11, workers=1)
    assert job.wait(300) and job.error is None
    direct = compare(space.run_scenarios(), reps=4, seed=11, workers=1)
    month = questions.last_month(job.result)
    table = questions.medians(job.result, month).set_index("scenario")
    rows = direct.summary[direct.summary["month"] == month].set_index("scenario")
    assert table["median"].to_dict() == rows["breaches_p50"].to_dict()
    goal = questions.read_goal(questions.goal_text("breaches", "at most", 10, "by", month))
    assert goal.text == f"breaches<=10 by {month}"
    # As dcsim compare --goal counts it: with the shipped model-error table, and without when asked.
    from sim.questions.compare import error_table, goal_table

    honest = goal_table(goal, direct.monthly, direct.baseline, error_table(None), 11)
    assert questions.goal_probabilities(job.result, goal)["probability"].tolist() == pytest.approx(
        honest["probability"].tolist()
    )
    assert questions.goal_probabilities(job.result, goal, False)["probability"].tolist() == pytest.approx(
        goal.probability(direct.monthly)["probability"].tolist()
    )


def test_provisional_chart_shows_the_replications_finished_so_far(monkeypatch):
    kept = []  # every batch the running job was shown, in order
    keep = Job.keep_batch

    def keep_and_record(job, name, frame):
        kept.append((name, frame))
        keep(job, name, frame)

    monkeypatch.setattr(Job, "keep_batch", keep_and_record)
    space = small_workspace()
    space.add_scenario("plan")
    space.add_change("plan", POST)
    job = questions.start_comparison(space.run_scenarios(), reps=4, seed=12, workers=1)
    assert job.wait(300) and job.error is None
    assert job.batches == []  # released once the answer holds every row
    names = job.result.names
    seen = pd.concat([frame.assign(scenario=name) for name, frame in kept])
    runs = seen.groupby(["scenario", "replication"]).size()
    assert sorted(runs.index) == [(name, r) for name in sorted(names) for r in range(4)]
    assert set(runs) == {len(questions.month_labels(space.config()))}  # each replication once, all months
    early = Job("early", total=8)
    early.batches.append(kept[0])
    summary, count = questions.provisional_summary(early)
    finished = job.result.monthly
    in_batch = finished["replication"].isin(kept[0][1]["replication"])
    first = finished[(finished["scenario"] == names[0]) & in_batch]
    assert count == first["replication"].nunique()
    by_month = first.groupby("month", sort=False)["breaches"].median()
    assert summary["breaches_p50"].tolist() == pytest.approx(by_month.tolist())
    assert questions.provisional_summary(Job("none", total=8)) is None


# --- dcsim app ---------------------------------------------------------------------------------
def test_app_binds_loopback_and_caps_uploads_by_default():
    from sim.cli.explorer import streamlit_command

    command = streamlit_command(8501, "127.0.0.1")
    settings = dict(zip(command[5::2], command[6::2], strict=False))
    assert settings["--server.address"] == "127.0.0.1" and settings["--server.port"] == "8501"
    assert settings["--server.maxUploadSize"] == "5"


def test_app_refuses_a_bad_baseline_with_the_cli_message(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("service: {start_date: 2024-04-01}\n")
    result = CliRunner().invoke(app, ["app", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: demand: Field required" in result.output


def test_old_fit_folders_are_pruned_newest_and_current_kept(tmp_path):
    import os

    from sim.web.calibrated import prune

    folders = []
    for number in range(30):
        folder = tmp_path / f"fit{number:02d}"
        folder.mkdir()
        (folder / "calibrated.yaml").write_text("x")
        os.utime(folder, (1_000_000 + number, 1_000_000 + number))  # fit29 newest
        folders.append(folder)
    current = folders[0]  # oldest by time, but the one just written
    prune(tmp_path, keep=current, count=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit00", "fit26", "fit27", "fit28", "fit29"]


# --- stale answers -----------------------------------------------------------------------------
def test_an_answer_is_stale_once_the_service_or_a_scenario_changes():
    from sim.web.answers import Asked, comparison_key, is_stale

    space = small_workspace()
    space.add_scenario("plan")
    asked = Asked(
        "compare",
        comparison_key(space, ["baseline", "plan"], 5, 1),
        {"names": ["baseline", "plan"], "reps": 5, "seed": 1},
    )
    assert not is_stale(space, asked)
    space.with_values({"demand.monthly_rate": 70.0})
    assert is_stale(space, asked)
    space.with_values({"demand.monthly_rate": 60.0})  # back as it was: current again
    assert not is_stale(space, asked)
    space.add_change("plan", POST)
    assert is_stale(space, asked)
    job = questions.start_comparison(space.run_scenarios(["baseline", "plan"]), 5, 1, workers=1)
    assert job.wait(600)
    assert job.key == comparison_key(space, ["baseline", "plan"], 5, 1)  # the page's key is the job's key


def test_a_capacity_question_round_trips_through_its_stored_request():
    from sim.web.answers import Asked, capacity_key, capacity_question, capacity_request, is_stale

    space = small_workspace()
    question = questions.CapacityQuestion(
        "baseline", "band6", dt.date(2024, 6, 1), 0.0, "breaches<=0 by 2025-03", 0.8, 0.0, 2.0, 1.0
    )
    request = capacity_request(question, 4, 2)
    assert capacity_question(request) == question
    asked = Asked.from_json(Asked("capacity", capacity_key(space, question, 4, 2), request).to_json())
    assert capacity_question(asked.request) == question and not is_stale(space, asked)
