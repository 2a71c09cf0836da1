"""Screenshots of each page of the browser explorer for docs/images (PNG, each under 200 KB).

    .venv/bin/python benchmarks/app_screenshots.py [--out docs/images] [--reps 40]

Drives ``dcsim app`` in headless Chromium through a planner's session on the example service:
a scenario with two dated changes, a run with the reported actuals, a capacity question, a
calibration to the example figures and the downloads page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from sim.web.browser import (
    browser_page,
    choose,
    finished_comparison,
    go_to,
    open_app,
    serve,
    settle,
    type_date,
    type_into,
)

ROOT = Path(__file__).resolve().parents[1]
ACTUALS = ROOT / "scenarios" / "example" / "actuals.csv"
LIMIT = 200_000


def shoot(page, out: Path, name: str, anchor: str | None = None) -> None:
    """A viewport screenshot (scrolled to ``anchor`` text), shrunk to a palette PNG."""
    page.wait_for_load_state("networkidle")  # the widgets' own scripts, loaded on first use
    page.wait_for_timeout(1500)
    if anchor:
        page.get_by_text(anchor, exact=True).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
    path = out / f"app_{name}.png"
    page.screenshot(path=path)
    image = Image.open(path).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    size = path.stat().st_size
    print(f"{path}: {size / 1000:.0f} KB" + ("  (over 200 KB!)" if size > LIMIT else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--height", type=int, default=860, help="viewport height: 4000 shows whole pages")
    options = parser.parse_args()
    out = options.out
    with serve() as address, browser_page(1280, options.height) as page:
        open_app(page, address)
        page.get_by_label("Band 6 WTE").wait_for()
        shoot(page, out, "service")

        go_to(page, "Scenarios")
        type_into(page, "New scenario name", "Three Band 6 posts")
        page.get_by_role("button", name="Add scenario").click()
        page.get_by_text("Changes in Three Band 6 posts").wait_for()
        settle(page)
        type_date(page, "From", 2024, 10, 1)
        choose(page, "Role", "Band 6")
        type_into(page, "WTE", "3")
        type_into(page, "Recruitment lag (weeks)", "12")
        page.get_by_role("button", name="Add change").click()
        settle(page)
        page.get_by_text("+3 WTE Band 6", exact=False).wait_for()
        choose(page, "What changes", "Backlog clinic (extra sessions)")
        page.get_by_label("Extra clinical hours a week", exact=True).wait_for()
        settle(page)
        type_date(page, "From", 2024, 6, 1)
        type_into(page, "Extra clinical hours a week", "20")
        page.get_by_role("button", name="Add change").click()
        settle(page)
        shoot(page, out, "scenarios", "Changes in Three Band 6 posts")

        go_to(page, "Run and compare")
        page.locator("input[type=file]").set_input_files(ACTUALS)
        settle(page)
        type_into(page, "Replications", str(options.reps))
        page.get_by_role("button", name="Run", exact=True).click()
        finished_comparison(page)
        settle(page)
        shoot(page, out, "run_and_compare", "Waiting over the target")
        page.get_by_role("tab", name="Follow-ups overdue").click()
        settle(page)
        shoot(page, out, "follow_ups_overdue", "Follow-ups overdue")

        go_to(page, "Capacity needed")
        type_into(page, "Most WTE tried", "4")
        type_into(page, "Step", "1")
        type_into(page, "Replications per try", "20")
        page.get_by_role("button", name="Find the capacity needed").click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=900_000)
        settle(page)
        shoot(page, out, "capacity_needed", "Starting from")

        go_to(page, "Calibrate")
        page.locator("input[type=file]").set_input_files(ACTUALS)
        settle(page)
        type_into(page, "Replications per evaluation", "2")
        type_into(page, "Draws for the ranges", "40")
        type_into(page, "Forecast replications", "20")
        page.get_by_role("button", name="Fit", exact=True).click()
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=1_800_000)  # the conditioned fan too
        settle(page)
        shoot(page, out, "calibrate", "Fitted settings and their 90% ranges")
        shoot(page, out, "calibrate_forecast", "Forecast")

        go_to(page, "Take it away")
        page.get_by_text("Download report.html").wait_for(timeout=300_000)
        shoot(page, out, "take_it_away")


if __name__ == "__main__":
    main()
