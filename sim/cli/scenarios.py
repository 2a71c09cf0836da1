"""``dcsim compare``, ``dcsim solve`` and ``dcsim sensitivity``: scenario questions side by side.

Registered on the ``dcsim`` app when ``sim.cli`` is imported. Errors in scenario files, goals,
levers and actuals are reported as ``file: field: message`` with exit code 2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    Actuals,
    Candidates,
    Dispersion,
    ModelError,
    NoDraws,
    NoModelError,
    Observed,
    Out,
    Reps,
    Seed,
    Workers,
    app,
    conditioning_settings,
    fail,
    model_error_choice,
    output_folder,
    overdue_words,
    progress_bar,
    read_actuals,
    say,
    shown_warnings,
    user_errors,
    within,
    writing,
)
from sim.runs.limits import EVERY

Goal = Annotated[
    str | None,
    typer.Option("--goal", "-g", help="Goal, e.g. 'breaches<=0 by 2025-03' or 'breaches<=50 from 2025-03'."),
]


def _record_actuals(info: dict, actuals: Path | None) -> None:
    from sim.engine.scenario import file_hash

    if actuals is not None:
        info["actuals"] = {"path": str(actuals.resolve()), "sha256": file_hash(actuals)}


@app.command(rich_help_panel="Ask questions of scenarios")
def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Baseline YAML first, then scenario YAMLs (sweeps expand).")
    ],
    out: Out,
    reps: Reps = 100,
    seed: Seed = 0,
    workers: Workers = None,
    actuals: Actuals = None,
    goal: Goal = None,
    observed: Observed = None,
    dispersion: Dispersion = "auto",
    candidates: Candidates = None,
    no_parameter_draws: NoDraws = False,
    model_error: ModelError = None,
    no_model_error: NoModelError = False,
    months: Annotated[
        str | None,
        typer.Option("--months", help="Board table columns: month ends YYYY-MM, comma-separated "
                     "(default: quarter ends and the goal's month)."),
    ] = None,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            callback=within(EVERY),
            help=f"Board table columns: every N-th month end instead ({EVERY.text}).",
        ),
    ] = None,
    costs: Annotated[
        bool,
        typer.Option("--costs", help="Add each scenario's staff cost (Agenda for Change pay plus on-costs), "
                     "the cost per breach avoided and per extra first contact (costs.csv, board rows)."),
    ] = False,
) -> None:
    """Compare scenarios with the first (the baseline) on common random numbers.

    Writes monthly/summary/comparison tables, overlay fan charts, the board-paper table (CSV and
    xlsx, quarter ends by default; every month in board_table_monthly.csv), trajectory tracking
    (with --actuals), the breach flow, goals.csv and what the goal takes (goal_capacity.csv,
    goal_capacity_by_wait.csv; with --goal), manifest.json and a self-contained report.html to OUT.
    """
    from sim.api import read_observed, write
    from sim.engine.sweep import as_scenarios
    from sim.questions.compare import compare as run_comparison
    from sim.questions.compare import month_labels
    from sim.questions.goals import as_goal
    from sim.reports.board import board_months

    errors = model_error_choice(model_error, no_model_error)
    chosen = [m.strip() for m in months.split(",") if m.strip()] if months else None
    if chosen and every:
        fail("--months, --every: give one of them")
    if _portfolios(scenarios):
        from sim.cli.portfolio import compare_portfolios_command

        unsupported = {
            "--actuals": actuals, "--goal": goal, "--observed": observed, "--candidates": candidates,
            "--dispersion": dispersion, "--every": every,
        }
        compare_portfolios_command(scenarios, out, reps, seed, workers, unsupported, chosen,
                                   parameter_draws=not no_parameter_draws, model_error=errors)
        return
    with user_errors(), shown_warnings():
        loaded = as_scenarios(scenarios)
        shown = read_actuals(actuals or observed, [s.config for s in loaded])  # observed drawn as points too
        parsed = as_goal(goal)
        board_months(month_labels(loaded[0].config), chosen, every)  # a bad month fails before the run
        settings = conditioning_settings(dispersion, candidates)
        total = (settings.candidate_count(reps) if observed is not None else reps) * len(loaded)
        with output_folder(out):
            with progress_bar(total, "compare") as advance:
                result = run_comparison(
                    loaded, reps, seed, workers, parsed, progress=advance,
                    observed=read_observed(observed) if observed is not None else None,
                    conditioning=settings, parameter_draws=not no_parameter_draws, model_error=errors,
                    costs=costs,
                )
            _record_actuals(result.manifest, actuals)
            with writing(out):
                write(result, out, shown, chosen, every)
    say(f"{len(loaded)} scenarios x {reps} replications -> {out}/report.html")
    for line in comparison_lines(result):
        say(line)


def _portfolios(paths: list[Path]) -> bool:
    """Whether the files are portfolios: all of them, or none (a mix is refused, exit 2)."""
    from sim.engine.portfolio import is_portfolio

    found = [is_portfolio(path) for path in paths]
    if any(found) and not all(found):
        mixed = [str(p) for p, f in zip(paths, found, strict=True) if not f]
        fail(f"{', '.join(mixed)}: not a portfolio file, but {paths[found.index(True)]} is; compare "
             "portfolios with portfolios (a portfolio scenario extends: the base portfolio) or "
             "services with services")
    return all(found)


def goal_futures(row) -> str:
    """How many futures meet the goal, with the model's error when it was included."""
    from sim.questions.results import futures_words

    with_error = bool(row.get("model_error", False))
    alone = int(row["met_simulation_only"]) if "met_simulation_only" in row else None
    return futures_words(int(row["met"]), int(row["replications"]), with_error, alone)


