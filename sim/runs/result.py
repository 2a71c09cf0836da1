"""One scenario run for N replications: the monthly records, their summary and the manifest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config, resolve
from sim.runs.conditioning import Settings
from sim.runs.manifest import manifest
from sim.runs.planned_run import Observed, as_observed, run_monthly
from sim.runs.runner import Progress
from sim.runs.summary import order_columns, summarise


@dataclass
class RunInputs:
    """What a run was made from, kept so that its outputs can be re-made (``sim.reports.run_outputs``)."""

    document: dict | None = None  # the scenario as read, its ``extends:`` chain merged
    observed: pd.DataFrame | None = None  # the months the run was conditioned on


@dataclass
class RunResult:
    """Monthly records of every replication, their summary, and the run's manifest."""

    monthly: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    target_weeks: float = 14.0
    inputs: RunInputs | None = None

    def breaches(self) -> pd.DataFrame:
        """Median and 10-90% band of breaches by scenario and month."""
        columns = ["scenario", "month", "breaches_p10", "breaches_p50", "breaches_p90"]
        return self.summary[columns]


def as_config(config: ServiceConfig | str | Path) -> ServiceConfig:
    return config if isinstance(config, ServiceConfig) else load_config(config)


def run_options(options: dict) -> dict:
    """The runner options worth recording in a manifest (none of them changes the numbers)."""
    names = ("backend", "scheduler", "resume", "trace", "batch_size")
    chosen = {name: options[name] for name in names if options.get(name) not in (None, False)}
    return {name: str(value) if isinstance(value, Path) else value for name, value in chosen.items()}


def run(
    config: ServiceConfig | str | Path,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    scenario: str | None = None,
    progress: Progress | None = None,
    observed: Observed | pd.DataFrame | None = None,
    conditioning: Settings | None = None,
    parameter_draws: bool = True,
    **options,
) -> RunResult:
    """Run one service for ``reps`` replications.

    ``config`` is a validated ``ServiceConfig`` or the path of a YAML file. Returns the
    monthly records (one row per replication x month) and their summary. ``observed``
    (a table as ``calibration.data.read_monthly`` reads it; ``sim.api.run`` also takes a
    path) conditions the run on the months it gives (``sim.runs.conditioning``; ``conditioning``
    sets how). With
    ``parameter_draws=False`` a scenario's ``parameter_draws`` file is not used. ``options``
    go to ``sim.runs.runner.run_replications``: ``backend``, ``scheduler``, ``checkpoint``,
    ``resume``, ``trace``, ``batch_size``.
    """
    started = dt.datetime.now(dt.timezone.utc)
    path = None if isinstance(config, ServiceConfig) else Path(config)
    service = as_config(config)
    name = scenario or (path.stem if path else service.service.name)
    monthly, extra = run_monthly(
        service, reps, seed, source=str(path or name), observed=as_observed(observed), settings=conditioning,
        parameter_draws=parameter_draws, workers=workers, progress=progress, **options,
    )
    monthly.insert(0, "scenario", name)
    monthly = order_columns(monthly)
    target = service.service.rtt_target_weeks
    extra = {"workers": workers, "rtt_target_weeks": target, **run_options(options), **extra}
    info = manifest({name: path}, seed, reps, started, extra)
    # Read once more now, not when writing: the file may be edited before the outputs are written.
    document = resolve(path)[0] if path else None
    shown = as_observed(observed)
    inputs = RunInputs(document, shown.frame if shown is not None else None)
    return RunResult(monthly, summarise(monthly), info, target, inputs)
