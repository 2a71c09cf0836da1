"""Month-to-month variability: simulated breach series against the reported one.

Two statistics over the months the service reported (``actual_breaches`` in the actuals
file): the root-mean-square change in breaches from one month end to the next, and the
standard deviation of those changes (the variability about the series' own trend: a
do-nothing model is not expected to share the trend of a service whose improvement work had
started, see calibration/data/README.md). For each replication both are computed over the
same months, so the reported values are draws from the simulated distributions if the
model's variability is right: the check is where they fall (percentile) and whether they are
inside the simulated 10-90% range. The split of the
simulated change into the part common to all replications (trend, seasonality) and the
replication-to-replication noise is printed for the whole horizon too.

    .venv/bin/python benchmarks/variability.py [--reps 100] [--seed 1] [--scenario FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"


def rms_change(series: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.diff(series.to_numpy(dtype=float)) ** 2)))


def sd_change(series: pd.Series) -> float:
    return float(np.std(np.diff(series.to_numpy(dtype=float)), ddof=1))


STATISTICS = {"rms": rms_change, "sd": sd_change}


def observed_months(actuals: Path) -> tuple[list[str], pd.Series]:
    table = pd.read_csv(actuals).dropna(subset=["actual_breaches"])
    return table["month"].tolist(), table["actual_breaches"]


def simulated(monthly: pd.DataFrame, months: list[str], statistic) -> np.ndarray:
    rows = monthly[monthly["month"].isin(months)].sort_values(["replication", "month"])
    return rows.groupby("replication")["breaches"].apply(statistic).to_numpy()


def decompose(monthly: pd.DataFrame) -> tuple[float, float]:
    """RMS of the mean monthly change (common to replications) and of the deviations from it."""
    rows = monthly.sort_values(["replication", "month"]).copy()
    rows["change"] = rows.groupby("replication")["breaches"].diff()
    rows = rows.dropna(subset=["change"])
    mean = rows.groupby("month")["change"].transform("mean")
    common = float(np.sqrt((rows.groupby("month")["change"].mean() ** 2).mean()))
    return common, float(np.sqrt(((rows["change"] - mean) ** 2).mean()))


def check(scenario: Path, actuals: Path, reps: int, seed: int) -> dict:
    from sim.api import run

    # Without parameter draws: replications that differ in their parameters differ in trend,
    # which is not month-to-month noise.
    monthly = run(scenario, reps=reps, seed=seed, workers=1, parameter_draws=False).monthly
    months, series = observed_months(actuals)
    common, noise = decompose(monthly)
    result: dict = {"months": f"{months[0]} to {months[-1]}"}
    for name, statistic in STATISTICS.items():
        reported, sims = statistic(series), simulated(monthly, months, statistic)
        result[f"{name}_reported"] = reported
        for q in (10, 50, 90):
            result[f"{name}_simulated_p{q}"] = float(np.percentile(sims, q))
        result[f"{name}_reported_percentile"] = float(np.mean(sims <= reported) * 100)
    result["horizon_common_rms"] = common
    result["horizon_noise_rms"] = noise
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=EXAMPLE / "baseline.yaml")
    parser.add_argument("--actuals", type=Path, default=EXAMPLE / "actuals.csv")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = check(args.scenario, args.actuals, args.reps, args.seed)
    print("| statistic | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value if isinstance(value, str) else f'{value:.1f}'} |")


if __name__ == "__main__":
    main()
