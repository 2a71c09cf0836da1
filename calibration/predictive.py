"""The forecast of a fit: the trajectories that came near the history, continued past it.

The ranges step (``calibration.ranges``) ran every parameter draw for one replication over
the fitted months. The forecast weights each of those draws by

    prior / proposal density  x  likelihood of the history given its trajectory,

the likelihood being the negative binomial observation model of ``sim.runs.conditioning``
(the one ``dcsim run --observed`` uses, with its size ``k`` chosen the same way: maximum
marginal likelihood, widened until the effective sample size reaches half the forecast
replications). ``reps`` draws are picked by systematic resampling and re-run over the
forecast months with the same parameter values and replication numbers. The engine repeats
a run's months whatever its horizon (``tests/test_horizon_prefix.py``), so each forecast
replication continues exactly the trajectory that was weighted.

This is importance sampling of parameters and state together (likelihood weighting). With
a few hundred draws no trajectory passes exactly through every reported figure, so the
stocks (``breaches``, ``waiting``) are then level-corrected: from the last month each was
reported, every replication is shifted by the gap between the reported figure and its own
value that month (an intercept correction, Clements & Hendry 1998), never below zero. The
forecast therefore starts from the reported figure and moves by the model's own monthly
changes: its band at the last fitted month is the observation, and widens after it with
the model's chance and the parameters' uncertainty. Flows (referrals, first contacts) carry
no level from one month to the next and are not shifted. On synthetic services the shift
halved the median's error three months ahead (``benchmarks/calibration_coverage.py``).
What the shift cannot move is why a replication missed (its parameters, the rest of its
state), so the corrected stocks are then regression-adjusted on the misses at the cut-off
(``sim.runs.regression_adjustment``), as ABC adjusts its accepted draws.
Forecasts drawn afresh from the parameter posterior (the old way) restarted every
replication from the snapshot: months after the cut-off then spread as if nothing had been
observed since the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.problem import HORIZON, Problem
from calibration.ranges import ABC_REPLICATIONS, AbcSample
from sim.engine.streams import stream
from sim.runs.conditioning import (
    Observations,
    choose_dispersion,
    correct_to_report,
    effective_sample_size,
    systematic_resample,
)
from sim.runs.runner import from_columns

SCENARIO = "calibrated"
FIT_FORECAST = 1  # part of the resampling stream: apart from the uniform of `run --observed`


@dataclass(frozen=True)
class Forecast:
    """Forecast replications (monthly records), the parameters each used, and how they were picked."""

    monthly: pd.DataFrame
    draws: pd.DataFrame  # replication, one column per fitted field, candidate (the ABC draw's replication)
    info: dict[str, Any]


def _observations(problem: Problem) -> Observations:
    history = problem.history
    values = np.clip(np.round(history.matrix()), 0, None)  # the observation model is for counts
    return Observations(tuple(history.months), tuple(history.metrics), values)


def _pick(
    obs: Observations, problem: Problem, sample: AbcSample, reps: int
) -> tuple[np.ndarray, dict[str, Any]]:
    # Half the forecast replications, as `run --observed`: a higher floor forces a wider
    # observation noise, and the synthetic study's bands then over-cover (24 trials: 80% band
    # 0.90 at a floor of all replications, 0.88 at half; 50% band 0.75 against 0.68).
    floor = min(reps / 2, len(sample.units) / 2)
    log_prior = -np.log(np.maximum(sample.proposal, 1e-300))
    size, how, log_weights = choose_dispersion(sample.runs, obs, floor, log_prior)
    uniform = float(stream(problem.seed, 0, "resampling", FIT_FORECAST).random())
    picks = systematic_resample(log_weights, reps, uniform)
    ess = effective_sample_size(log_weights)
    info = {
        "method": "ABC draws weighted by the likelihood of the fitted months, continued",
        "observation_model": "negative binomial, mean = simulated value (>= 0.5), Var = mean + mean^2/k",
        "dispersion": "Poisson (k = inf)" if math.isinf(size) else f"k = {size:g}",
        "dispersion_chosen_by": how,
        "candidates": len(sample.units),
        "effective_sample_size": round(ess, 2),
        "min_effective_sample_size": floor,
        "distinct_replications": int(np.unique(picks).size),
    }
    return picks, info


def conditioned_forecast(problem: Problem, sample: AbcSample, reps: int, horizon: int) -> Forecast:
    """``reps`` forecast replications over ``horizon`` months from the start, conditioned on the history."""
    obs = _observations(problem)
    picks, info = _pick(obs, problem, sample, reps)
    unique = np.unique(picks)
    tasks = [
        ({**problem.values(sample.units[i]), HORIZON: horizon}, int(sample.replications[i])) for i in unique
    ]
    runs = dict(zip(unique.tolist(), problem.simulator.columns(tasks), strict=True))
    frames, draws = [], []
    for slot, i in enumerate(picks.tolist()):
        frame = from_columns(runs[i])
        frame.insert(0, "replication", slot)
        frame["candidate"] = int(sample.replications[i])
        frames.append(frame)
        values = {p.path: p.value(u) for p, u in zip(problem.parameters, sample.units[i], strict=True)}
        draws.append({"replication": slot, **values, "candidate": int(sample.replications[i])})
    monthly = pd.concat(frames, ignore_index=True)
    info["level_corrected_from"], info["regression_adjustment"] = correct_to_report(monthly, obs)
    monthly.insert(0, "scenario", SCENARIO)
    return Forecast(monthly, pd.DataFrame(draws), info)


def forecast_from_start(problem: Problem, posterior: pd.DataFrame, reps: int, horizon: int) -> pd.DataFrame:
    """``reps`` replications from the snapshot, each with parameters drawn from the posterior.

    What a run of the fitted file with its parameter draws gives, knowing nothing of the
    history's chance: the fit's checks ("does the model reproduce the history?") use it.
    """
    rng = np.random.default_rng(np.random.SeedSequence(problem.seed, spawn_key=(ABC_REPLICATIONS + 1,)))
    chosen = rng.choice(len(posterior), size=reps, p=posterior["weight"].to_numpy())
    rows = posterior.iloc[chosen]
    tasks = [
        ({**{p.path: p.cast(row[p.path]) for p in problem.parameters}, HORIZON: horizon}, replication)
        for replication, (_, row) in enumerate(rows.iterrows())
    ]
    monthly = problem.simulator.frame(tasks)
    monthly.insert(0, "scenario", SCENARIO)
    return monthly
