"""The questions the pages ask, started as background jobs over ``sim.questions.compare``/``solve`` and
``calibration.fit``, and the small tables the pages show from their answers.

Nothing here computes a statistic of its own: medians, bands, paired differences and P(goal)
come from the comparison, the goal and the solver as the CLI reports them.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.engine.scenario import ConfigError, validate
from sim.engine.sweep import Scenario, format_value
from sim.questions.compare import ComparisonResult, compare, error_record, error_table, goal_table
from sim.questions.compare import month_labels as month_labels  # for the pages
from sim.questions.goal_capacity import goal_capacity
from sim.questions.goals import Goal, parse_goal
from sim.questions.results import GoalCapacity
from sim.questions.solve import lever_grid, solve
from sim.reports.error_bands import error_bands
from sim.runs.summary import metric_columns, summarise
from sim.web.jobs import STORE, Job, request_key
from sim.web.labels import METRIC_NAMES, goal_words, role_name
from sim.web.workspace import Workspace

TRAJECTORY_METRICS = {
    m: METRIC_NAMES[m] for m in ("breaches", "waiting", "followup_waiting", "followup_overdue")
}
# How long overdue follow-ups and the waiting list wait: charted on request, offered as goal measures.
WEEKS_METRICS = (
    "followup_overdue_p50_weeks",
    "followup_overdue_p92_weeks",
    "followup_overdue_max_weeks",
    "wait_p50_weeks",
    "wait_p92_weeks",
    "max_wait_weeks",
)
WITH_ERROR = "with model error"
OPERATORS = {"at most": "<=", "fewer than": "<", "at least": ">=", "more than": ">"}


# --- run and compare -------------------------------------------------------------------------
def start_comparison(scenarios: list[Scenario], reps: int, seed: int, workers: int | None = None) -> Job:
    """Compare scenarios (the first is the baseline) on common random numbers, in the background."""
    key = request_key("compare", [(s.name, s.config) for s in scenarios], seed, reps)
    return STORE.start(
        key,
        reps * len(scenarios),
        lambda job: compare(scenarios, reps, seed, workers, progress=job.advance, on_batch=job.keep_batch),
    )


def provisional_summary(job: Job, upto: int | None = None) -> tuple[pd.DataFrame, int] | None:
    """The summary of the first ``upto`` batches a running comparison has finished, and their count.

    The same ``summarise`` as the finished answer, over fewer replications: the first chart
    arrives after the first batch instead of after the last. None before any batch is in.
    """
    batches = job.batches[:upto]  # a copy: the job's thread appends while the page reads
    if not batches:
        return None
    monthly = pd.concat([frame.assign(scenario=name) for name, frame in batches], ignore_index=True)
    baseline = batches[0][0]
    count = int(monthly.loc[monthly["scenario"] == baseline, "replication"].nunique())
    return summarise(monthly), count


def last_month(result: ComparisonResult) -> str:
    return str(result.summary["month"].iloc[-1])


def medians(result: ComparisonResult, month: str, metric: str = "breaches") -> pd.DataFrame:
    """Median and 10-90% band of a metric per scenario in one month, the band with the model's
    real-world error where the comparison has it, and the paired difference."""
    summary = result.summary[result.summary["month"] == month].set_index("scenario")
    table = pd.DataFrame(
        {
            "median": summary[f"{metric}_p50"],
            "10th centile": summary[f"{metric}_p10"],
            "90th centile": summary[f"{metric}_p90"],
        }
    )
    rows = result.comparison[result.comparison["month"] == month].set_index("scenario")
    if error_bands(result.comparison, result.manifest, metric) is not None:  # as dcsim compare's line
        table[f"10th centile {WITH_ERROR}"] = rows[f"{metric}_p10_with_model_error"]
        table[f"90th centile {WITH_ERROR}"] = rows[f"{metric}_p90_with_model_error"]
    if f"{metric}_diff_mean" in rows:
        table["vs baseline: mean paired difference"] = rows[f"{metric}_diff_mean"]
        table["paired difference 10th centile"] = rows[f"{metric}_diff_p10"]
        table["paired difference 90th centile"] = rows[f"{metric}_diff_p90"]
    table.index.name = "scenario"
    return table.reindex(result.names).reset_index()


def goal_metrics(result: ComparisonResult) -> list[str]:
    """Measures a goal may name: the usual ones first, then every other monthly metric (new ones too)."""
    present = metric_columns(result.monthly)
    usual = [m for m in (*TRAJECTORY_METRICS, *WEEKS_METRICS) if m in present]
    return [*usual, *(m for m in present if m not in usual)]


def chart_metrics(result: ComparisonResult) -> list[str]:
    """Measures charted beyond the tabs: the weeks ones first, then every other the summary has."""
    return [m for m in goal_metrics(result) if m not in TRAJECTORY_METRICS and f"{m}_p50" in result.summary]


def goal_text(metric: str, words: str, threshold: float, mode: str, month: str) -> str:
    """A goal from form values in the CLI's syntax, e.g. ``breaches<=0 by 2025-12``."""
    return f"{metric}{OPERATORS[words]}{threshold:g} {mode} {month}"