def comparison_lines(result) -> list[str]:
    """The answer in words: each scenario at the goal month (or the last), as report.html opens."""
    from sim.reports.board import count_text, month_heading
    from sim.reports.labels import scenario_labels, versus_baseline

    labels = scenario_labels(result.scenarios)
    month = result.goal.month if result.goal else result.comparison["month"].iloc[-1]
    target = result.scenarios[0].config.service.rtt_target_weeks
    rows = result.comparison[result.comparison["month"] == month].set_index("scenario")
    overdue = result.summary[result.summary["month"] == month].set_index("scenario")
    goals = result.goals.set_index("scenario") if result.goals is not None else None
    lines = [f"At the end of {month_heading(month)}, patients waiting over {target:g} weeks "
             "(median, and the middle 80% of simulated futures):"]
    for name in result.names:
        row = rows.loc[name]
        line = (f"  {labels[name]}: {count_text(row['breaches_p50'])} "
                f"({count_text(row['breaches_p10'])}-{count_text(row['breaches_p90'])}")
        if "breaches_p10_with_model_error" in row:
            line += (f"; {count_text(row['breaches_p10_with_model_error'])}-"
                     f"{count_text(row['breaches_p90_with_model_error'])} with the model's real-world error")
        line += ")"
        if name != result.baseline:
            line += f", {versus_baseline(row['breaches_diff_mean'])}"
        if goals is not None:
            line += "; meets the goal " + goal_futures(goals.loc[name])
        lines.append(f"{line}; {overdue_words(overdue.loc[name])}")
    from sim.reports.long_waiters import long_waiter_lines, long_waiter_table

    aimed = long_waiter_table(result, [month])
    if aimed is not None:
        lines += long_waiter_lines(aimed, labels, result.baseline, month)
    from sim.questions.results import rests_on_words

    if (rests := rests_on_words(result.rests_on)) is not None:
        lines.append(rests)
    if result.goal is not None:
        from sim.reports.goal_text import goal_lines

        lines += goal_lines(result.goal_capacity, labels)
    if result.costs is not None:
        from sim.reports.costs import cost_lines

        lines += cost_lines(result.costs, result.scenarios, labels)
    return lines


