"""Each page of the explorer driven through Streamlit's own test harness (AppTest).

Pages are run one at a time with a small service in the session; runs are tiny. What the pages
show is checked against the workspace, the job store and the CLI's messages.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os

import numpy as np
import pandas as pd
import pytest
import yaml
from services import ROOT, service_document

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.api import goal_capacity, run  # noqa: E402
from sim.engine.scenario import ConfigError, load_config  # noqa: E402
from sim.reports.setting_words import setting_value  # noqa: E402
from sim.web.jobs import STORE  # noqa: E402
from sim.web.workspace import Workspace  # noqa: E402

PAGES = ROOT / "sim" / "web" / "pages"


@pytest.fixture(autouse=True, scope="module")
def workspaces_folder(tmp_path_factory):
    """Workspaces the pages save go to a folder of the test run, never the user's."""
    from sim.web.session import workspace_store

    folder = tmp_path_factory.mktemp("workspaces")
    previous = os.environ.get("DCSIM_APP_WORKSPACES")
    os.environ["DCSIM_APP_WORKSPACES"] = str(folder)
    workspace_store.clear()
    yield folder
    workspace_store.clear()
    if previous is None:
        os.environ.pop("DCSIM_APP_WORKSPACES")
    else:
        os.environ["DCSIM_APP_WORKSPACES"] = previous


POST = {"date": dt.date(2024, 6, 1), "add_staff": {"role": "band6", "wte": 1.0}}


def page(name: str, space: Workspace | None = None, **state) -> AppTest:
    test = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=120)
    test.session_state["workspace"] = space or Workspace(service_document(), "small.yaml")
    for key, value in state.items():
        test.session_state[key] = value
    return test.run()


def button(test: AppTest, label: str):
    return next(b for b in test.button if b.label == label)


def asked_key(test: AppTest, kind: str) -> str:
    """The job key of the workspace's last question of ``kind`` ("compare", "capacity", "fit")."""
    return test.session_state["workspace"].asked[kind].key


def finish(test: AppTest, kind: str) -> AppTest:
    """Wait for the page's background job, then rerun the page to show its answer."""
    assert STORE.get(asked_key(test, kind)).wait(600)
    return test.run()


def finished_run_page(space: Workspace, reps: int, seed: int) -> AppTest:
    """The Run page after pressing Run with ``reps`` and ``seed``, its answer shown."""
    test = page("run", space)
    test.number_input[0].set_value(reps)
    test.number_input[1].set_value(seed)
    button(test, "Run").click().run()
    test = finish(test, "compare")
    assert not test.exception
    return test


def charts(test: AppTest) -> dict[str, list[dict]]:
    """The page's plotly figures by title: their traces, numbers decoded from plotly's typed arrays."""
    figures = {}
    for chart in test.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        traces = [{k: decoded(v) for k, v in trace.items()} for trace in spec["data"]]
        figures[spec["layout"]["title"]["text"]] = traces
    return figures


def decoded(value):
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return value


def shown_table(test: AppTest, column: str) -> pd.DataFrame:
    """The last table on the page with ``column``."""
    return [d.value for d in test.dataframe if column in d.value.columns][-1]


def errors(test: AppTest) -> str:
    return "\n".join(str(e.value) for e in test.error)


def test_service_page_applies_valid_values_and_refuses_bad_ones_with_cli_messages():
    test = page("service")
    assert not test.exception
    test.number_input(key="kv-workforce.0.wte").set_value(4.5)
    button(test, "Apply changes").click().run()
    space = test.session_state["workspace"]
    assert space.config().workforce[0].wte == 4.5
    assert "Changes applied" in test.success[0].value
    test.number_input(key="kv-demand.monthly_rate").set_value(-5.0)
    button(test, "Apply changes").click().run()
    assert "Referrals a month cannot be below 0 (-5 given)." in errors(test)  # next to the input
    assert space.document["demand"]["monthly_rate"] == 60
    test.number_input(key="kv-demand.monthly_rate").set_value(0.0)
    button(test, "Apply changes").click().run()
    assert "Input should be greater than 0" in errors(test)  # the schema's own check, after the form's
    assert space.document["demand"]["monthly_rate"] == 60
    labels = [t.label for t in test.tabs]
    assert labels == ["Referrals", "Triage", "Pathways", "Job plans", "Staff in post", "Starting list"]
    staff = next(d.value for d in test.dataframe if "role" in d.value.columns)
    assert staff["WTE"].tolist() == ["4.5", "1.0"]
    bars = charts(test)["Referrals expected a month"][0]
    seasonality = space.document["demand"].get("seasonality", [1.0] * 12)
    assert bars["x"][0] == "Jan" and bars["y"] == pytest.approx([60 * s for s in seasonality])