def goal_probabilities(result: ComparisonResult, goal: Goal, model_error: bool = True) -> pd.DataFrame:
    """P(goal) per scenario (with its 90% interval and change from the baseline), counting each
    future with the model's real-world error as ``dcsim compare`` does unless ``model_error`` is off."""
    errors = error_table(None if model_error else False)
    return goal_table(goal, result.monthly, result.baseline, errors, int(result.manifest["seed"]))


def error_choice(result: ComparisonResult, model_error: bool = True) -> ComparisonResult:
    """The comparison as shown: unchanged, or, with ``model_error`` off, its manifest saying the
    model error is not included, so its board table and charts give the simulation's bands."""
    if model_error:
        return result
    return dataclasses.replace(result, manifest={**result.manifest, "model_error": error_record(None)})


def with_goal(result: ComparisonResult, goal: Goal, model_error: bool = True) -> ComparisonResult:
    """The comparison as ``dcsim compare --goal`` gives it: P(goal) table, goal in the manifest.

    The replications are the same (a goal only reads them), so the goal asked after the run
    travels into the report, the workbook and the manifest as if it had been asked with it.
    """
    from sim.questions.waiting_list_theory import theory_table

    target = result.scenarios[0].config.service.rtt_target_weeks
    configs = {s.name: s.config for s in result.scenarios}
    return dataclasses.replace(
        result,
        goals=goal_probabilities(result, goal, model_error),
        goal=goal,
        manifest={
            **result.manifest,
            "goal": goal.text,
            "model_error": error_record(error_table(model_error)),
        },
        theory=theory_table(result.monthly, target, goal.month, configs),
        goal_capacity=goal_capacity(configs, goal, result.monthly),
    )


def goal_capacity_answer(result: ComparisonResult, goal: Goal) -> GoalCapacity | None:
    """What the goal takes, as ``dcsim compare --goal`` gives it (None for goals it does not answer)."""
    if result.goal_capacity is not None and result.goal == goal:
        return result.goal_capacity
    return goal_capacity({s.name: s.config for s in result.scenarios}, goal, result.monthly)


def read_goal(text: str) -> Goal:
    goal = parse_goal(text)
    return Goal(goal.metric, goal.op, goal.threshold, goal.mode, goal.month, goal.text, option="goal")


# --- capacity needed -------------------------------------------------------------------------
@dataclass(frozen=True)
class CapacityQuestion:
    """What WTE of ``role``, in post from ``start`` (after ``lag_weeks``), meets the goal."""

    scenario: str
    role: str
    start: dt.date
    lag_weeks: float
    goal: str
    confidence: float
    low: float
    high: float
    step: float
    model_error: bool = True  # P(goal) with the model's real-world error, as dcsim solve counts it


def capacity_scenario(workspace: Workspace, question: CapacityQuestion) -> tuple[Scenario, str]:
    """The scenario with an added post whose WTE is the lever, and the lever's dotted path."""
    document = copy.deepcopy(workspace.scenario_document(question.scenario))
    event = {
        "date": question.start,
        "label": f"Posts solved for ({question.role})",
        "add_staff": {
            "role": question.role,
            "wte": question.high,
            "recruitment_lag_weeks": question.lag_weeks,
        },
    }
    document.setdefault("events", []).append(event)
    lever = f"events.{len(document['events']) - 1}.add_staff.wte"
    config = validate(document, f"scenario {question.scenario!r}")
    return Scenario(question.scenario, config, document), lever


