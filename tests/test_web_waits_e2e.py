"""Starting from real waits in a real browser (Playwright driving Debian's Chromium).

``dcsim app --waits`` on the CHS wide file (``../shared/data/chs``, never copied): the planner
lands on the Start from waits page, looks the provider up by its code, picks the service, builds
the service, finds the list where it stands on the Service page, and finds it all again after a
reload. The figures on the page must be those of the raw file, read here with the csv module.
Started without ``--waits``, the same page takes a band history uploaded in the browser.
"""

from __future__ import annotations

import csv
import gzip

import pytest
from test_web_waits import BANDS, RLQ, SLT, WIDE

pytest.importorskip("playwright")
pytest.importorskip("streamlit")

from browser_marks import IN_A_BROWSER  # noqa: E402

from sim.web.browser import (  # noqa: E402
    browser_page,
    go_to,
    open_app,
    search_choose,
    serve,
    settle,
    type_into,
)

pytestmark = [
    *IN_A_BROWSER,
]
needs_chs = pytest.mark.skipif(
    not WIDE.is_file(), reason=f"the public CHS panel is not at {WIDE} (set DCSIM_CHS_DIR)"
)
PAGE = "Start from waits"


def raw(month: str) -> dict[str, str]:
    with gzip.open(WIDE, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return next(r for r in rows if (r["org_code"], r["service"], r["month"]) == (RLQ, SLT, month))


@needs_chs
def test_a_planner_builds_a_service_from_chs_waits_and_finds_it_after_a_reload(tmp_path):
    latest, start = raw("2025-10"), raw("2025-07")
    waiting, over = int(latest["waiting_total"]), int(latest["over_18_weeks"])
    headline = f"{waiting:,} waiting at the end of Oct 2025, {over:,} ({over / waiting:.0%}) of them over"
    with serve(waits=WIDE) as address, browser_page() as page:
        open_app(page, address, first=PAGE)
        search_choose(page, "Provider (type part of its name or code)", RLQ, f"· {RLQ}")
        search_choose(page, "Service", "speech", SLT)
        page.get_by_text("Nov 2023 to Jul 2024 missing (9 months)").wait_for()
        type_into(page, "Forecast replications", "20")
        type_into(page, "Months to forecast", "6")
        settle(page)
        page.get_by_role("button", name="Build the service from these waits").click()
        page.get_by_text("The service built from its waits", exact=False).wait_for(timeout=600_000)
        settle(page)
        page.get_by_text("referrals join the list each month", exact=False).wait_for()
        assert page.locator(".js-plotly-plot").count() >= 3  # the series and the two forecast fans

        go_to(page, "Service")
        text = page.locator("main").inner_text()
        assert headline in text
        assert f"starts from the list at the end of Jul 2025: {int(start['waiting_total']):,} waiting" in text
        page.screenshot(path=tmp_path / "service.png", full_page=True)

        page.reload()  # the workspace comes back by its address: the built service, its origin
        page.get_by_role("heading", name="Service", exact=True).wait_for(timeout=120_000)
        settle(page)
        assert headline in page.locator("main").inner_text()
        go_to(page, "Start from waits")
        page.get_by_text("What the waits imply").wait_for(timeout=120_000)
    assert (tmp_path / "service.png").stat().st_size > 0


def test_a_waits_file_uploaded_in_the_browser_builds_the_service(tmp_path):
    """Started without --waits: the page takes an uploaded band history (made here)."""
    upload = tmp_path / "our waits.csv"
    upload.write_text(BANDS)
    with serve() as address, browser_page() as page:
        open_app(page, address)
        go_to(page, PAGE)
        page.get_by_text("Upload a waits file to begin.").wait_for()
        page.locator("input[type=file]").set_input_files(upload)
        page.get_by_text("8 months", exact=False).first.wait_for(timeout=120_000)
        settle(page)
        assert "Feb 2024: bands add up to 419, the total is 400" in page.locator("main").inner_text()
        type_into(page, "Forecast replications", "10")
        type_into(page, "Months to forecast", "3")
        settle(page)
        page.get_by_role("button", name="Build the service from these waits").click()
        page.get_by_text("The service built from its waits", exact=False).wait_for(timeout=600_000)
        go_to(page, "Service")
        text = page.locator("main").inner_text()
    assert "454 waiting at the end of Aug 2024, 136 (30%) of them over the 18-week target." in text
    assert "From the published waits in our_waits.csv." in text
