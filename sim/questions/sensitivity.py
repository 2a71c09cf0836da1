"""One-way sensitivity: how a result moves as each assumption goes from low to high.

Each ``--vary field=low,high`` runs the scenario twice more, with the field at its low and
at its high value (the rest as in the scenario), all on common random numbers so the swing
is the assumption's effect and not noise. The result is the median of a metric at a month
(default breaches at the last month) or, with a goal, P(goal). A tornado chart shows the
swings, largest at the top.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.engine.scenario import ConfigError
from sim.engine.sweep import Scenario, get_field
from sim.questions.compare import check_goal, error_record, error_table, month_labels, run_records
from sim.questions.goals import Goal, as_goal
from sim.questions.model_error_draws import ErrorQuantiles, with_errors
from sim.questions.results import SensitivityResult
from sim.questions.solve import one_scenario
from sim.runs.backends import shared_backend
from sim.runs.limits import check_run_size
from sim.runs.manifest import manifest
from sim.runs.parameter_draws import refuse_drawn
from sim.runs.result import run
from sim.runs.runner import Progress
from sim.runs.summary import summarise

VARY_EXAMPLE = "e.g. --vary job_plans.band6.sickness_rate=0.03,0.08"
# Each --vary runs the scenario twice more: 50 make 101 runs, about the largest sweep allowed
# (sim.engine.sweep.MAX_SWEEP_VALUES), each holding its replications in memory until summarised.
MAX_VARY = 50


@dataclass(frozen=True)
class Variation:
    """One assumption and the low and high values it is tried at."""

    field: str
    low: Any
    high: Any


def parse_vary(text: str) -> Variation:
    """``field=low,high`` (values read as YAML scalars: numbers, words, dates)."""
    path, sep, values = str(text).partition("=")
    parts = values.split(",")
    if not sep or not path.strip() or len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(f"--vary: {text!r}: expected field=low,high, {VARY_EXAMPLE}")
    try:
        low, high = (yaml.safe_load(p.strip()) for p in parts)
    except yaml.YAMLError:
        raise ConfigError(f"--vary: {text!r}: cannot read the values, {VARY_EXAMPLE}") from None
    return Variation(path.strip(), low, high)


def check_vary_count(count: int) -> None:
    """Refuse no field to vary, or more than ``MAX_VARY``."""
    if count < 1:
        raise ConfigError("--vary: give at least one field=low,high")
    if count > MAX_VARY:
        raise ConfigError(f"--vary: {count} fields; at most {MAX_VARY} (each runs the scenario twice more)")


def _measure(
    monthly: pd.DataFrame, metric: str, month: str, goal: Goal | None,
    errors: ErrorQuantiles | None, seed: int,
) -> float:
    if goal is not None:  # P(goal) as compare counts it: with the model's real-world error unless off
        judged = monthly if errors is None else with_errors(monthly, errors, seed)
        return float(goal.probability(judged)["probability"].iloc[0])
    return float(monthly.loc[monthly["month"] == month, metric].median())


def sensitivity(
    scenario: Scenario | str | Path,
    vary: list[Variation | str],
    metric: str = "breaches",
    month: str | None = None,
    goal: Goal | str | None = None,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    parameter_draws: bool = True,
    model_error: str | Path | bool | None = None,
) -> SensitivityResult:
    """Run the scenario as given and at each field's low and high; tabulate the swings.

    Each replication runs with its parameter draw when the scenario has them (the same draw
    in every variant); ``parameter_draws=False`` runs the scenario's own values.
    """
    started = dt.datetime.now(dt.timezone.utc)
    check_vary_count(len(vary))
    check_run_size(reps, seed, workers)  # before the goal's probe run
    base = one_scenario(scenario)
    variations = [v if isinstance(v, Variation) else parse_vary(v) for v in vary]
    refuse_drawn(base.config, [v.field for v in variations], "--vary", parameter_draws)
    goal = as_goal(goal)
    month = month or (goal.month if goal else month_labels(base.config)[-1])
    variants = [[base.with_changes({v.field: x}, what="--vary") for x in (v.low, v.high)] for v in variations]
    check = goal or Goal(metric, "<=", 0.0, "by", month, f"{metric} at {month}", "--metric/--month")
    check_goal(check, base.config, seed)
    measure = f"P({goal})" if goal else f"median {metric} at {month}"
    runs = {}
    with shared_backend(workers=workers):  # one pool for every variant
        for item in [base, *(x for pair in variants for x in pair)]:
            runs[item.name] = run(
                item.config, reps, seed, workers, item.name, progress, parameter_draws=parameter_draws
            )
    monthly = {name: result.monthly for name, result in runs.items()}
    errors = error_table(model_error) if goal is not None else None
    at = {name: _measure(frame, metric, month, goal, errors, seed) for name, frame in monthly.items()}
    document = base.config.model_dump(mode="json")
    rows = []
    for v, (low, high) in zip(variations, variants, strict=True):
        given = get_field(base.document, v.field)
        rows.append(
            {
                "field": v.field,
                "low": v.low,
                "base_value": given if given is not None else get_field(document, v.field),
                "high": v.high,
                "result_low": at[low.name],
                "result_base": at[base.name],
                "result_high": at[high.name],
                "swing": abs(at[high.name] - at[low.name]),
                "measure": measure,
            }
        )
    table = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable", ignore_index=True)
    summary = summarise(pd.concat(monthly.values(), ignore_index=True))
    extra = {"workers": workers, "sensitivity": {"measure": measure, "vary": [vars(v) for v in variations]},
             "model_error": error_record(errors)}
    extra.update(run_records([runs[base.name]]))
    info = manifest({base.name: base.path}, seed, reps, started, extra)
    return SensitivityResult(table, summary, measure, info)
