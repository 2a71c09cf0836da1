"""A run's replications with everything that shapes them: parameter draws and observed months.

``run_monthly`` is what ``sim.api.run`` calls: it reads the scenario's parameter draws (unless
turned off), runs the replications (or, given observed months, the candidates) on the
chosen backend, conditions on the observations (``sim.runs.conditioning``), and returns the
monthly records with the manifest entries that say what was drawn and conditioned on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError
from sim.runs.conditioning import Settings, condition, forbid_with_observed, observations
from sim.runs.limits import check_run_size
from sim.runs.parameter_draws import draws_in_use
from sim.runs.replication_plan import ReplicationPlan
from sim.runs.runner import Progress, run_replications


@dataclass
class Observed:
    """Observed monthly values (``calibration.data.read_monthly``'s table), where they came from."""

    frame: pd.DataFrame
    source: str = "observed"
    info: dict = field(default_factory=dict)  # file and hash, for the manifest


def run_monthly(
    service: ServiceConfig,
    reps: int,
    seed: int,
    *,
    source: str,
    observed: Observed | None = None,
    settings: Settings | None = None,
    parameter_draws: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    **options,
) -> tuple[pd.DataFrame, dict]:
    """Monthly records of ``reps`` replications, and the manifest entries for draws and conditioning."""
    candidates = (settings or Settings()).candidate_count(reps) if observed is not None else None
    check_run_size(reps, seed, workers, candidates)  # before the draws file is read or anything runs
    draws, draws_info = draws_in_use(service, parameter_draws, source)
    extra = {"parameter_draws": draws_info} if draws_info else {}
    if observed is None:
        plan = ReplicationPlan(service, draws)
        return run_replications(plan, reps, seed, workers=workers, progress=progress, **options), extra
    forbid_with_observed(options)
    options.pop("on_batch", None)  # candidates are not the run's replications until conditioned
    settings = settings or Settings()
    obs = observations(observed.frame, service, observed.source)
    plan = ReplicationPlan(service, draws, obs.bands)
    count = settings.candidate_count(reps)
    if count < reps:
        raise ConfigError(f"--candidates: {count}: must be at least the replications asked for ({reps})")
    candidates = run_replications(plan, count, seed, workers=workers, progress=progress, **options)
    monthly, info = condition(candidates, obs, reps, seed, settings, source)
    extra["conditioning"] = {**observed.info, **info}
    return monthly, extra


def as_observed(observed: Observed | pd.DataFrame | None) -> Observed | None:
    """Observed months as given: a table as ``calibration.data.read_monthly`` returns it.

    Reading a CSV belongs to the layers allowed to use ``calibration`` (``sim.api.read_observed``).
    """
    if observed is None or isinstance(observed, Observed):
        return observed
    if isinstance(observed, pd.DataFrame):
        return Observed(observed)
    raise ConfigError(
        f"observed: {observed!r}: give a table of months (read a CSV with sim.api.read_observed)"
    )
