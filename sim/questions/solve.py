"""Solving for capacity: the least change to one lever that meets a goal with a set probability.

The lever is a dotted field path (``events.0.add_staff.wte``, ``workforce.1.wte``,
``job_plans.band6.non_clinical_share``) set in the raw scenario document, so workforce
and events can be levers. Values lie on a grid ``low, low + step, ... <= high``. Every value
runs with the same seed, so P(goal) moves with the lever and not with the noise (common
random numbers), and bisection needs only about log2(grid size) + 2 runs. Whether more of
the lever helps is read from the two ends: for a lever that helps as it rises (posts added)
the answer is the smallest value meeting the goal, for one that helps as it falls
(non-clinical share) the largest.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.scenario import ConfigError
from sim.engine.sweep import Scenario, as_scenarios, format_value
from sim.questions.compare import check_goal, error_record, error_table, run_records
from sim.questions.goals import Goal, as_goal
from sim.questions.model_error_draws import with_errors
from sim.questions.results import SolveResult
from sim.questions.solve_sentence import solve_sentence
from sim.runs.backends import shared_backend
from sim.runs.limits import check_run_size
from sim.runs.manifest import manifest
from sim.runs.parameter_draws import refuse_drawn
from sim.runs.result import RunResult, run
from sim.runs.runner import Progress

MAX_GRID = 10_000


def one_scenario(scenario: Scenario | str | Path) -> Scenario:
    """The single scenario a file stands for (a sweep file stands for several: refused)."""
    found = as_scenarios([scenario])
    if len(found) > 1:
        raise ConfigError(f"{scenario}: sweep: give one scenario here, not a sweep of {len(found)}")
    return found[0]


def lever_grid(low: float, high: float, step: float) -> list[float]:
    """``low, low + step, ...`` up to ``high``; whole numbers stay integers.

    At most ``MAX_GRID`` values: bisection runs only about log2 of them, but the grid itself
    is held in memory.
    """
    for option, value in (("--low", low), ("--high", high), ("--step", step)):
        if not math.isfinite(value):
            raise ConfigError(f"{option}: {value}: must be a finite number")
    if step <= 0:
        raise ConfigError(f"--step: {step:g}: must be greater than 0")
    if high <= low:
        raise ConfigError(f"--high: {high:g}: must be greater than --low {low:g}")
    count = math.floor((high - low) / step + 1e-9)
    if count >= MAX_GRID:
        raise ConfigError(
            f"--step: {step:g}: makes {count + 1:,} values from --low to --high; at most {MAX_GRID:,} "
            "(use a larger step)"
        )
    values = [round(low + k * step, 10) for k in range(count + 1)]
    if all(float(v).is_integer() for v in (low, step)):
        return [int(v) for v in values]
    return values


class Evaluator:
    """Runs the scenario at lever values, once each, and remembers P(goal)."""

    def __init__(
        self, scenario, lever, goal, reps, seed, workers, progress, parameter_draws=True, errors=None
    ) -> None:
        self.scenario, self.lever, self.goal = scenario, lever, goal
        self.reps, self.seed, self.workers, self.progress = reps, seed, workers, progress
        self.parameter_draws, self.errors = parameter_draws, errors
        self.runs: dict[Any, RunResult] = {}
        self.rows: list[dict] = []

    def probability(self, value: Any) -> float:
        if value not in self.runs:
            variant = self.scenario.with_changes({self.lever: value}, what="--lever")
            result = run(
                variant.config, self.reps, self.seed, self.workers, variant.name, self.progress,
                parameter_draws=self.parameter_draws,
            )
            self.runs[value] = result
            alone = self.goal.probability(result.monthly).iloc[0]
            table = alone
            if self.errors is not None:  # the same error paths at every lever value (common random numbers)
                table = self.goal.probability(with_errors(result.monthly, self.errors, self.seed)).iloc[0]
            self.rows.append(
                {
                    "value": value,
                    "probability": table["probability"],
                    "p_low": table["p_low"],
                    "p_high": table["p_high"],
                    "met": int(table["met"]),
                    "replications": int(table["replications"]),
                    "met_simulation_only": int(alone["met"]),
                    "probability_simulation_only": alone["probability"],
                    "model_error": self.errors is not None,
                    "evaluated": len(self.rows) + 1,
                }
            )
        return next(r["probability"] for r in self.rows if r["value"] == value)


def solve(
    scenario: Scenario | str | Path,
    lever: str,
    goal: Goal | str,
    confidence: float = 0.9,
    low: float = 0,
    high: float = 10,
    step: float = 0.5,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    parameter_draws: bool = True,
    model_error: str | Path | bool | None = None,
) -> SolveResult:
    """Find the lever value nearest the failing end that meets ``goal`` with P >= ``confidence``.

    Each replication runs with its parameter draw when the scenario has them, the same draw
    at every lever value; ``parameter_draws=False`` runs the scenario's own values. P(goal)
    includes the model's real-world error as ``compare`` counts it (``model_error``: a table,
    ``None`` for the shipped CHS one, ``False`` for none).
    """
    started = dt.datetime.now(dt.timezone.utc)
    if not 0 < confidence <= 1:
        raise ConfigError(f"--confidence: {confidence:g}: must be above 0 and at most 1")
    check_run_size(reps, seed, workers)  # before the goal's probe run
    base = one_scenario(scenario)
    goal = as_goal(goal)
    grid = lever_grid(low, high, step)
    refuse_drawn(base.config, [lever], "--lever", parameter_draws)
    errors = error_table(model_error)
    evaluate = Evaluator(base, lever, goal, reps, seed, workers, progress, parameter_draws, errors)
    for value in (grid[0], grid[-1]):
        base.with_changes({lever: value}, what="--lever")  # bad lever or value: fail before running
    check_goal(goal, base.config, seed)
    with shared_backend(workers=workers):  # one pool for every lever value tried
        rising = evaluate.probability(grid[-1]) >= evaluate.probability(grid[0])
        good, bad = (len(grid) - 1, 0) if rising else (0, len(grid) - 1)
        meets = lambda index: evaluate.probability(grid[index]) >= confidence  # noqa: E731
        if not meets(good):
            value, answer = None, good
        elif meets(bad):
            value, answer = grid[bad], bad
        else:
            while abs(good - bad) > 1:
                middle = (good + bad) // 2
                good, bad = (middle, bad) if meets(middle) else (good, middle)
            value, answer = grid[good], good
    message = _message(lever, goal, confidence, grid, value, rising, evaluate, answer)
    evaluations = pd.DataFrame(evaluate.rows).sort_values("value", ignore_index=True)
    evaluations["meets_confidence"] = evaluations["probability"] >= confidence
    evaluations["solution"] = evaluations["value"] == value if value is not None else False
    evaluations.insert(0, "lever", lever)
    extra = {
        "workers": workers,
        "solve": {"lever": lever, "goal": goal.text, "confidence": confidence, "low": low, "high": high,
                  "step": step, "value": value, "lever_helps_as_it": "rises" if rising else "falls"},
    }
    extra["model_error"] = error_record(errors)
    extra.update(run_records([evaluate.runs[grid[answer]]]))
    info = manifest({base.name: base.path}, seed, reps, started, extra)
    sentence = message
    if value is not None:
        best = evaluations[evaluations["solution"]].iloc[0]
        met, replications = int(best["met"]), int(best["replications"])
        sentence = solve_sentence(base, lever, value, goal, met, replications, confidence,
                                  errors is not None, int(best["met_simulation_only"]))
    return SolveResult(base, lever, goal, confidence, value, rising, evaluations,
                       evaluate.runs[grid[answer]], message, info, sentence)


def _message(lever, goal, confidence, grid, value, rising, evaluate, answer) -> str:
    p = evaluate.probability(grid[answer])
    if value is None:
        best = "highest" if rising else "lowest"
        return (
            f"no value of {lever} from {format_value(grid[0])} to {format_value(grid[-1])} meets "
            f"'{goal}' with probability {confidence:.0%}: at the {best} value, {format_value(grid[answer])}, "
            f"P = {p:.0%}"
        )
    which = "smallest" if rising else "largest"
    text = (
        f"{which} {lever} meeting '{goal}' with probability >= {confidence:.0%}: "
        f"{format_value(value)} (P = {p:.0%})"
    )
    neighbour = answer - 1 if rising else answer + 1
    if 0 <= neighbour < len(grid):
        text += f"; at {format_value(grid[neighbour])}, P = {evaluate.probability(grid[neighbour]):.0%}"
    else:
        text += " (met across the whole range; widen --low/--high to look further)"
    return text
