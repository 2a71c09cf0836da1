"""Screenshots of the explorer started from published waits: the series picked, the service
built from them, and the Service page's current position (PNG, each under 200 KB).

    .venv/bin/python benchmarks/app_waits_screenshots.py [--out docs/images] [--data ../shared/data/chs]

Drives ``dcsim app --waits`` in headless Chromium on the CHS wide file (never copied into the
repository): picks a provider by typing its code, a service, builds with a few replications.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.web.browser import browser_page, go_to, open_app, search_choose, serve, settle, type_into

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from app_screenshots import shoot  # noqa: E402
from panel_series import WIDE_FILE, default_data_dir  # noqa: E402

PROVIDER, SERVICE = "RLQ", "(CYP) Therapy interventions: Speech and language"
PAGE = "Start from waits"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--data", type=Path, default=None, help="the CHS folder (default ../shared/data/chs)")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--height", type=int, default=860, help="viewport height: 4000 shows whole pages")
    options = parser.parse_args()
    data = options.data or default_data_dir()
    if data is None or not (data / WIDE_FILE).is_file():
        raise SystemExit("app_waits_screenshots: no CHS data found (../shared/data/chs or --data)")
    out = options.out
    with serve(waits=data / WIDE_FILE) as address, browser_page(1280, options.height) as page:
        open_app(page, address, first=PAGE)
        shoot(page, out, "waits_start")
        go_to(page, "Service")  # the example service: its position from the starting list
        shoot(page, out, "service_position_example")
        go_to(page, PAGE)
        search_choose(page, "Provider (type part of its name or code)", PROVIDER, f"· {PROVIDER}")
        search_choose(page, "Service", "speech", SERVICE)
        type_into(page, "Forecast replications", str(options.reps))
        settle(page)
        shoot(page, out, "waits_series", "Problems found in the figures (2)")
        page.get_by_role("button", name="Build the service from these waits").click()
        page.get_by_text("The service built from its waits", exact=False).wait_for(timeout=600_000)
        settle(page)
        shoot(page, out, "waits_built", "What the waits imply")
        shoot(page, out, "waits_forecast", "Share of each band leaving the list a month")
        go_to(page, "Service")
        shoot(page, out, "service_position")


if __name__ == "__main__":
    main()
