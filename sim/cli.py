"""The ``dcsim`` command line: validate and run service scenarios.

Bad input (a YAML field, a data row) is reported as ``file: field: message`` on standard
error with exit code 2 and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.scenario import ConfigError, load_config

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="dcsim: simulate a waiting list month by month and compare scenarios for board papers.",
)
console = Console(stderr=True, soft_wrap=True)

Reps = Annotated[int, typer.Option("--reps", "-n", min=1, help="Replications (more = tighter bands).")]
Seed = Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed: same seed, same numbers.")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs (created if missing).")]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Parallel processes (default: one per core).")
]
Actuals = Annotated[
    Path | None, typer.Option("--actuals", help="CSV of reported figures (month, breaches, ...) to overlay.")
]


def fail(message: str) -> None:
    """Print a user error and exit 2."""
    console.print(f"[red]error[/red]: {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn invalid-input exceptions into a one-line message and exit code 2."""
    try:
        yield
    except ConfigError as error:
        fail(str(error))
    except FileNotFoundError as error:
        fail(f"{error.filename}: file not found")


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over replications; silent when standard error is not a terminal."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.advance(task, done)


def read_actuals(path: Path | None):
    if path is None:
        return None
    from calibration.data import read_monthly

    return read_monthly(path)


@app.command()
def validate(scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")]) -> None:
    """Check scenario files against the schema; report every problem as file: field: message."""
    from sim.sweep import load_scenarios

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


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Baseline or scenario YAML.")],
    out: Out,
    reps: Reps = 100,
    seed: Seed = 0,
    workers: Workers = None,
    actuals: Actuals = None,
    backend: Annotated[
        str | None, typer.Option(help="serial, processes (default) or dask (see --scheduler).")
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
    from sim.api import run as run_scenario
    from sim.checkpoint import FOLDER, discard
    from sim.runner import RunInterrupted

    options = {"backend": backend, "scheduler": scheduler, "resume": resume, "checkpoint": out / FOLDER}
    options["trace"] = out / "trace" if trace else None
    with user_errors():
        observed = read_actuals(actuals)
        load_config(scenario)
        try:
            with progress_bar(reps, scenario.stem) as advance:
                result = run_scenario(scenario, reps, seed, workers, progress=advance, **options)
        except (KeyboardInterrupt, RunInterrupted) as error:
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
            console.print(f"{reason}; finished batches are in {out / FOLDER}: rerun with --resume to go on")
            raise typer.Exit(130 if isinstance(error, KeyboardInterrupt) else 1) from None
        result.write(out, observed)
        discard(out / FOLDER)
    last = result.breaches().iloc[-1]
    console.print(
        f"{scenario.stem}: {reps} replications -> {out}/ ; breaches in {last['month']}: "
        f"median {last['breaches_p50']:.0f} (10-90%: {last['breaches_p10']:.0f}-{last['breaches_p90']:.0f})"
    )


def main() -> None:  # pragma: no cover - console entry
    app()


# Registers calibrate and backtest; compare, solve and sensitivity; app.
from sim import cli_app, cli_calibration, cli_scenarios  # noqa: E402,F401
