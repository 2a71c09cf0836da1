"""``calibrate --waits`` against ``from-waits`` alone on real CHS series: in-sample and next-3-month cover.

For each series, fitted on the months up to ``--up-to`` (from-waits' choice: the usable consecutive
months, at most a year):

- **in sample**: the share of fitted months whose list size and over-18-week count lie in the
  10-90% band of replications run from the first fitted month's snapshot: with the from-waits
  service and its bootstrap draws (``from-waits alone``), and with the calibrated posterior
  (``calibrate``, its ``fit_checks.csv``);
- **next 3 months**: the same share over the three months after ``--up-to``, which neither saw:
  from-waits' own forecast from the ``--up-to`` snapshot (the simulation's band, no model-error
  layer), against the calibrated fit's conditioned forecast (``summary.csv``).

    .venv/bin/python benchmarks/waits_calibrate.py --up-to 2025-04 --workers 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from calibration.from_waits.estimate import estimate, fitting_months
from calibration.from_waits.forecast import draw_table, simulate
from calibration.from_waits.service import build_service
from calibration.waits import read_waits
from calibration.waits_fit import calibrate_waits, prepare
from sim.engine.scenario import validate
from sim.runs.replication_plan import ReplicationPlan
from sim.runs.runner import run_replications

PANEL = "../shared/data/chs/chs_england_therapy_wide.csv.gz"
SERIES = [
    ("RLQ", "(CYP) Therapy interventions: Speech and language"),
    ("NDL", "(A) Podiatry and podiatric surgery"),
    ("RXL", "(CYP) Therapy interventions: Occupational therapy"),
    ("RCB", "(A) Therapy interventions: Occupational therapy"),
    ("NR5", "(A) Therapy interventions: Orthotics"),
]
MEASURES = {"waiting": "total", "breaches": "over_18"}  # model metric -> published column


def _cover(
    monthly: pd.DataFrame, actual: pd.DataFrame, months: list[str], column: str, measure: str
) -> float:
    inside = []
    for month in months:
        values = monthly.loc[monthly["month"] == month, column].to_numpy(float)
        low, high = np.quantile(values, [0.1, 0.9])
        inside.append(low <= float(actual.loc[month, measure]) <= high)
    return float(np.mean(inside))


def _summary_cover(summary: pd.DataFrame, actual: pd.DataFrame, months: list[str], metric: str, measure: str):
    band = summary.set_index("month")
    hits = [
        band.loc[m, f"{metric}_p10"] <= actual.loc[m, measure] <= band.loc[m, f"{metric}_p90"] for m in months
    ]
    return float(np.mean(hits))


def one(code: str, service: str, up_to: str, reps: int, draws: int, seed: int, workers: int) -> list[dict]:
    full = read_waits(PANEL, code, service)
    actual = full.frame().set_index("month")
    fitted = fitting_months(full, up_to)
    months = list(fitted.months)
    ahead = [m for m in actual.index if m > up_to][:3]
    rows = []
    # from-waits alone, in sample: its inferred service and draws, run from the first snapshot.
    prepared = prepare(full, up_to, seed=seed)
    inferred = estimate(fitted, up_to, seed=seed)
    document, bootstrap = build_service(inferred, fitted.counts[0], name="s", target_weeks=18, horizon=12)
    document.update({k: prepared.document[k] for k in ("service", "initial_state")})
    plan = ReplicationPlan(validate(document, "service.yaml"), draw_table(bootstrap))
    start = run_replications(plan, reps, seed, workers=workers)
    forecast, _, _, _ = simulate(full, up_to, 3, reps, seed, workers=workers)
    clock = time.perf_counter()
    result, _ = calibrate_waits(
        full, up_to, reps=4, draws=draws, forecast_reps=reps, seed=seed, workers=workers
    )
    seconds = time.perf_counter() - clock
    checks = result.checks.set_index("series")
    for metric, measure in MEASURES.items():
        column = "breaches" if metric == "breaches" else "waiting"
        rows.append(
            {
                "provider": code, "service": service, "measure": measure,
                "fitted": f"{months[1]}..{months[-1]}",
                "in_sample_from_waits": _cover(start, actual, months[1:], column, measure),
                "in_sample_calibrate": float(checks.loc[metric, "coverage_80"]),
                "next3_from_waits": _cover(forecast, actual, ahead, "over_18_weeks" if metric == "breaches"
                                           else "waiting", measure),
                "next3_calibrate": _summary_cover(result.summary, actual, ahead, metric, measure),
                "seconds": round(seconds, 1),
                **{p.parameter: f"{p.low:.3g}-{p.high:.3g}" for p in result.table.itertuples()},
            }
        )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--up-to", default="2025-04")
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="CSV of the rows (default: print only)")
    args = parser.parse_args()
    rows = []
    for code, service in SERIES:
        rows += one(code, service, args.up_to, args.reps, args.draws, args.seed, args.workers)
        print(pd.DataFrame(rows[-2:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    means = table.groupby("measure")[
        [c for c in table.columns if c.startswith(("in_sample", "next3"))]
    ].mean()
    print(means.round(2).to_string())
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