def test_scenarios_page_builds_named_scenarios_from_plain_words():
    test = page("scenarios")
    test.text_input[0].input("Extra post")
    button(test, "Add scenario").click().run()
    assert test.session_state["workspace"].names() == ["baseline", "Extra post"]
    test.date_input(key="change_from").set_value(dt.date(2024, 6, 1))
    test.selectbox(key="change-add_staff-role").set_value("band6")
    test.number_input(key="change-add_staff-wte").set_value(2.0)
    button(test, "Add change").click().run()
    events = test.session_state["workspace"].scenario("Extra post").events
    assert events == [
        {
            "date": dt.date(2024, 6, 1),
            "add_staff": {"role": "band6", "wte": 2.0, "recruitment_lag_weeks": 0.0},
        }
    ]
    assert any("+2 WTE Band 6" in m.value for m in test.markdown)
    test.selectbox(key="change_kind").set_value("Change any setting from a date").run()
    test.text_input(key="change-set-setting").input("demand.no_such_setting")
    button(test, "Add change").click().run()
    assert "scenario 'Extra post': events.0.set" in errors(test) or "no_such_setting" in errors(test)
    assert len(test.session_state["workspace"].scenario("Extra post").events) == 1


def test_run_page_shows_the_medians_sim_api_gives_and_p_goal():
    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("plan")
    space.add_change("plan", POST)
    test = finished_run_page(space, reps=6, seed=5)
    summary = run(space.scenario_config("plan"), reps=6, seed=5).summary.iloc[-1]
    low, mid, high = (f"{math.floor(summary[f'breaches_{q}'] + 0.5):,}" for q in ("p10", "p50", "p90"))
    said = f"**plan**: median {mid} (10-90%: {low} to {high}); "  # then the band with model error
    assert any(m.value.startswith(said) for m in test.markdown)
    assert test.subheader[0].value == "Waiting over the target at the end of Mar 2025"
    button(test, "Work out P(goal)").click().run()
    table = shown_table(test, "P(goal)")
    assert list(table["scenario"]) == ["baseline", "plan"]  # by title; a baseline without one by its name
    assert table["P(goal)"].str.fullmatch(r"\d{1,3}%").all() and table.at[1, "vs baseline"]
    assert space.goal == "breaches<=0 by 2025-03"
    # What the goal takes, as sim.api works it out from the same services (no simulation needed).
    configs = {"baseline": space.config(), "plan": space.scenario_config("plan")}
    takes = goal_capacity(configs, "breaches<=0 by 2025-03")
    assert "What the goal takes" in [h.value for h in test.subheader]
    needed = shown_table(test, "needed a month")
    assert needed["needed a month"].tolist() == [
        f"{math.floor(v + 0.5):,}" for v in takes.summary["needed_per_month"]
    ]
    assert needed["adds a month"].iloc[0] == "0" and needed["adds a month"].iloc[1].startswith("+")
    by_wait = shown_table(test, "must be seen a month")
    assert len(by_wait) == (takes.bands["scenario"] == "baseline").sum()
    test.select_slider[0].set_value("2024-09").run()  # P(goal) stays when the month moves
    assert test.subheader[0].value == "Waiting over the target at the end of Sep 2024"
    assert shown_table(test, "P(goal)").equals(table)


