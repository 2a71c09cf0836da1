"""Issue 25's whole flow in a real browser, from a CHS series to the downloaded report.

A planner picks a series of the public CHS panel (``../shared/data/chs``, never copied), builds
the service from its waits, adds two scenarios, runs them, works out the chance of meeting a
goal, reloads the page and finds it all still there, then downloads the report and finds the
goal's chances and both scenarios' own titles in it.
"""

from __future__ import annotations

import re

import pytest
from test_web_waits import RLQ, SLT, WIDE

pytest.importorskip("playwright")
pytest.importorskip("streamlit")

from browser_marks import IN_A_BROWSER  # noqa: E402

from sim.web.browser import (  # noqa: E402
    browser_page,
    choose,
    finished_comparison,
    go_to,
    open_app,
    search_choose,
    serve,
    settle,
    type_date,
    type_into,
)

pytestmark = [
    *IN_A_BROWSER,
    pytest.mark.skipif(
        not WIDE.is_file(), reason=f"the public CHS panel is not at {WIDE} (set DCSIM_CHS_DIR)"
    ),
]
SCENARIOS = {"Half a post": "0.5", "A whole post": "1"}


def add_scenario(page, name: str, wte: str) -> None:
    go_to(page, "Scenarios")
    type_into(page, "New scenario name", name)
    page.get_by_role("button", name="Add scenario").click()
    page.get_by_text(f"Changes in {name}").wait_for()
    type_date(page, "From", 2025, 9, 1)
    choose(page, "Role", "Clinician")
    type_into(page, "WTE", wte)
    page.get_by_role("button", name="Add change").click()
    page.get_by_text(f"From 1 Sep 2025: +{wte} WTE Clinician").wait_for()


def medians(text: str) -> dict[str, str]:
    names = "|".join(re.escape(n) for n in ["baseline", *SCENARIOS])
    return dict(re.findall(rf"^({names}): median ([0-9,]+) ", text, re.M))


def test_from_a_chs_series_to_the_report_with_a_reload_between(tmp_path):
    with serve(waits=WIDE) as address, browser_page() as page:
        open_app(page, address, first="Start from waits")
        search_choose(page, "Provider (type part of its name or code)", RLQ, f"· {RLQ}")
        search_choose(page, "Service", "speech", SLT)
        type_into(page, "Forecast replications", "20")
        type_into(page, "Months to forecast", "6")
        settle(page)
        page.get_by_role("button", name="Build the service from these waits").click()
        page.get_by_text("The service built from its waits", exact=False).wait_for(timeout=600_000)
        settle(page)
        record = page.get_by_text("Track record on this service", exact=False)
        record.wait_for()
        record.scroll_into_view_if_needed()  # the page scrolls inside Streamlit's own container
        page.screenshot(path=tmp_path / "waits.png", full_page=True)

        for name, wte in SCENARIOS.items():
            add_scenario(page, name, wte)

        go_to(page, "Run and compare")
        type_into(page, "Replications", "20")
        type_into(page, "Seed", "5")
        page.get_by_role("button", name="Run", exact=True).click()
        finished_comparison(page, timeout=600_000)
        settle(page)
        shown = medians(page.locator("main").inner_text())
        assert set(shown) == {"baseline", *SCENARIOS}
        page.get_by_role("button", name="Work out P(goal)").click()
        page.get_by_text("Goal: Waiting over the target: none").wait_for()
        page.screenshot(path=tmp_path / "run.png", full_page=True)

        page.reload()
        page.get_by_role("heading", name="Run and compare", exact=True).wait_for(timeout=120_000)
        finished_comparison(page, timeout=120_000)
        settle(page)
        again = page.locator("main").inner_text()
        assert medians(again) == shown
        assert "Goal: Waiting over the target: none" in again and "Out of date" not in again

        go_to(page, "Take it away")
        with page.expect_download() as report:
            page.get_by_role("button", name="Download report.html").click()
        html = tmp_path / "report.html"
        report.value.save_as(html)
    text = html.read_text()
    assert "Probability of meeting the goal" in text
    for name in SCENARIOS:
        assert name in text
    assert "Do nothing (current service) (" not in text  # each named by itself, not by its baseline
    assert (tmp_path / "waits.png").stat().st_size > 0 and (tmp_path / "run.png").stat().st_size > 0
