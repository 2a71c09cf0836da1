"""Running several scenarios side by side on common random numbers.

Every scenario runs with the same seed, so replication ``r`` of each scenario sees the same
referrals, attendance draws and staff absences wherever the scenarios agree. The paired
difference ``scenario - baseline`` within a replication therefore carries only the effect
of the change, and its 10-90% interval is much narrower than the gap between two
independent fans. The first scenario is the baseline.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig
from sim.engine.scenario import validate
from sim.engine.sweep import as_scenarios
from sim.questions.breach_flow import breach_flow
from sim.questions.costs import check_costs, costs_beside_effect
from sim.questions.goal_capacity import goal_capacity
from sim.questions.goals import Goal, as_goal
from sim.questions.model_error_draws import ErrorQuantiles, read_errors, with_errors
from sim.questions.rests_on import REPS as REST_REPS
from sim.questions.rests_on import rests_on as measure_rests_on
from sim.questions.results import ComparisonResult
from sim.questions.waiting_list_theory import theory_table
from sim.runs.backends import shared_backend
from sim.runs.conditioning import Settings
from sim.runs.manifest import manifest
from sim.runs.parameter_draws import refuse_drawn
from sim.runs.planned_run import Observed, as_observed
from sim.runs.result import RunResult, run
from sim.runs.runner import Progress
from sim.runs.summary import QUANTILES, summarise

COMPARED = ("breaches", "waiting", "wait_p92_weeks", "followup_overdue")


def paired_differences(
    monthly: pd.DataFrame, baseline: str, metrics: Iterable[str] = COMPARED
) -> pd.DataFrame:
    """``<metric>_diff`` = scenario minus baseline in the same replication and month."""
    metrics = list(metrics)
    keys = ["replication", "month"]
    base = monthly.loc[monthly["scenario"] == baseline, keys + metrics]
    paired = monthly[["scenario", *keys, *metrics]].merge(base, on=keys, suffixes=("", "_baseline"))
    for metric in metrics:
        paired[f"{metric}_diff"] = paired[metric] - paired[f"{metric}_baseline"]
    return paired[["scenario", *keys, *(f"{m}_diff" for m in metrics)]]


def comparison_table(summary: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """Per scenario x month: mean and p10/p50/p90 of each metric, and its paired difference."""
    keys = ["scenario", "month"]
    diffs = differences.groupby(keys, sort=False)[[f"{m}_diff" for m in COMPARED]]
    spread = pd.concat(
        [diffs.mean().add_suffix("_mean"), diffs.quantile(0.1).add_suffix("_p10"),
         diffs.quantile(0.9).add_suffix("_p90")],
        axis=1,
    ).reset_index()
    table = summary.merge(spread, on=keys, how="left")
    columns = [
        f"{m}{part}_{s}"
        for m in COMPARED
        for part, stats in (("", ("mean", *QUANTILES)), ("_diff", ("mean", "p10", "p90")))
        for s in stats
    ]
    return table[keys + columns]


def month_labels(config: ServiceConfig) -> list[str]:
    """The month-end labels (YYYY-MM) a run of this service reports."""
    start = config.service.start_date
    return [add_months(start, m).strftime("%Y-%m") for m in range(config.service.horizon_months)]


def _batch_watch(on_batch: Callable[[str, pd.DataFrame], None] | None, name: str) -> dict:
    return {} if on_batch is None else {"on_batch": functools.partial(on_batch, name)}


def check_goal(goal: Goal, config: ServiceConfig, seed: int = 0) -> None:
    """Fail before a long run if the goal names a metric or month the run will not have.

    The metric names come from a one-month, one-replication run of the same service.
    """
    document = config.model_dump(mode="json")
    document["service"]["horizon_months"] = 1
    document["events"] = []  # the probe needs only the metric names; events may lie past its month
    probe = run(validate(document, "goal check"), reps=1, seed=seed, workers=1, parameter_draws=False).monthly
    frame = pd.DataFrame({"month": month_labels(config)})
    for column in probe.columns:
        if column not in frame and pd.api.types.is_numeric_dtype(probe[column]):
            frame[column] = 0.0
    goal.months(frame.assign(scenario="probe", replication=0))


def compare(
    scenarios: Iterable[Any] | Mapping[str, Any],
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    goal: Goal | str | None = None,
    progress: Progress | None = None,
    observed: Observed | pd.DataFrame | None = None,
    conditioning: Settings | None = None,
    parameter_draws: bool = True,
    on_batch: Callable[[str, pd.DataFrame], None] | None = None,
    model_error: str | Path | bool | None = None,
    rests_on: bool = True,
    costs: bool = False,
) -> ComparisonResult:
    """Run scenarios on common random numbers and compare each with the first (the baseline).

    ``scenarios`` are YAML paths (a sweep file stands for several), ``ServiceConfig``s or
    ``Scenario``s, or a mapping of names to them. ``goal`` (e.g. ``"breaches<=0 by 2025-03"``)
    adds P(goal) per scenario. ``observed`` (a table as ``calibration.data.read_monthly``
    returns, or ``sim.api.read_observed(path)``) conditions every scenario on the observed
    months (``sim.runs.conditioning``); ``parameter_draws=False`` leaves parameter draws unused.
    ``on_batch(name, monthly)`` sees each finished batch of a scenario's replications (not
    with ``observed``, whose candidates are not yet the answer). ``model_error`` (a table path,
    ``None`` or ``True`` for the shipped CHS table, ``False`` for none) adds the model's
    real-world error to every future before P(goal) is counted (``questions.model_error_draws``);
    the simulation-only share stays in the goal table's ``*_simulation_only`` columns.
    ``rests_on`` measures the assumptions the answer is most sensitive to (``questions.rests_on``;
    a few low-replication runs of the baseline). ``costs`` adds each scenario's staff cost, the
    cost per breach avoided and per extra first contact (``questions.costs``); a role that cannot
    be costed is refused before the run.
    """
    started = dt.datetime.now(dt.timezone.utc)
    scenarios = as_scenarios(scenarios)
    goal = as_goal(goal)
    errors = error_table(model_error)
    for s in scenarios:
        refuse_drawn(s.config, list(s.changes), f"{s.source}: sweep.field", parameter_draws)
    if goal is not None:
        check_goal(goal, scenarios[0].config, seed)
    if costs:
        check_costs({s.name: s.config for s in scenarios}, {s.name: str(s.source) for s in scenarios})
    observed = as_observed(observed)
    with shared_backend(workers=workers):  # one pool for every scenario, ended with its workers here
        runs = [
            run(s.config, reps, seed, workers, s.name, progress, observed=observed, conditioning=conditioning,
                parameter_draws=parameter_draws, **_batch_watch(on_batch, s.name))
            for s in scenarios
        ]
        metric = goal.metric if goal is not None and goal.metric in runs[0].monthly else "breaches"
        month = goal.month if goal is not None else month_labels(scenarios[0].config)[-1]
        sensitive = None
        if rests_on:
            # At most the run's own replications: a quick look at 2 replications stays quick.
            sensitive = measure_rests_on(
                scenarios[0], metric, month, seed, workers, parameter_draws, min(reps, REST_REPS)
            )
    monthly = pd.concat([r.monthly for r in runs], ignore_index=True)
    summary = summarise(monthly)
    differences = paired_differences(monthly, scenarios[0].name)
    goals = goal_table(goal, monthly, scenarios[0].name, errors, seed) if goal is not None else None
    table = comparison_table(summary, differences)
    if errors is not None:
        table = with_error_bands(table, monthly, errors, seed, scenarios[0].name)
    extra = {
        "model_error": error_record(errors),
        "workers": workers,
        "baseline": scenarios[0].name,
        "goal": goal.text if goal else None,
        "changes": {s.name: s.changes for s in scenarios if s.changes},
        **run_records(runs),
    }
    info = manifest({s.name: s.path for s in scenarios}, seed, reps, started, extra)
    target = scenarios[0].config.service.rtt_target_weeks
    configs = {s.name: s.config for s in scenarios}
    return ComparisonResult(
        scenarios, monthly, summary, differences, table, goals, goal, info,
        breach_flow(monthly),
        theory_table(monthly, target, goal.month if goal else None, configs),
        goal_capacity(configs, goal, monthly) if goal is not None else None,
        sensitive,
        costs_beside_effect(configs, monthly, table, month) if costs else None,
    )


def run_records(runs: list[RunResult]) -> dict:
    """Each scenario's parameter draws and conditioning, as its run's manifest gave them.

    A conditioned scenario also says whether it resampled the baseline's candidates in the
    same order: if so, its paired differences are on common random numbers.
    """
    records: dict[str, dict] = {}
    base = runs[0].monthly.get("candidate")
    for result in runs:
        name = result.monthly["scenario"].iloc[0]
        for key in ("parameter_draws", "conditioning"):
            if key in result.manifest:
                records.setdefault(key, {})[name] = dict(result.manifest[key])
        if "conditioning" in result.manifest and base is not None:
            same = result.monthly["candidate"].to_numpy().tolist() == base.to_numpy().tolist()
            records["conditioning"][name]["same_candidates_as_baseline"] = same
    return records


def error_bands(monthly: pd.DataFrame, errors: ErrorQuantiles, seed: int, baseline: str) -> pd.DataFrame:
    """Per scenario x month, ``<metric>_p10/_p90_with_model_error``: the middle 80% of futures once each
    carries its model-error draw (the simulation's spread and the model's error together)."""
    honest = with_errors(monthly, errors, seed, baseline)
    metrics = [m for m in ("breaches", "waiting") if m in honest]
    grouped = honest.groupby(["scenario", "month"], sort=False)[metrics]
    low = grouped.quantile(0.1).add_suffix("_p10_with_model_error")
    high = grouped.quantile(0.9).add_suffix("_p90_with_model_error")
    return pd.concat([low, high], axis=1).reset_index()


def with_error_bands(
    table: pd.DataFrame, monthly: pd.DataFrame, errors: ErrorQuantiles, seed: int, baseline: str
) -> pd.DataFrame:
    """``table`` (one row per scenario x month with ``<metric>_p10/_p90``: a comparison table or a
    run's summary) with ``<metric>_p10/_p90_with_model_error`` added after its own columns.

    The one rule for every question's bands (``compare``, ``dcsim run``, a portfolio's services and
    total): the middle 80% of futures once each carries its model-error draw, never narrower than
    the simulation's own band (as from-waits' ``combine="max"``), because with few replications the
    sampled band of value + error can fall inside it by chance.
    """
    out = table.merge(error_bands(monthly, errors, seed, baseline), on=["scenario", "month"], how="left")
    for m in ("breaches", "waiting"):
        low, high = f"{m}_p10_with_model_error", f"{m}_p90_with_model_error"
        if low in out:
            out[low] = out[[low, f"{m}_p10"]].min(axis=1)
            out[high] = out[[high, f"{m}_p90"]].max(axis=1)
    return out


def error_table(model_error: str | Path | bool | None) -> ErrorQuantiles | None:
    """The model-error table a question uses: none (``False``), the shipped one or the file given."""
    if model_error is False:
        return None
    return read_errors(None if model_error in (None, True) else model_error)


def error_record(errors: ErrorQuantiles | None) -> dict:
    """What the manifest says about the model error in P(goal)."""
    if errors is None:
        return {"included": False}
    return {"included": True, "table": str(errors.path), "estimated_on": errors.months,
            "beyond_last_horizon": "spread x sqrt(months ahead / last horizon)"}


def goal_table(
    goal: Goal, monthly: pd.DataFrame, baseline: str, errors: ErrorQuantiles | None = None, seed: int = 0
) -> pd.DataFrame:
    """P(goal) per scenario, and its change from the baseline's.

    With ``errors``, ``met``/``probability``/``p_low``/``p_high`` count a future as meeting the
    goal only when the metric plus that future's model error meets it; ``met_simulation_only``
    and ``probability_simulation_only`` keep the simulation's own figure.
    """
    alone = goal.probability(monthly)
    table = alone if errors is None else goal.probability(with_errors(monthly, errors, seed, baseline))
    table["met_simulation_only"] = alone["met"].to_numpy()
    table["probability_simulation_only"] = alone["probability"].to_numpy()
    table["model_error"] = errors is not None
    base = table.loc[table["scenario"] == baseline, "probability"].iloc[0]
    table["change_from_baseline"] = table["probability"] - base
    return table
