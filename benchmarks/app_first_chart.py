"""Time from pressing Run to the first chart in the browser explorer.

Starts ``dcsim app`` on a free loopback port, opens it in headless Chromium (Playwright, the
system's /usr/bin/chromium), sets 100 replications of the example baseline and measures the
wall time from the click on Run to the first plotly chart on the page (the provisional fan of
the replications finished so far) and to the finished answer (every replication). Each repeat
uses a new seed, so no answer comes from the cache. Target: the first chart within 10 s on the
2-core machine. For scale, right after each app run it times the same replications run
straight through ``sim.api.run`` (back to back, so both see the same load on a shared
machine) and reports the app's overhead over it.

    .venv/bin/python benchmarks/app_first_chart.py [--reps 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sim.api import run
from sim.web.browser import (
    browser_page,
    chromium_path,
    finished_comparison,
    go_to,
    open_app,
    serve,
    settle,
    type_into,
)
from sim.web.workspace import EXAMPLE


def chart_seconds(page, reps: int, seed: int) -> tuple[float, float]:
    """Seconds from Run to the first chart, and to the finished answer's caption."""
    type_into(page, "Replications", str(reps))
    type_into(page, "Seed", str(seed))
    started = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=600_000)
    first = time.perf_counter() - started
    finished_comparison(page, timeout=600_000)
    return first, time.perf_counter() - started


def api_seconds(reps: int, seed: int) -> float:
    """The same replications straight from the Python API (its own pool, as the app's job)."""
    started = time.perf_counter()
    run(EXAMPLE, reps, seed)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    if chromium_path() is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    times, finished, direct = [], [], []
    with serve() as address:
        for repeat in range(options.repeats):
            with browser_page() as page:  # a new browser session: no chart on the page yet
                open_app(page, address)
                settle(page)
                go_to(page, "Run and compare")
                first, whole = chart_seconds(page, options.reps, 1000 + repeat)
            times.append(first)
            finished.append(whole)
            direct.append(api_seconds(options.reps, 1000 + repeat))
            print(f"run {repeat + 1}: first chart {first:.1f} s, every replication {whole:.1f} s "
                  f"after pressing Run; sim.api.run {direct[-1]:.1f} s (app overhead "
                  f"{whole - direct[-1]:+.1f} s; load average {os.getloadavg()[0]:.1f})", flush=True)
    load = os.getloadavg()[0]
    print(f"sim.api.run of the same {options.reps} replications: median {statistics.median(direct):.1f} s")
    print(
        f"first chart for {options.reps} replications of the example baseline: median "
        f"{statistics.median(times):.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)}; "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end; target 10 s)"
    )
    overhead = [whole - api for whole, api in zip(finished, direct, strict=True)]
    print(
        f"finished answer (all {options.reps} replications): median {statistics.median(finished):.1f} s; "
        f"overhead over sim.api.run: median {statistics.median(overhead):+.1f} s"
    )


if __name__ == "__main__":
    main()