@app.command(rich_help_panel="Ask questions of scenarios")
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML whose lever is solved for.")],
    lever: Annotated[
        str, typer.Option("--lever", help="Dotted field, e.g. events.0.add_staff.wte or workforce.1.wte.")
    ],
    goal: Annotated[str, typer.Option("--goal", "-g", help="Goal, e.g. 'breaches<=0 by 2025-03'.")],
    out: Out,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Probability the goal must be met with.")
    ] = 0.9,
    low: Annotated[float, typer.Option("--low", help="Lowest lever value tried.")] = 0,
    high: Annotated[float, typer.Option("--high", help="Highest lever value tried.")] = 10,
    step: Annotated[float, typer.Option("--step", help="Grid step between lever values.")] = 0.5,
    reps: Reps = 100,
    seed: Seed = 0,
    workers: Workers = None,
    actuals: Actuals = None,
    no_parameter_draws: NoDraws = False,
    model_error: ModelError = None,
    no_model_error: NoModelError = False,
) -> None:
    """Find the least change to a lever that meets a goal with the given probability.

    Bisection over the grid --low, --low + --step, ... --high on common random numbers. Writes
    solve.csv (every value tried, P(goal)) and the trajectory at the answer to OUT; exit 1 if no
    value on the grid meets the goal.
    """
    from sim.api import write
    from sim.engine.sweep import as_scenarios
    from sim.questions.solve import lever_grid
    from sim.questions.solve import solve as run_solve

    errors = model_error_choice(model_error, no_model_error)
    with user_errors():
        observed = read_actuals(actuals, [s.config for s in as_scenarios([scenario])] if actuals else [])
        runs = 2 + math.ceil(math.log2(max(2, len(lever_grid(low, high, step)))))
        with output_folder(out):
            with progress_bar(reps * runs, f"solve {lever}") as advance:
                result = run_solve(
                    scenario, lever, goal, confidence, low, high, step, reps, seed, workers, advance,
                    parameter_draws=not no_parameter_draws, model_error=errors,
                )
            _record_actuals(result.manifest, actuals)
            with writing(out):
                write(result, out, observed)
    say(f"{result.sentence}\n-> {out}/solve.html, {out}/solve.csv")
    if result.value is None:
        raise typer.Exit(1)


@app.command(rich_help_panel="Ask questions of scenarios")
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML to test.")],
    vary: Annotated[
        list[str],
        typer.Option("--vary", help="field=low,high (repeat), e.g. job_plans.band6.sickness_rate=0.03,0.08."),
    ],
    out: Out,
    metric: Annotated[str, typer.Option("--metric", help="Monthly metric measured.")] = "breaches",
    month: Annotated[
        str | None, typer.Option("--month", help="Month (YYYY-MM) measured; default the goal's or the last.")
    ] = None,
    goal: Goal = None,
    reps: Reps = 100,
    seed: Seed = 0,
    workers: Workers = None,
    no_parameter_draws: NoDraws = False,
    model_error: ModelError = None,
    no_model_error: NoModelError = False,
) -> None:
    """Tornado chart and table of how a result moves with each assumption.

    The result is the median of --metric at --month, or P(goal) with --goal. Writes tornado.png,
    sensitivity.csv, summary.csv and manifest.json to OUT.
    """
    from sim.api import write
    from sim.engine.sweep import format_value
    from sim.questions.sensitivity import check_vary_count
    from sim.questions.sensitivity import sensitivity as run_sensitivity

    errors = model_error_choice(model_error, no_model_error)
    with user_errors():
        check_vary_count(len(vary))  # the API checks it too; here before --out is touched
    with user_errors(), output_folder(out):
        with progress_bar(reps * (1 + 2 * len(vary)), "sensitivity") as advance:
            result = run_sensitivity(
                scenario, vary, metric, month, goal, reps, seed, workers, advance,
                parameter_draws=not no_parameter_draws, model_error=errors,
            )
        with writing(out):
            write(result, out)
    say(f"{scenario.stem}: {result.measure}, as given {result.table['result_base'].iloc[0]:.3g}")
    for row in result.table.itertuples(index=False):
        say(
            f"  {row.field}: {format_value(row.low)} -> {row.result_low:.3g}; "
            f"{format_value(row.high)} -> {row.result_high:.3g} "
            f"(swing {row.swing:.3g})",
        )
    say(f"-> {out}/tornado.png, {out}/sensitivity.csv")