def test_run_page_charts_overdue_follow_ups_with_report_labels_and_takes_them_as_goals():
    """A service whose follow-ups fall behind: the overdue count, weeks past due, months as "Mar 2025"."""
    base = service_document()
    busy = {name: {"followups": {"mean": 4 * p["followups"]["mean"]}} for name, p in base["pathways"].items()}
    space = Workspace(service_document({"pathways": busy}), "busy.yaml")
    test = finished_run_page(space, reps=6, seed=5)
    expected = run(space.config(), reps=6, seed=5)
    summary = expected.summary
    months = [dt.datetime.strptime(m, "%Y-%m").strftime("%b %Y") for m in summary["month"]]
    assert [t.label for t in test.tabs][3:] == ["Follow-ups overdue", "Other measures"]

    assert list(charts(test)) == ["Waiting over the target"]  # only the open tab's chart is drawn
    test.session_state["chart-tab"] = "Follow-ups overdue"
    overdue = next(t for t in charts(test.run())["Follow-ups overdue"] if t.get("name") == "baseline")
    assert overdue["x"] == months and overdue["y"] == summary["followup_overdue_p50"].tolist()
    assert summary["followup_overdue_p50"].iloc[-1] > 50  # the service is behind with follow-ups
    last = summary.iloc[-1]
    hover = f"median {math.floor(last['followup_overdue_p50'] + 0.5):,} (10-90%: "
    assert overdue["customdata"][-1][0].startswith(hover)

    test.session_state["chart-tab"] = "Other measures"
    test.run().selectbox(key="other-measure").set_value("followup_overdue_p92_weeks").run()
    weeks = charts(test)["Overdue follow-ups: 92nd centile weeks past due"]
    line = next(t for t in weeks if t.get("name") == "baseline")
    assert line["y"] == pytest.approx(summary["followup_overdue_p92_weeks_p50"].tolist())
    assert line["customdata"][-1][0].startswith(f"median {last['followup_overdue_p92_weeks_p50']:.1f} ")

    # P(92% of overdue follow-ups are at most T weeks past due by the last month), T = a middle value.
    final = expected.monthly[expected.monthly["month"] == summary["month"].iloc[-1]]
    threshold = float(final["followup_overdue_p92_weeks"].round(1).median())
    share = (final["followup_overdue_p92_weeks"] <= threshold).mean()
    test.selectbox(key="goal-measure").set_value("followup_overdue_p92_weeks")
    next(n for n in test.number_input if n.label == "Number").set_value(threshold)
    next(s for s in test.selectbox if s.label == "Month").set_value(summary["month"].iloc[-1])
    button(test, "Work out P(goal)").click().run()
    table = shown_table(test, "P(goal)").set_index("scenario")
    assert table.at["baseline", "P(goal)"] == f"{share:.0%}"
    assert any("worked out for goals on patients over the target" in i.value for i in test.info)
    assert table.at["baseline", "simulated futures meeting it"] == f"{int(share * 6)} of 6"
    assert any("end of March 2025" in m.value for m in test.markdown)


def test_run_page_reports_a_scenario_that_no_longer_validates():
    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("plan")
    space.scenario("plan").events.append({"date": dt.date(2020, 1, 1), "set": {}})
    test = page("run", space)
    button(test, "Run").click().run()
    assert "events: 2020-01-01 is before the start date" in errors(test)


def test_capacity_page_answers_in_a_sentence():
    test = page("capacity")
    test.number_input(key="cap-high").set_value(2.0)
    test.number_input(key="cap-step").set_value(1.0)
    test.number_input(key="cap-reps").set_value(10)
    # The simulation alone: with the model's real-world error no value on this short grid reaches 90%.
    test.checkbox(key="cap-model-error").uncheck()
    button(test, "Find the capacity needed").click().run()
    assert not test.error, errors(test)
    test = finish(test, "capacity")
    assert not test.exception
    result = STORE.get(asked_key(test, "capacity")).result
    chance = result.evaluations.set_index("value")["probability"][result.value]
    assert test.success[0].value == (
        f"{result.value:g} WTE Band 4 from 1 April 2024 reaches the goal (Waiting over the target: none at "
        f"the end of March 2025) with a {chance:.0%} chance (asked for 90%)."
    )


