"""Issue #22's recovery target: does `from-waits` hold the truth inside its 90% ranges?

    python benchmarks/from_waits_recovery.py [--trials 40] [--seed 0] [--quick] [--json PATH]

Each trial draws its own truth and seed: referrals 30-800 a month (log-uniform; every fifth
trial seasonal, with a school-holiday dip), first-contact capacity below, at or above them
(after a burn-in whose shorter capacity builds a backlog), a share of slots booked at random
rather than longest wait first, a removal profile by weeks waited (none, flat, rising with the
wait as validation finds long waiters, falling as early reneging does), and 6-23 published
months. The list comes from ``compartment_waits.py``, a day-by-day simulator written apart from
dcsim's engine; ``estimate`` sees only its month-end bands and the last month.

Scored against the truth of the months the estimate used (its ``months``; the flows of every
month after the first), for what ``WaitsEstimate.ranges()`` reports:

- referrals a month; first contacts a month (the capacity used); exits a month (seen or removed);
  the share of exits removed unseen (a prior: bands cannot tell a removal from a clock stop);
- the exit-rate profile by weeks waited, band by band (bands with fewer than ``MIN_BAND``
  patient-months at risk are not scored: their truth is a handful of patients), a trial's
  profile counting as recovered when every scored band is inside;
- and, as a diagnostic outside ``ranges()``, the service's removal rates by wait
  (``service.removal_rates``: the exit profile's shape at the removal share's level).

Prints coverage per quantity and overall, then every miss with its truth, range and distance.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from compartment_waits import EDGES, Synthetic, Waits, simulate  # noqa: E402

from calibration.from_waits.estimate import _band_label, estimate  # noqa: E402
from calibration.from_waits.service import removal_rates  # noqa: E402

TARGET = 0.85
MIN_BAND = 30  # patient-months at risk in a band over the fitted months, for its rate to be scored
INTAKE = 3  # bands under a month (0-1, 1-2, 2-4 weeks) share one rate in the estimate
# Monthly removal probability by band (0-1, 1-2, 2-4, 4-12, 12-18, 18-52, 52+ weeks), times a
# per-trial scale of 0.5-2.
PROFILES = {
    "light": (0.005,) * 7,
    "flat": (0.02,) * 7,
    "rising": (0.005, 0.005, 0.01, 0.015, 0.025, 0.04, 0.07),
    "early": (0.06, 0.05, 0.04, 0.02, 0.01, 0.01, 0.01),
}
SCHOOL_YEAR = (1.05, 1.05, 1.1, 1.0, 1.05, 1.0, 0.85, 0.55, 1.1, 1.15, 1.1, 0.95)  # August dip
REGIMES = {"below": (0.80, 0.93), "at": (0.96, 1.02), "above": (1.05, 1.25)}


@dataclass(frozen=True)
class Trial:
    number: int
    seed: int
    regime: str
    profile: str
    spec: Waits


def draw_trials(n: int, seed: int) -> list[Trial]:
    """``n`` truths, cycling capacity regimes and removal profiles so each mix appears."""
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n):
        regime, profile = list(REGIMES)[i % 3], list(PROFILES)[(i // 3) % 4]
        referrals = float(np.exp(rng.uniform(math.log(30), math.log(800))))
        ratio = rng.uniform(*REGIMES[regime])
        scale = rng.uniform(0.5, 2.0)
        spec = Waits(
            referrals=round(referrals, 1),
            removal=tuple(round(r * scale, 4) for r in PROFILES[profile]),
            capacity=round(referrals * ratio, 1),
            burn_in_capacity=round(referrals * rng.uniform(0.6, 0.92), 1),
            random_share=round(rng.uniform(0.0, 0.4), 2),
            seasonality=SCHOOL_YEAR if i % 5 == 4 else None,
            months=int(rng.integers(6, 24)),
            burn_in=int(rng.integers(24, 49)),
        )
        trials.append(Trial(i + 1, int(rng.integers(2**31)), regime, profile, spec))
    return trials


def score(trial: Trial, synthetic: Synthetic | None = None, draws: int = 200) -> list[dict]:
    """One row per scored quantity: truth, median, 90% range, inside or not."""
    synthetic = synthetic or simulate(trial.spec, trial.seed)
    history = synthetic.history
    fitted = estimate(history, history.months[-1], draws=draws, seed=trial.seed)
    months = fitted.months[1:]
    seen, removed = synthetic.mean("seen", months), synthetic.mean("removed", months)
    truths = {
        "referrals a month": synthetic.mean("referrals", months),
        "first contacts a month (clock stops)": seen,
        "exits a month (seen or removed)": seen + removed,
        "share of exits removed unseen": removed / (seen + removed) if seen + removed else math.nan,
    }
    ranges = fitted.ranges()
    rows = [_row(trial, name, name, truth, ranges[name]) for name, truth in truths.items()]
    at_risk = np.sum([synthetic.start_bands[m] for m in months], axis=0)
    exit_truth = synthetic.exit_rates(months, pooled=INTAKE)
    removal_truth = synthetic.removal_rates(months, pooled=INTAKE)
    removal = removal_rates(fitted, history.counts[-1])
    for band in range(len(EDGES) - 1):
        if band < INTAKE - 1:
            continue  # the shared rate of the bands under a month is scored once, on the last
        pool = at_risk[:INTAKE].sum() if band < INTAKE else at_risk[band]
        if pool < MIN_BAND:
            continue
        label = "under 4 weeks" if band < INTAKE else _band_label(EDGES, band)
        name = f"monthly exit rate, {_band_label(EDGES, band)}"
        rows.append(_row(trial, "exit rate by wait", f"exit rate, {label}", exit_truth[band], ranges[name]))
        quantiles = tuple(np.quantile(removal[:, band], [0.5, 0.05, 0.95]).tolist())
        rows.append(
            _row(
                trial,
                "removal rate by wait (diagnostic)",
                f"removal rate, {label}",
                removal_truth[band],
                quantiles,
            )
        )
    return rows


def _row(trial: Trial, quantity: str, name: str, truth: float, quantiles) -> dict:
    median, low, high = (float(q) for q in quantiles)
    inside = bool(low - 1e-9 <= truth <= high + 1e-9)
    return {
        "trial": trial.number,
        "quantity": quantity,
        "name": name,
        "truth": float(truth),
        "median": median,
        "low": low,
        "high": high,
        "inside": inside,
    }


def coverage(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """Trials inside / trials scored, per quantity; a trial's profile is inside when every band is."""
    by: dict[str, dict[int, bool]] = {}
    for row in rows:
        trials = by.setdefault(row["quantity"], {})
        trials[row["trial"]] = trials.get(row["trial"], True) and row["inside"]
    return {q: (sum(t.values()), len(t)) for q, t in by.items()}


