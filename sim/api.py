"""The Python entry points: run a service for N replications and get pandas tables back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import plots
from sim.conditioning import Settings
from sim.config import ServiceConfig
from sim.outputs import manifest, write_figure, write_manifest, write_table
from sim.planned_run import Observed, as_observed, run_monthly
from sim.results import order_columns, summarise
from sim.runner import Progress
from sim.scenario import file_hash, load_config


@dataclass
class RunResult:
    """Monthly records of every replication, their summary, and the run's manifest."""

    monthly: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    target_weeks: float = 14.0

    def breaches(self) -> pd.DataFrame:
        """Median and 10-90% band of breaches by scenario and month."""
        columns = ["scenario", "month", "breaches_p10", "breaches_p50", "breaches_p90"]
        return self.summary[columns]

    def write(self, out: str | Path, actuals: pd.DataFrame | None = None) -> list[Path]:
        """Write monthly.csv, summary.csv, manifest.json and the charts into ``out``."""
        out = Path(out)
        written = [
            write_table(self.monthly, out / "monthly.csv"),
            write_table(self.summary, out / "summary.csv"),
            write_manifest(self.manifest, out / "manifest.json"),
        ]
        written += write_charts(self.summary, out, actuals)
        return written


def write_charts(summary: pd.DataFrame, out: Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """Breach and waiting-list fan charts (actuals overlaid) and capacity against demand."""
    observed = actuals.set_index("month") if actuals is not None else None
    paths = []
    for metric, name in (("breaches", "breaches_fan.png"), ("waiting", "waiting_fan.png")):
        series = observed[metric] if observed is not None and metric in observed else None
        paths.append(
            write_figure(lambda p, m=metric, s=series: plots.fan_chart(summary, m, p, actuals=s), out / name)
        )
    for scenario in dict.fromkeys(summary["scenario"]):
        name = (
            "capacity_demand.png" if summary["scenario"].nunique() == 1 else f"capacity_demand_{scenario}.png"
        )
        paths.append(
            write_figure(lambda p, s=scenario: plots.capacity_demand_chart(summary, p, s), out / name)
        )
    return paths


def as_config(config: ServiceConfig | str | Path) -> ServiceConfig:
    return config if isinstance(config, ServiceConfig) else load_config(config)


def run_options(options: dict) -> dict:
    """The runner options worth recording in a manifest (none of them changes the numbers)."""
    names = ("backend", "scheduler", "resume", "trace", "batch_size")
    chosen = {name: options[name] for name in names if options.get(name) not in (None, False)}
    return {name: str(value) if isinstance(value, Path) else value for name, value in chosen.items()}


def read_observed(path: str | Path) -> Observed:
    """Observed months from a CSV (as ``calibration.data.read_monthly`` reads it), with its hash."""
    from calibration.data import read_monthly  # the api layer may use the calibration package

    path = Path(path)
    info = {"observed": {"path": str(path.resolve()), "sha256": file_hash(path)}}
    return Observed(read_monthly(path), str(path), info)


def run(
    config: ServiceConfig | str | Path,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    scenario: str | None = None,
    progress: Progress | None = None,
    observed: Observed | pd.DataFrame | str | Path | None = None,
    conditioning: Settings | None = None,
    parameter_draws: bool = True,
    **options,
) -> RunResult:
    """Run one service for ``reps`` replications.

    ``config`` is a validated ``ServiceConfig`` or the path of a YAML file. Returns the
    monthly records (one row per replication x month) and their summary. ``observed``
    (a CSV path or a table as ``calibration.data.read_monthly`` reads it) conditions the run
    on the months it gives (``sim.conditioning``; ``conditioning`` sets how). With
    ``parameter_draws=False`` a scenario's ``parameter_draws`` file is not used. ``options``
    go to ``sim.runner.run_replications``: ``backend``, ``scheduler``, ``checkpoint``,
    ``resume``, ``trace``, ``batch_size``.
    """
    started = dt.datetime.now(dt.timezone.utc)
    path = None if isinstance(config, ServiceConfig) else Path(config)
    service = as_config(config)
    if isinstance(observed, (str, Path)):
        observed = read_observed(observed)
    name = scenario or (path.stem if path else service.service.name)
    monthly, extra = run_monthly(
        service, reps, seed, source=str(path or name), observed=as_observed(observed), settings=conditioning,
        parameter_draws=parameter_draws, workers=workers, progress=progress, **options,
    )
    monthly.insert(0, "scenario", name)
    monthly = order_columns(monthly)
    extra = {"workers": workers, **run_options(options), **extra}
    info = manifest({name: path}, seed, reps, started, extra)
    return RunResult(monthly, summarise(monthly), info, service.service.rtt_target_weeks)