def test_calibrate_page_fits_uploaded_figures():
    """Fit, draws, files, and the forecast conditioned on the reported months, on one page."""
    # Reported waiting lists of the service with less clinical time than the workspace assumes.
    slower = service_document({"job_plans": {"band6": {"non_clinical_share": 0.45}}})
    truth = run(Workspace(slower, "s").config(), reps=4, seed=1).summary
    history = pd.DataFrame({"month": truth["month"][:10], "waiting": truth["waiting_p50"][:10].round()})
    test = page("calibrate", history=history)
    test.multiselect[0].set_value(["job_plans.band6.non_clinical_share"])
    test.number_input[0].set_value(2)
    test.number_input[1].set_value(20)
    test.number_input[2].set_value(10)
    button(test, "Fit").click().run()
    test = finish(test, "fit")
    assert not test.exception, test.exception
    fitted = test.dataframe[1].value
    assert list(fitted["setting"]) == ["Band 6: time not with patients"]  # named as the Service page does
    answer = STORE.get(asked_key(test, "fit"))
    assert answer.wait(600)
    files = answer.result.files

    # The kept draws' ranges: centiles of the downloaded draws file, weighted as runs pick them.
    downloads = {b.proto.label: b for b in test.get("download_button")}
    assert set(downloads) >= {"Download calibrated.yaml", "Download parameter_draws.csv"}
    draws = pd.read_csv(files.draws)
    ranges = next(d.value for d in test.dataframe if "10th centile" in d.value.columns).set_index("setting")
    values = draws["job_plans.band6.non_clinical_share"].to_numpy(float)
    weights = draws["weight"].to_numpy(float)
    for column, q in (("10th centile", 0.1), ("median", 0.5), ("90th centile", 0.9)):
        expected = midpoint_quantile(values, weights, q)
        shown = ranges.at["Band 6: time not with patients", column]  # a percentage, as the setting is shown
        assert shown == setting_value("job_plans.band6.non_clinical_share", expected)

    # The calibrated scenario: the CLI's file, extending the fitted service and naming the draws.
    scenario = load_config(files.scenario)
    assert scenario.parameter_draws.file.endswith("parameter_draws.csv")
    assert scenario.job_plans["band6"].non_clinical_share == pytest.approx(
        answer.result.fit.estimate["job_plans.band6.non_clinical_share"]
    )

    # The conditioned forecast: the calibrated scenario run on from the reported months.
    seed = test.session_state["run_settings"]["seed"]
    test = wait_for_conditioning(test, files, history, seed)
    conditioned = run(files.scenario, reps=10, seed=seed, observed=history)
    info = conditioned.manifest["conditioning"]
    assert info["cut_off"] == history["month"].iloc[-1] and info["candidates"] == 50
    median = conditioned.summary.set_index("month").at[info["cut_off"], "waiting_p50"]
    reported = float(history["waiting"].iloc[-1])
    size = info["dispersion_k"] or float("inf")
    noise = (median + median**2 / size) ** 0.5  # the observation model's sd: Var = x + x^2/k
    assert reported > 0 and abs(median - reported) <= 2 * noise
    figure = charts(test)["Waiting list (clock running): from the reported months"]
    line = next(t for t in figure if t.get("name") == "Calibrated service")
    shown = dict(zip(line["x"], line["y"], strict=True))
    assert shown["Jan 2025"] == pytest.approx(median)  # the page charts what sim.api gives
    dots = next(t for t in figure if t.get("name") == "Reported")
    assert (dots["x"][-1], dots["y"][-1]) == ("Jan 2025", reported)
    assert f"{info['candidates']} simulated futures were weighted" in test.caption[-1].value

    button(test, "Use the fitted values in the service").click().run()
    space = test.session_state["workspace"]
    config = space.config()
    assert config.parameter_draws is not None and config.parameter_draws.use
    assert space.draws_file().read_bytes() == files.draws.read_bytes()
    exported = space.scenario_yaml("baseline")
    assert yaml.safe_load(exported)["parameter_draws"] == {"file": "parameter_draws.csv", "use": True}
    assert str(files.folder) not in exported
    with pytest.raises(ConfigError, match="job_plans.band6.non_clinical_share: is drawn from"):
        space.with_values({"job_plans.band6.non_clinical_share": 0.3})  # runs would overwrite it
    space.with_values({"demand.monthly_rate": 61})  # a setting not drawn still changes
    away = page("takeaway", space)
    assert "Download parameter_draws.csv" in [b.proto.label for b in away.get("download_button")]


def midpoint_quantile(values, weights, q):
    """Weighted quantile by the midpoint rule, written out here for the check."""
    order = values.argsort(kind="stable")
    values, weights = values[order], weights[order]
    positions = (weights.cumsum() - weights / 2) / weights.sum()
    return float(np.interp(q, positions, values))


def wait_for_conditioning(test: AppTest, files, history, seed: int) -> AppTest:
    """The page started the conditioned run (10 forecast replications); asking again finds it."""
    from sim.web.calibrated import start_conditioned

    assert start_conditioned(files, history, 10, seed).wait(600)
    return test.run()


def test_take_it_away_offers_yaml_and_the_comparison_files():
    space = Workspace(service_document(), "small.yaml")
    test = page("run", space)
    test.number_input[0].set_value(3)
    button(test, "Run").click().run()
    finish(test, "compare")
    test = page("takeaway", space)
    assert not test.exception
    files = test.session_state["files"][1]
    assert files["board_table.xlsx"][:2] == b"PK"
    assert b"<html" in files["report.html"][:200]
    assert json.loads(files["manifest.json"])["goal"] is None