def distance(row: dict) -> str:
    """How far outside its range a truth fell, as a share of the nearer bound (or absolutely)."""
    bound = row["low"] if row["truth"] < row["low"] else row["high"]
    gap = row["truth"] - bound
    return f"{gap:+.3g}" + (f" ({gap / abs(bound):+.0%})" if abs(bound) > 1e-9 else "")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="6 trials of 100 draws: a look, not the figure")
    parser.add_argument("--json", type=Path, default=None, help="write the trials and scores here")
    args = parser.parse_args(argv)
    n, draws = (6, 100) if args.quick else (args.trials, 200)
    started = time.perf_counter()
    trials = draw_trials(n, args.seed)
    rows: list[dict] = []
    for trial in trials:
        rows += score(trial, draws=draws)
    table = coverage(rows)
    headline = [q for q in table if "diagnostic" not in q]
    hit, total = sum(table[q][0] for q in headline), sum(table[q][1] for q in headline)
    print(f"{n} trials (seed {args.seed}, {draws} bootstrap draws each); truth inside the 90% range:")
    print("| quantity | trials inside | share |")
    print("|---|---|---|")
    for quantity, (inside, scored) in table.items():
        print(f"| {quantity} | {inside} of {scored} | {inside / scored:.0%} |")
    print(f"| overall (the quantities `ranges()` reports) | {hit} of {total} | {hit / total:.0%} |")
    bands = [r for r in rows if r["quantity"] == "exit rate by wait"]
    print(
        f"exit rate band by band: {sum(r['inside'] for r in bands)} of {len(bands)} bands inside "
        f"(target at least {TARGET:.0%} per quantity)"
    )
    print("misses:")
    specs = {t.number: t for t in trials}
    for row in rows:
        if not row["inside"]:
            t = specs[row["trial"]]
            print(
                f"  trial {t.number} ({t.spec.referrals:g}/month, capacity {t.regime}, removals {t.profile}, "
                f"{t.spec.months} months): {row['name']}: truth {row['truth']:.4g}, range "
                f"{row['low']:.4g}-{row['high']:.4g} (median {row['median']:.4g}), {distance(row)}"
            )
    print(f"time: {time.perf_counter() - started:.0f} s")
    result = {
        "coverage": {q: list(v) for q, v in table.items()},
        "overall": [hit, total],
        "rows": rows,
        "trials": [
            {"number": t.number, "seed": t.seed, "regime": t.regime, "profile": t.profile, **asdict(t.spec)}
            for t in trials
        ],
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))
    return result


if __name__ == "__main__":
    main()
