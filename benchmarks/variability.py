"""Month-to-month variability: simulated breach series against the reported one.

Two statistics over the months the service reported (``actual_breaches`` in the actuals
file): the root-mean-square change in breaches from one month end to the next, and the
standard deviation of those changes (the variability about the series' own trend). The
default scenario is the calibrated plan (the reported months include the plan's effect),
run without its parameter draws. For each replication both are computed over the
same months, so the reported values are draws from the simulated distributions if the
model's variability is right: the check is where they fall (percentile) and whether they are
inside the simulated 10-90% range. The split of the
simulated change into the part common to all replications (trend, seasonality) and the
replication-to-replication noise is printed for the whole horizon too.

    .venv/bin/python benchmarks/variability.py [--reps 100] [--seed 1] [--scenario FILE]
    .venv/bin/python benchmarks/variability.py --mechanisms --reps 40   # where the noise comes from
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"
DEFAULT_SCENARIO = EXAMPLE / "calibrated.yaml"


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
    low, high = sd_interval(series)
    result["sd_reported_90ci_low"], result["sd_reported_90ci_high"] = low, high
    result["horizon_common_rms"] = common
    result["horizon_noise_rms"] = noise
    return result


def sd_interval(series: pd.Series) -> tuple[float, float]:
    """90% interval for the standard deviation of the reported changes, were they normal.

    With a few reported months the reported figure says little: three changes leave two
    degrees of freedom, and the interval runs from about half to over four times the figure.
    """
    from scipy.stats import chi2

    changes = np.diff(series.to_numpy(dtype=float))
    df = len(changes) - 1
    sd = float(np.std(changes, ddof=1))
    return sd * np.sqrt(df / chi2.ppf(0.95, df)), sd * np.sqrt(df / chi2.ppf(0.05, df))


def _set_plans(**fields):
    def change(document: dict) -> None:
        for plan in document["job_plans"].values():
            plan.update(fields)

    return change


def _followups_fixed(document: dict) -> None:
    document["pathways"]["specialist"]["followups"] = {"distribution": "fixed", "mean": 6}


def _min_new_share(share: float):
    def change(document: dict) -> None:
        for plan in document["job_plans"].values():
            if plan["clinical_time"]["rule"] == "caseload_first":
                plan["clinical_time"]["min_new_share"] = share

    return change


def _both(*changes):
    def change(document: dict) -> None:
        for one in changes:
            one(document)

    return change


MECHANISMS = {
    "baseline as shipped": lambda document: None,
    "template time sharing instead of caseload_first": _set_plans(clinical_time={"rule": "template"}),
    "fixed follow-ups per episode (6)": _followups_fixed,
    "no turnover": _set_plans(turnover_rate=0.0),
    "no vacancy cover (0 instead of 0.5)": _set_plans(vacancy_cover_share=0.0),
    "min_new_share 0.20 instead of 0.25": _min_new_share(0.20),
    "neither (the example's job plans before)": _both(
        _set_plans(vacancy_cover_share=0.0), _min_new_share(0.20)
    ),
    "no sickness and no annual leave": _set_plans(sickness_rate=0.0, annual_leave_days=0),
    "no staff absence or turnover": _set_plans(sickness_rate=0.0, annual_leave_days=0, turnover_rate=0.0),
}


def mechanisms(scenario: Path, reps: int, seed: int) -> dict[str, float]:
    """Noise with one mechanism off at a time: the standard deviation across replications of
    each month's change in breaches, median over the first twelve months."""
    import copy

    from sim.api import run
    from sim.engine.config import ServiceConfig
    from sim.engine.scenario import load_config

    base = load_config(scenario).model_dump(mode="python")
    found = {}
    for name, change in MECHANISMS.items():
        document = copy.deepcopy(base)
        change(document)
        monthly = run(ServiceConfig.model_validate(document), reps=reps, seed=seed, workers=1).monthly
        table = monthly.pivot(index="replication", columns="month", values="breaches").iloc[:, :13]
        found[name] = float(table.diff(axis=1).iloc[:, 1:].std().median())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--actuals", type=Path, default=EXAMPLE / "actuals.csv")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mechanisms", action="store_true",
        help="instead: the noise with one mechanism off at a time (default scenario: baseline.yaml)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.mechanisms:
        scenario = args.scenario if args.scenario != DEFAULT_SCENARIO else EXAMPLE / "baseline.yaml"
        print("| mechanism | sd of monthly change in breaches |\n|---|---|")
        for name, value in mechanisms(scenario, args.reps, args.seed).items():
            print(f"| {name} | {value:.1f} |")
        return
    result = check(args.scenario, args.actuals, args.reps, args.seed)
    print("| statistic | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value if isinstance(value, str) else f'{value:.1f}'} |")


if __name__ == "__main__":
    main()