def test_the_goal_asked_on_the_run_page_travels_into_report_workbook_and_manifest():
    import io

    from openpyxl import load_workbook

    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("plan")
    space.add_change("plan", POST)
    test = finished_run_page(space, reps=4, seed=3)
    button(test, "Work out P(goal)").click().run()
    shown = shown_table(test, "P(goal)")
    test = page("takeaway", space)
    assert not test.exception
    files = test.session_state["files"][1]
    assert json.loads(files["manifest.json"])["goal"] == "breaches<=0 by 2025-03"
    report = files["report.html"].decode()
    assert "Probability of meeting the goal" in report and "breaches&lt;=0 by 2025-03" in report
    assert "<h2>What the goal takes</h2>" in report and "Who must be seen by Mar 2025" in report
    sheet = load_workbook(io.BytesIO(files["board_table.xlsx"]))["P(goal)"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0].startswith("Goal: breaches<=0 by 2025-03")
    assert rows[2][:2] == ["scenario", "P(goal)"]
    assert [r[:2] for r in rows[3:]] == shown[["scenario", "P(goal)"]].values.tolist()


def test_the_app_opens_on_the_service_page():
    test = AppTest.from_file(str(ROOT / "sim" / "web" / "app.py"), default_timeout=120).run()
    assert not test.exception
    assert test.title[0].value == "Service"


def test_scenarios_page_refuses_a_date_outside_the_run_and_starts_each_scenario_with_an_empty_form():
    test = page("scenarios")
    test.text_input[0].input("First")
    button(test, "Add scenario").click().run()
    test.date_input(key="change_from").set_value(dt.date(1900, 1, 1))
    test.text_input(key="change_label").input("A post")
    button(test, "Add change").click().run()
    assert "1 January 1900 is before the simulation starts (1 April 2024)" in errors(test)
    assert test.session_state["workspace"].scenario("First").events == []  # refused, not re-dated
    test.text_input[0].input("Second")
    button(test, "Add scenario").click().run()
    assert test.selectbox[0].value == "Second"
    assert test.text_input(key="change_label").value == ""
    assert test.date_input(key="change_from").value == dt.date(2024, 4, 1)
    assert not test.error


def test_service_page_refuses_a_share_out_of_range_next_to_its_input():
    test = page("service")
    key = next(k.key for k in test.number_input if k.key.endswith("dna_rate"))
    test.number_input(key=key).set_value(800.0)  # a percentage: 800% of appointments missed
    button(test, "Apply changes").click().run()
    assert "must be between 0% and 100% (800% given)" in errors(test)
    assert "Changes applied" not in " ".join(s.value for s in test.success)


def test_an_answer_worked_out_before_a_change_is_marked_stale_and_re_runs():
    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("plan")
    test = finished_run_page(space, reps=3, seed=4)
    assert not test.warning  # current
    first = asked_key(test, "compare")
    space.add_change("plan", POST)  # as the Scenarios page would
    test.run()
    assert "Out of date" in test.warning[0].value
    button(test, "Re-run the comparison with the current service and scenarios").click().run()
    assert asked_key(test, "compare") != first
    test = finish(test, "compare")
    assert not test.exception and not test.warning
    assert STORE.get(asked_key(test, "compare")).result.scenarios[1].config.events  # the new post


def test_the_app_reopens_the_workspace_its_address_names():
    from sim.web.session import workspace_store
    from sim.web.store import to_state

    test = AppTest.from_file(str(ROOT / "sim" / "web" / "app.py"), default_timeout=120).run()
    id = test.query_params["ws"]
    id = id[0] if isinstance(id, list) else id
    saved, _ = workspace_store().load(id)
    space = test.session_state["workspace"]
    space.add_scenario("kept")
    space.add_change("kept", POST)
    workspace_store().save(id, to_state(space), saved.version)  # as the page run's save does
    again = AppTest.from_file(str(ROOT / "sim" / "web" / "app.py"), default_timeout=120)
    again.query_params["ws"] = id
    again.run()
    assert not again.exception
    assert again.session_state["workspace"].scenario("kept").events == [POST]
    assert "kept" in again.session_state["saved_text"]
    fresh = AppTest.from_file(str(ROOT / "sim" / "web" / "app.py"), default_timeout=120).run()
    assert fresh.session_state["workspace"].scenarios == []  # no address: a new workspace


def test_run_page_shows_staff_costs_when_asked_as_sim_api_works_them_out():
    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("plan")
    space.add_change("plan", POST)
    test = finished_run_page(space, reps=2, seed=5)
    assert not any("Extra staff cost" in str(v) for d in test.dataframe for v in d.value.iloc[:, 0])
    test.toggle[0].set_value(True).run()
    assert not test.exception
    board = shown_table(test, "Series").set_index("Series")
    # One Band 6 at the top of band (£46,580) plus 28% on-costs from 1 June 2024 to the end of
    # March 2025: 10 months.
    assert board.loc["Extra staff cost to date: plan"].iloc[-1] == f"£{46_580 / 12 * 10 * 1.28:,.0f}"
    assert any("per breach avoided" in m.value or "no breaches avoided" in m.value for m in test.markdown)
