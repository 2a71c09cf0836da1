"""``dcsim validate`` and ``dcsim run``: check scenario files and run one scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.api import run as run_scenario
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
from sim.engine.scenario import ConfigError, load_config
from sim.runs.backends import BACKENDS


@app.command(rich_help_panel="Run scenarios")
def validate(scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")]) -> None:
    """Check scenario files against the schema; report every problem as file: field: message."""
    from sim.engine.sweep import load_scenarios

    problems = []
    for path in scenarios:
        try:
            expanded = load_scenarios(path)
        except ConfigError as error:
            problems.append(str(error))
            continue
        except FileNotFoundError:
            problems.append(f"{path}: file not found")
            continue
        service = expanded[0].config.service
        sweep = f", sweep of {len(expanded)} scenarios" if len(expanded) > 1 else ""
        console.print(f"{path}: ok ({service.name}, {service.horizon_months} months{sweep})")
    if problems:
        fail("\n".join(problems))


def known_backend(name: str | None) -> str | None:
    """Checked while options are read, so a bad name stops the command before it writes anything."""
    if name is not None and name not in BACKENDS:
        fail(f"--backend {name}: unknown backend; choose one of {', '.join(BACKENDS)}")
    return name


@app.command(rich_help_panel="Run scenarios")
def run(
    scenario: Annotated[Path, typer.Argument(help="Baseline or scenario YAML.")],
    out: Out,
    reps: Reps = 100,
    seed: Seed = 0,
    workers: Workers = None,
    actuals: Actuals = None,
    backend: Annotated[
        str | None,
        typer.Option(
            help="serial, processes (default) or dask (see --scheduler).",
            callback=known_backend,  # refused before anything runs or is written
        ),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler tcp://host:port, or 'local' for a local cluster.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Reuse the batches an interrupted run saved in OUT/.batches.")
    ] = False,
    trace: Annotated[
        bool, typer.Option("--trace", help="Also write per-patient event logs to OUT/trace/ (large).")
    ] = False,
) -> None:
    """Run one scenario; write monthly.csv, summary.csv, manifest.json and charts to OUT."""
    from sim.runs.checkpoint import FOLDER, discard
    from sim.runs.runner import RunInterrupted

    options = {"backend": backend, "scheduler": scheduler, "resume": resume, "checkpoint": out / FOLDER}
    options["trace"] = out / "trace" if trace else None
    with user_errors():
        observed = read_actuals(actuals, [load_config(scenario)])
        try:
            with progress_bar(reps, scenario.stem) as advance:
                result = run_scenario(scenario, reps, seed, workers, progress=advance, **options)
        except (KeyboardInterrupt, RunInterrupted) as error:
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
            console.print(f"{reason}; finished batches are in {out / FOLDER}: rerun with --resume to go on")
            raise typer.Exit(130 if isinstance(error, KeyboardInterrupt) else 1) from None
        write(result, out, observed)
        discard(out / FOLDER)
    last = result.breaches().iloc[-1]
    console.print(
        f"{scenario.stem}: {reps} replications -> {out}/ ; breaches in {last['month']}: "
        f"median {last['breaches_p50']:.0f} (10-90%: {last['breaches_p10']:.0f}-{last['breaches_p90']:.0f})"
    )
