"""``dcsim compare``, ``dcsim solve`` and ``dcsim sensitivity``: scenario questions side by side.

Registered on the ``dcsim`` app when ``sim.cli`` is imported. Errors in scenario files, goals,
levers and actuals are reported as ``file: field: message`` with exit code 2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from sim.api import write
from sim.cli.common import (
    Actuals,
    Out,
    Reps,
    Seed,
    Workers,
    app,
    console,
    fail,
    progress_bar,
    read_actuals,
    user_errors,
)
from sim.engine.scenario import file_hash

Goal = Annotated[
    str | None,
    typer.Option("--goal", "-g", help="Goal, e.g. 'breaches<=0 by 2025-03' or 'breaches<=50 from 2025-03'."),
]


def say(text: str) -> None:
    """Print a line as it is: scenario names like ``x[workforce.1.wte=3]`` are not rich markup."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _record_actuals(info: dict, actuals: Path | None) -> None:
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
) -> None:
    """Compare scenarios with the first (the baseline) on common random numbers.

    Writes monthly/summary/comparison tables, overlay fan charts, the board-paper table (CSV and
    xlsx), goals.csv (with --goal), manifest.json and a self-contained report.html to OUT.
    """
    from sim.engine.sweep import as_scenarios
    from sim.questions.compare import compare as run_comparison
    from sim.questions.goals import as_goal

    with user_errors():
        loaded = as_scenarios(scenarios)
        observed = read_actuals(actuals, [s.config for s in loaded])
        parsed = as_goal(goal)
        with progress_bar(reps * len(loaded), "compare") as advance:
            result = run_comparison(loaded, reps, seed, workers, parsed, progress=advance)
        _record_actuals(result.manifest, actuals)
        write(result, out, observed)
    month = parsed.month if parsed else result.comparison["month"].iloc[-1]
    rows = result.comparison[result.comparison["month"] == month].set_index("scenario")
    probabilities = result.goals.set_index("scenario")["probability"] if result.goals is not None else None
    say(f"{len(loaded)} scenarios x {reps} replications -> {out}/report.html; breaches in {month}:")
    for name in result.names:
        row = rows.loc[name]
        line = (
            f"  {name}: median {row['breaches_p50']:.0f} "
            f"(10-90%: {row['breaches_p10']:.0f}-{row['breaches_p90']:.0f})"
        )
        if name != result.baseline:
            line += f", vs baseline {row['breaches_diff_mean']:+.0f}"
        if probabilities is not None:
            line += f", P(goal) {probabilities[name]:.0%}"
        say(line)


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
) -> None:
    """Find the least change to a lever that meets a goal with the given probability.

    Bisection over the grid --low, --low + --step, ... --high on common random numbers. Writes
    solve.csv (every value tried, P(goal)) and the trajectory at the answer to OUT; exit 1 if no
    value on the grid meets the goal.
    """
    from sim.engine.sweep import as_scenarios
    from sim.questions.solve import lever_grid
    from sim.questions.solve import solve as run_solve

    with user_errors():
        observed = read_actuals(actuals, [s.config for s in as_scenarios([scenario])] if actuals else [])
        runs = 2 + math.ceil(math.log2(max(2, len(lever_grid(low, high, step)))))
        with progress_bar(reps * runs, f"solve {lever}") as advance:
            result = run_solve(
                scenario, lever, goal, confidence, low, high, step, reps, seed, workers, advance
            )
        _record_actuals(result.manifest, actuals)
        write(result, out, observed)
    say(f"{scenario.stem}: {result.message} -> {out}/solve.csv")
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
) -> None:
    """Tornado chart and table of how a result moves with each assumption.

    The result is the median of --metric at --month, or P(goal) with --goal. Writes tornado.png,
    sensitivity.csv, summary.csv and manifest.json to OUT.
    """
    from sim.engine.sweep import format_value
    from sim.questions.sensitivity import sensitivity as run_sensitivity

    if not vary:
        fail("--vary: give at least one field=low,high")
    with user_errors():
        with progress_bar(reps * (1 + 2 * len(vary)), "sensitivity") as advance:
            result = run_sensitivity(scenario, vary, metric, month, goal, reps, seed, workers, advance)
        write(result, out)
    say(f"{scenario.stem}: {result.measure}, as given {result.table['result_base'].iloc[0]:.3g}")
    for row in result.table.itertuples(index=False):
        say(
            f"  {row.field}: {format_value(row.low)} -> {row.result_low:.3g}; "
            f"{format_value(row.high)} -> {row.result_high:.3g} "
            f"(swing {row.swing:.3g})",
        )
    say(f"-> {out}/tornado.png, {out}/sensitivity.csv")