def solve_runs(question: CapacityQuestion) -> int:
    return 2 + math.ceil(math.log2(max(2, len(lever_grid(question.low, question.high, question.step)))))


def start_capacity(
    workspace: Workspace, question: CapacityQuestion, reps: int, seed: int, workers: int | None = None
) -> Job:
    scenario, lever = capacity_scenario(workspace, question)
    goal = read_goal(question.goal)
    key = request_key("solve", [(scenario.name, scenario.config)], seed, reps, question=repr(question))
    return STORE.start(
        key,
        reps * solve_runs(question),
        lambda job: solve(
            scenario,
            lever,
            goal,
            question.confidence,
            question.low,
            question.high,
            question.step,
            reps,
            seed,
            workers,
            job.advance,
            model_error=None if question.model_error else False,
        ),
    )


def capacity_sentence(result: Any, question: CapacityQuestion) -> str:
    """The solver's answer in one sentence a board paper can use."""
    goal = f"the goal ({goal_words(result.goal)})"
    role = role_name(question.role)
    start = question.start.strftime("%d %B %Y").lstrip("0")
    lag = f" (in post after {question.lag_weeks:g} weeks' recruitment)" if question.lag_weeks else ""
    rows = result.evaluations.set_index("value")["probability"]
    if result.value is None:
        best = question.high if result.rising else question.low
        return (
            f"No number of {role} WTE between {format_value(question.low)} and "
            f"{format_value(question.high)} from {start}{lag} reaches {goal} with "
            f"{question.confidence:.0%} confidence: at {format_value(best)} WTE the chance is "
            f"{rows.get(best, float('nan')):.0%}."
        )
    return (
        f"{format_value(result.value)} WTE {role} from {start}{lag} reaches {goal} with a "
        f"{rows[result.value]:.0%} chance (asked for {question.confidence:.0%})."
    )


# --- calibrate -------------------------------------------------------------------------------
def fit_candidates(workspace: Workspace) -> list[str]:
    """Settings a planner usually fits: the ones services do not publish."""
    document = workspace.document
    paths = [f"job_plans.{role}.non_clinical_share" for role in document.get("job_plans", {})]
    paths += [f"pathways.{name}.followups.mean" for name in document.get("pathways", {})]
    paths += ["demand.monthly_rate", "access_policy.validation_removal_rate"]
    paths += [f"appointment_types.{name}.dna_rate" for name in document.get("appointment_types", {})]
    return paths


def fit_targets(history: pd.DataFrame) -> dict[str, list[str]]:
    """Model metric -> history columns it may be fitted to (``breaches`` to a published projection too)."""
    options: dict[str, list[str]] = {}
    for metric in ("breaches", "waiting", "referrals", "first_contacts"):
        columns = [c for c in (metric, f"projected_{metric}") if c in history.columns]
        if columns:
            options[metric] = columns
    return options


def start_fit(
    workspace: Workspace,
    history: pd.DataFrame,
    params: list[str],
    targets: dict[str, str],
    reps: int,
    seed: int,
    draws: int,
    forecast_reps: int,
    workers: int | None = None,
) -> Job:
    """Fit ``params`` in the background; the job's answer is a ``Calibration`` (fit and its files)."""
    from calibration.fit import fit
    from sim.web.calibrated import Calibration, write_calibrated

    if not params:
        raise ConfigError("fit: pick at least one setting to fit")
    if not targets:
        raise ConfigError("fit: pick at least one reported series to fit to")
    config = workspace.config()
    key = request_key(
        "fit",
        [("baseline", config)],
        seed,
        reps,
        params=params,
        targets=targets,
        draws=draws,
        forecast_reps=forecast_reps,
        history=history.to_json(),
    )
    document = copy.deepcopy(workspace.document)  # the service as fitted, whatever the forms do next

    def calibrate(job: Job) -> Calibration:
        result = fit(
            config,
            history,
            params,
            reps,
            seed,
            targets=targets,
            draws=draws,
            forecast_reps=forecast_reps,
            workers=workers,
            progress=_steps(job),
        )
        return Calibration(result, write_calibrated(result, document))

    return STORE.start(key, 3, calibrate)


def _steps(job: Job):
    """fit() reports 'step k/3: ...'; the bar moves a third per step."""

    def say(message: str) -> None:
        job.say(message)
        if str(message).startswith("step "):
            job.done = int(str(message)[5]) - 1

    return say
