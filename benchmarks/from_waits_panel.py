"""Issue #22's real-panel target: does `from-waits` give a service or a clear refusal for every
series, and does the fitted service reproduce the months it was fitted on?

    python benchmarks/from_waits_panel.py [--sample N] [--reps 40] [--seed 0] [--data DIR]

Every provider x service series of ``../shared/data/chs`` with at least 6 consecutive months
(with a submission) is taken at the last month of its latest such run. ``from-waits``'s
estimate there either refuses (a ``WaitsError``: the reason is tallied) or gives flows; any
other exception is a bug and is listed.

Where it gives flows, the service is rebuilt from the *first* fitted month's snapshot with the
flows as fitted (the list's growth included: ``persistence=1``, where the forecast itself
carries none) and run over the fitted months; the target is that the reported list size and
over-18-week count fall inside the 80% band in at least 80% of fitted months, pooled over
series. Both bands are shown: the simulation's own p10-p90 (parameter draws and within-model
noise), and that band widened by the shipped model-error table as `from-waits` widens its
forecast (scaled by the first fitted month's level; the table's months are 2023's).
``--sample N`` takes a fixed random sample of N series (seed 0) for a quicker look. Prints the
refusal reasons, the coverage, and the time.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from calibration.from_waits.bands import with_model_error  # noqa: E402
from calibration.from_waits.estimate import estimate  # noqa: E402
from calibration.from_waits.forecast import (  # noqa: E402
    count_bands,
    draw_table,
    forecast_summary,
    origin_levels,
)
from calibration.from_waits.service import build_service  # noqa: E402
from calibration.waits import WaitsError  # noqa: E402
from calibration.waits.history import month_index  # noqa: E402
from calibration.waits.panel import list_panel, select  # noqa: E402
from calibration.waits.reader import load_panel  # noqa: E402
from sim.engine.scenario import validate  # noqa: E402
from sim.runs.replication_plan import ReplicationPlan  # noqa: E402
from sim.runs.runner import run_replications  # noqa: E402

MIN_RUN = 6
WIDE = "chs_england_therapy_wide.csv.gz"


def latest_run_end(months: tuple[str, ...], length: int = MIN_RUN) -> str | None:
    """The last month of the latest run of at least ``length`` consecutive months, if any."""
    best, count = None, 0
    for i, month in enumerate(months):
        count = count + 1 if i and month_index(month) == month_index(months[i - 1]) + 1 else 1
        if count >= length:
            best = month
    return best


def reason_kind(message: str) -> str:
    """A refusal's reason without its file, months and counts, to tally like with like."""
    text = message.split(": ", 1)[-1]
    text = re.sub(r"\d{4}-\d{2}", "YYYY-MM", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return text[:110]


def replay(history, up_to: str, reps: int, seed: int) -> dict[str, tuple[int, int]]:
    """Months inside the 80% band / months scored, per measure, for the fitted flows run over
    the fitted months from the first one's snapshot."""
    fitted = estimate(history, up_to, seed=seed, persistence=1.0)
    months = list(fitted.months)
    first = history.up_to(months[0])
    start = dataclasses.replace(fitted, months=(months[0],))
    document, draws = build_service(start, first.counts[-1], name="replay", target_weeks=18.0,
                                    horizon=len(months) - 1)
    plan = ReplicationPlan(validate(document, "replay"), draw_table(draws), count_bands(18.0))
    monthly = run_replications(plan, reps, seed, workers=1)
    reported = history.up_to(up_to)
    at = {m: i for i, m in enumerate(reported.months)}
    own = forecast_summary(monthly, 18.0)
    widened = with_model_error(own, origin_levels(history, months[0], 18.0)).summary
    out = {}
    for measure, name, values in (("waiting", "waiting", reported.totals),
                                  ("over_18_weeks", "breaches", reported.over(18.0))):
        actual = np.array([values[at[m]] for m in months[1:]], dtype=float)
        for band, summary in (("simulation", own), ("with model error", widened)):
            low, high = summary[f"{name}_p10"].to_numpy(float), summary[f"{name}_p90"].to_numpy(float)
            out[(measure, band)] = (int(((actual >= low) & (actual <= high)).sum()), len(actual))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parents[1] / "shared" / "data" / "chs")
    parser.add_argument("--sample", type=int, default=0, help="a fixed random sample of N series (0: all)")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = args.data / WIDE
    if not path.exists():
        sys.exit(f"{path}: not found (the shared data folder beside the repository)")
    started = time.perf_counter()
    panel = load_panel(path)
    listing = list_panel(panel)
    listing = listing[listing["provider_code"].fillna("") != ""]
    chosen = []
    for code, service in listing[["provider_code", "service"]].itertuples(index=False):
        history = select(panel, code, service)
        end = latest_run_end(history.months)
        if end is not None:
            chosen.append((code, service, history, end))
    total = len(chosen)
    if args.sample:
        pick = np.random.default_rng(0).choice(total, size=min(args.sample, total), replace=False)
        chosen = [chosen[i] for i in sorted(pick)]
    refused: Counter[str] = Counter()
    bugs: list[str] = []
    inside: dict[tuple[str, str], list[int]] = {}
    fitted = 0
    for number, (code, service, history, end) in enumerate(chosen, start=1):
        if number % 20 == 0:  # before the fit, so a refused series does not skip the line
            took = time.perf_counter() - started
            print(f"  {number} of {len(chosen)} series ({took:.0f} s)", file=sys.stderr)
        try:
            scored = replay(history, end, args.reps, args.seed)
        except WaitsError as error:
            refused[reason_kind(str(error))] += 1
            continue
        except Exception as error:  # noqa: BLE001 (a bug to list, not a refusal)
            bugs.append(f"{code} {service} at {end}: {type(error).__name__}: {error}")
            continue
        fitted += 1
        for key, (hit, n) in scored.items():
            inside.setdefault(key, [0, 0])
            inside[key][0] += hit
            inside[key][1] += n
    print(f"{len(chosen)} series with at least {MIN_RUN} consecutive months (of {total} in the panel"
          f"{'; a fixed sample' if args.sample else ''}): {fitted} fitted, {sum(refused.values())} refused "
          f"with a reason, {len(bugs)} failed otherwise.")
    for kind, count in refused.most_common():
        print(f"  refused ({count}): {kind}")
    for line in bugs:
        print(f"  FAILED: {line}")
    for (measure, band), (hit, n) in inside.items():
        share = hit / n if n else float("nan")
        print(f"{measure}, 80% band ({band}): {hit} of {n} fitted months inside ({share:.0%}; "
              "target at least 80%)")
    print(f"time: {time.perf_counter() - started:.0f} s ({args.reps} replications per series)")


if __name__ == "__main__":
    main()
