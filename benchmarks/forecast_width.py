"""How wide is a calibrated forecast against a naive random-walk band from the same months?

    .venv/bin/python benchmarks/forecast_width.py results/calibration \
        --data calibration/data/hywel_dda_paeds_ot_breaches_2024.csv [--column actual_breaches]

Reads the ``summary.csv`` that ``dcsim calibrate`` wrote into its ``--out`` folder and the
reported series it was fitted to. The random walk carries the last reported figure forward
with steps of the reported months' root-mean-square change ``s``: its 80% band after ``h``
months is the last figure +/- 1.2816 s sqrt(h). Prints, for each month after the last reported
one, the forecast's 10-90% band, its width and that width as a multiple of the random walk's
(issue 12's target for held-out real months: at most 2x while covering the actuals).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

Z80 = 1.2816  # standard normal 90th centile: the 10-90% band is +/- Z80 sd


def widths(summary: pd.DataFrame, reported: pd.Series, metric: str, months: int) -> pd.DataFrame:
    """The forecast's 80% band after the last reported month beside the random walk's."""
    reported = reported.dropna()
    step = float(np.sqrt(np.mean(np.diff(reported.to_numpy(dtype=float)) ** 2)))
    after = summary[summary["month"] > reported.index[-1]].head(months).reset_index(drop=True)
    low, high = after[f"{metric}_p10"], after[f"{metric}_p90"]
    random_walk = 2 * Z80 * step * np.sqrt(np.arange(1, len(after) + 1))
    return pd.DataFrame(
        {
            "month": after["month"],
            "p10": low,
            "p50": after[f"{metric}_p50"],
            "p90": high,
            "width": high - low,
            "random_walk_width": random_walk,
            "ratio": (high - low) / random_walk,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a dcsim calibrate --out folder")
    parser.add_argument("--data", type=Path, required=True, help="the reported monthly figures")
    parser.add_argument("--column", default="actual_breaches", help="the reported series")
    parser.add_argument("--metric", default="breaches", help="the model metric it was fitted as")
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    summary = pd.read_csv(args.out / "summary.csv")
    reported = pd.read_csv(args.data).set_index("month")[args.column]
    table = widths(summary, reported, args.metric, args.months)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))


if __name__ == "__main__":
    main()
