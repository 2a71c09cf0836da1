"""Re-measure issue 23's quoted baselines, to check the naive forecasters against them.

    python benchmarks/panel_baseline.py [--data DIR]

The issue's design: the series with all 23 months usable (bands sum, no stale repeats) and a
median of at least 20 over 18 weeks; fitted on Aug 2024-Jan 2025, forecast Feb-Jul 2025, over
18 weeks. It quotes carry-forward's median relative error (13% at one month, 44% at six), the
random walk's 80% coverage (71%, 57%) and interval scores (335, 1,576), and conformal
carry-forward's coverage (74-86%) and interval scores (414, 1,355), its errors pooled over
origins Aug-Dec 2024. Here those errors use only targets up to Jan 2025 (no look-ahead), so
horizons beyond what Aug-Dec reach borrow the longest one scaled by sqrt(h/h').
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from panel_series import default_data_dir, load_panel, measures  # noqa: E402

from calibration import naive  # noqa: E402
from calibration.scoring import interval_score  # noqa: E402

FIT = ("2024-08", "2024-09", "2024-10", "2024-11", "2024-12", "2025-01")
SCORED = ("2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07")


def baseline(data_dir: Path) -> pd.DataFrame:
    """Per horizon: carry-forward's median relative error, and coverage and IS of two bands."""
    chosen = []
    for series in load_panel(data_dir):
        y = measures(series.counts)["over_18_weeks"]
        if len(series.months) == 23 and np.median(y) >= 20:
            chosen.append(dict(zip(series.months, y, strict=True)))
    fit = np.array([[s[m] for m in FIT] for s in chosen])
    actual = np.array([[s[m] for m in SCORED] for s in chosen])
    # Carry-forward errors from origins Aug-Dec 2024 whose targets are published by Jan 2025.
    past = []
    for i, origin in enumerate(FIT[:-1]):
        for h in range(1, len(FIT) - i):
            past += [
                {
                    "origin": origin,
                    "horizon": h,
                    "measure": "m",
                    "target": FIT[i + h],
                    "forecast": f,
                    "actual": a,
                }
                for f, a in zip(fit[:, i], fit[:, i + h], strict=True)
            ]
    errors = naive.relative_errors(pd.DataFrame(past), "2025-02", "m")
    rows = []
    bands = {
        "random_walk": [naive.random_walk(f, 6) for f in fit],
        "conformal_carry_forward": [naive.conformal_band(f[-1], errors, 6) for f in fit],
    }
    for h in range(6):
        y, last = actual[:, h], fit[:, -1]
        row = {
            "horizon": h + 1,
            "n": len(y),
            "cf_median_rel_error": float(np.median(np.abs(last - y) / y.clip(1))),
        }
        for name, found in bands.items():
            lo = np.array([b["q10"][h] for b in found])
            hi = np.array([b["q90"][h] for b in found])
            row[f"{name}_coverage_80"] = float(np.mean((lo <= y) & (y <= hi)))
            row[f"{name}_interval_score_80"] = float(np.mean(interval_score(lo, hi, y, 0.2)))
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data or default_data_dir()
    if data_dir is None:
        print("panel_baseline: no CHS data found (../shared/data/chs or $DCSIM_CHS_DATA)")
        return 1
    with pd.option_context("display.width", 200):
        print(baseline(data_dir).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
