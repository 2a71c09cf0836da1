"""Running a portfolio: every service for the same replications on one pool, and their total.

Each service runs as its own model (``sim.runs.result.run``), with the seed
``sim.engine.portfolio.service_seed`` gives it, so a service's numbers do not depend on the
others and a portfolio of one service gives that service's numbers exactly. One backend serves
every service (``shared_backend``): the process pool starts once. The total adds the services'
monthly records replication by replication (replication r of the total is replication r of
every service), so its band is the band of the sum, not the sum of the bands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.engine.portfolio import Portfolio, load_portfolio, service_seed
from sim.engine.scenario import file_hash
from sim.runs.backends import shared_backend
from sim.runs.files import package_version, source_commit
from sim.runs.limits import check_run_size
from sim.runs.result import RunResult, run
from sim.runs.runner import Progress
from sim.runs.summary import order_columns, summarise

TOTAL = "Total"
KEYS = ["replication", "month"]
NOT_ADDED = ("_p50_weeks", "_p92_weeks", "_mean_weeks")  # a wait's median or mean cannot be added up
LONGEST = "_max_weeks"


@dataclass
class PortfolioResult:
    """Each service's run, the portfolio total by replication and month, and the manifest."""

    title: str
    services: dict[str, RunResult]
    total: pd.DataFrame
    total_summary: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    target_weeks: dict[str, float] = field(default_factory=dict)


def total_monthly(monthly: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The services' monthly records added up per replication and month (scenario ``Total``).

    Counts and hours add; the longest waits take the longest; utilisation is used hours over
    clinical hours of the whole; medians and means of waits are left out (they do not add).
    """
    frames = [frame.drop(columns="scenario", errors="ignore") for frame in monthly.values()]
    stacked = pd.concat(frames, ignore_index=True)
    longest = [c for c in stacked.columns if c.endswith(LONGEST)]
    added = [
        c for c in stacked.columns
        if c not in KEYS and c not in longest and not c.endswith(NOT_ADDED) and c != "utilisation"
        and pd.api.types.is_numeric_dtype(stacked[c])
    ]
    grouped = stacked.groupby(KEYS, sort=False)
    total = grouped[added].sum().join(grouped[longest].max()).reset_index()
    if {"used_hours", "clinical_hours"} <= set(total.columns):
        hours = total["clinical_hours"].where(total["clinical_hours"] > 0)
        total["utilisation"] = total["used_hours"] / hours
    total.insert(0, "scenario", TOTAL)
    return order_columns(total.sort_values(KEYS, kind="stable").reset_index(drop=True))


def run_portfolio(
    portfolio: Portfolio | str | Path,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    *,
    backend: str | None = None,
    scheduler: str | None = None,
    parameter_draws: bool = True,
) -> PortfolioResult:
    """Run every service of a portfolio for ``reps`` replications; ``progress`` counts service
    replications (services x reps in all)."""
    chosen = portfolio if isinstance(portfolio, Portfolio) else load_portfolio(portfolio)
    check_run_size(reps, seed, workers)
    started = dt.datetime.now(dt.timezone.utc)
    results: dict[str, RunResult] = {}
    seeds: dict[str, int] = {}
    with shared_backend(backend, workers, scheduler):
        for number, service in enumerate(chosen.services):
            seeds[service.name] = service_seed(seed, service.name, number == 0)
            results[service.name] = run(
                service.config, reps, seeds[service.name], workers, scenario=service.name,
                progress=progress, parameter_draws=parameter_draws, backend=backend, scheduler=scheduler,
            )
    total = total_monthly({name: result.monthly for name, result in results.items()})
    finished = dt.datetime.now(dt.timezone.utc)
    info = {
        "tool": "dcsim",
        "version": package_version(),
        "commit": source_commit(),
        "portfolio": _file_record(chosen.path),
        "title": chosen.title,
        "seed": seed,
        "replications": reps,
        "seed_rule": "first service: the run's seed; others: first 63 bits of sha256('<seed>/<name>')",
        "services": {
            s.name: {"file": _file_record(s.path), "seed": seeds[s.name]} for s in chosen.services
        },
        "staff_pools": [pool.model_dump(mode="json") for pool in chosen.spec.staff_pools],
        "events": [event.model_dump(mode="json", by_alias=True) for event in chosen.spec.events],
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 2),
        "workers": workers,
    }
    targets = {s.name: s.config.service.rtt_target_weeks for s in chosen.services}
    return PortfolioResult(chosen.title, results, total, summarise(total), info, targets)


def _file_record(path: Path | None) -> dict | None:
    return None if path is None else {"path": str(Path(path).resolve()), "sha256": file_hash(Path(path))}
