"""The browser explorer end to end in a real browser (Playwright driving Debian's Chromium).

A planner's session: raise the Band 6 WTE, add a scenario with a post from a date, run 20
replications, read the medians off the page, download the scenario's YAML. The medians must be
those ``sim.api.run`` gives for the same service (built here independently of the app) and seed,
and the YAML must validate to that same service.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest

pytest.importorskip("playwright")
pytest.importorskip("streamlit")

from browser_marks import IN_A_BROWSER  # noqa: E402

from sim.api import run  # noqa: E402
from sim.engine.scenario import load_config, resolve, validate  # noqa: E402
from sim.web.browser import (
    browser_page,
    choose,
    finished_comparison,
    go_to,
    open_app,  # noqa: E402
    serve,
    settle,
    type_date,
    type_into,
)
from sim.web.workspace import EXAMPLE  # noqa: E402

pytestmark = [
    *IN_A_BROWSER,
]
REPS, SEED, SCENARIO = 20, 7, "One more post"
TITLE = "Do nothing (current service)"  # the example baseline's title: the page names it so


def expected_configs():
    """The baseline with 5.8 Band 6 WTE, and it plus one Band 6 post from 1 October 2024."""
    document, _ = resolve(EXAMPLE)
    document["workforce"][1]["wte"] = 5.8
    baseline = validate(document, "expected baseline")
    post = {"date": dt.date(2024, 10, 1), "add_staff": {"role": "band6", "wte": 1.0}}
    scenario = validate({**document, "events": [*document.get("events", []), post]}, "expected scenario")
    return baseline, scenario


def last_month_median(config) -> str:
    """The last month's median breaches as the page (and the report) write it: whole, with commas."""
    summary = run(config, reps=REPS, seed=SEED).summary
    return f"{math.floor(summary['breaches_p50'].iloc[-1] + 0.5):,}"


def test_planner_session_matches_the_python_api(tmp_path):
    with serve() as address, browser_page() as page:
        open_app(page, address)
        settle(page)
        type_into(page, "Band 6 WTE", "5.8")
        page.get_by_role("button", name="Apply changes").click()
        page.get_by_text("Changes applied").wait_for()

        go_to(page, "Scenarios")
        type_into(page, "New scenario name", SCENARIO)
        page.get_by_role("button", name="Add scenario").click()
        page.get_by_text(f"Changes in {SCENARIO}").wait_for()
        type_date(page, "From", 2024, 10, 1)
        choose(page, "Role", "Band 6")
        type_into(page, "WTE", "1")
        page.get_by_role("button", name="Add change").click()
        page.get_by_text("From 1 Oct 2024: +1 WTE Band 6").wait_for()

        go_to(page, "Run and compare")
        type_into(page, "Replications", str(REPS))
        type_into(page, "Seed", str(SEED))
        page.get_by_role("button", name="Run", exact=True).click()
        finished_comparison(page, timeout=600_000)
        settle(page)
        text = page.locator("main").inner_text()
        page.screenshot(path=tmp_path / "run_and_compare.png", full_page=True)
        shown = dict(re.findall(rf"^({re.escape(TITLE)}|{SCENARIO}): median ([0-9,]+) ", text, re.M))
        page.get_by_role("button", name="Work out P(goal)").click()
        page.get_by_text("Goal: Waiting over the target: none").wait_for()

        page.reload()  # the workspace comes back by the address: scenario, answer and goal
        page.get_by_role("heading", name="Run and compare", exact=True).wait_for(timeout=120_000)
        finished_comparison(page, timeout=120_000)
        settle(page)
        again = page.locator("main").inner_text()
        assert dict(re.findall(rf"^({re.escape(TITLE)}|{SCENARIO}): median ([0-9,]+) ", again, re.M)) == shown
        assert "Goal: Waiting over the target: none" in again and "Out of date" not in again
        go_to(page, "Scenarios")
        page.get_by_text("From 1 Oct 2024: +1 WTE Band 6").wait_for()

        go_to(page, "Take it away")
        with page.expect_download() as report:
            page.get_by_role("button", name="Download report.html").click()
        html = tmp_path / "report.html"
        report.value.save_as(html)
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Download {SCENARIO}.yaml").click()
        saved = tmp_path / "one_more_post.yaml"
        download.value.save_as(saved)

    baseline, scenario = expected_configs()
    assert shown == {TITLE: last_month_median(baseline), SCENARIO: last_month_median(scenario)}
    assert load_config(saved) == scenario
    assert (tmp_path / "run_and_compare.png").stat().st_size > 0
    report = html.read_text()
    assert "Probability of meeting the goal" in report and SCENARIO in report
