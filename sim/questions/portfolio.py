"""Comparing portfolio scenarios on common random numbers: the total and every service, paired.

Each portfolio runs with ``sim.runs.portfolio.run_portfolio`` and the same seed. A service's seed
depends only on the run's seed, its name and whether it is listed first (``service_seed``), so
scenarios of one portfolio (the same services in the same order) give every service the same
random numbers in each: a service a scenario does not change gives exactly the base's numbers.
Differences are taken replication by replication (replication r of a scenario against
replication r of the base), for each service and for the total, so the total's difference is the
sum of the services' differences in every replication.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from sim.engine.input_files import ConfigError
from sim.engine.portfolio import Portfolio, load_portfolio
from sim.questions.compare import paired_differences
from sim.questions.results import PortfolioComparison
from sim.runs.limits import check_run_size
from sim.runs.portfolio import TOTAL, PortfolioResult, run_portfolio
from sim.runs.runner import Progress

METRICS = ("breaches", "waiting")
KEYS = ["scenario", "service", "month"]


def scenario_names(portfolios: list[Portfolio]) -> list[str]:
    """Scenario names from the files' names, which must differ (they name the output folders)."""
    names = [p.path.stem if p.path else f"scenario{i}" for i, p in enumerate(portfolios)]
    for number, name in enumerate(names):
        if name in names[:number]:
            raise ConfigError(f"{portfolios[number].path}: two portfolio files are called {name}; "
                              "rename one (the name labels its outputs)")
    return names


def check_paired(portfolios: list[Portfolio]) -> None:
    """Common random numbers need the same services, in the same order, on the same months."""
    base = portfolios[0]
    names = [s.name for s in base.services]
    months = (base.services[0].config.service.start_date, base.services[0].config.service.horizon_months)
    for other in portfolios[1:]:
        if [s.name for s in other.services] != names:
            raise ConfigError(
                f"{other.path}: portfolio.services: {[s.name for s in other.services]} are not the base's "
                f"{names} in that order; compared portfolios need the same services so that each "
                "service's random numbers are common (extend the base with extends:)"
            )
        service = other.services[0].config.service
        if (service.start_date, service.horizon_months) != months:
            raise ConfigError(f"{other.path}: the services start {service.start_date} for "
                              f"{service.horizon_months} months, the base's {months[0]} for {months[1]}")


def _monthly(result: PortfolioResult) -> dict[str, pd.DataFrame]:
    """The total first, then each service: replication, month and the compared metrics."""
    frames = {TOTAL: result.total, **{name: run.monthly for name, run in result.services.items()}}
    return {name: frame[["replication", "month", *METRICS]] for name, frame in frames.items()}


def paired_table(results: dict[str, PortfolioResult], base: str) -> pd.DataFrame:
    """Every scenario's metrics with their difference from the base in the same replication and month."""
    parts = []
    for scenario, result in results.items():
        for service, frame in _monthly(result).items():
            parts.append(frame.assign(scenario=scenario, service=service))
    stacked = pd.concat(parts, ignore_index=True)
    paired = []
    for _, rows in stacked.groupby("service", sort=False):
        differences = paired_differences(rows, base, METRICS)
        paired.append(rows.merge(differences, on=["scenario", "replication", "month"]))
    columns = ["scenario", "service", "replication", "month", *METRICS, *(f"{m}_diff" for m in METRICS)]
    return pd.concat(paired, ignore_index=True)[columns]


def comparison_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, service and month: median and 10-90% of each metric, and of its paired difference
    (with its mean)."""
    grouped = paired.groupby(KEYS, sort=False)
    parts = []
    for metric in METRICS:
        values, diffs = grouped[metric], grouped[f"{metric}_diff"]
        parts += [
            values.median().rename(f"{metric}_p50"), values.quantile(0.1).rename(f"{metric}_p10"),
            values.quantile(0.9).rename(f"{metric}_p90"), diffs.mean().rename(f"{metric}_diff_mean"),
            diffs.quantile(0.1).rename(f"{metric}_diff_p10"),
            diffs.quantile(0.9).rename(f"{metric}_diff_p90"),
        ]
    return pd.concat(parts, axis=1).reset_index()


def compare_portfolios(
    portfolios: list[Portfolio | str | Path],
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    **options,
) -> PortfolioComparison:
    """Run the base portfolio (first) and each scenario with the same seed, and pair them."""
    loaded = [p if isinstance(p, Portfolio) else load_portfolio(p) for p in portfolios]
    if len(loaded) < 2:
        raise ConfigError("compare needs a base portfolio and at least one scenario")
    names = scenario_names(loaded)
    check_paired(loaded)
    check_run_size(reps, seed, workers)
    started = dt.datetime.now(dt.timezone.utc)
    results = {
        name: run_portfolio(p, reps, seed, workers, progress, **options)
        for name, p in zip(names, loaded, strict=True)
    }
    paired = paired_table(results, names[0])
    manifest = {
        "compare": "portfolios",
        "base": names[0],
        "seed": seed,
        "replications": reps,
        "started": started.isoformat(timespec="seconds"),
        "scenarios": {name: result.manifest for name, result in results.items()},
    }
    labels = {name: p.title for name, p in zip(names, loaded, strict=True)}
    return PortfolioComparison(names, labels, results, paired, comparison_table(paired), manifest)
