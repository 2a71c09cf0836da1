"""What every ``dcsim`` subcommand shares: the app, its options, errors and progress bars.

Bad input (a YAML field, a data row) is reported as ``file: field: message`` on standard
error with exit code 2 and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="dcsim: simulate a waiting list month by month and compare scenarios for board papers.",
)
console = Console(stderr=True, soft_wrap=True)

MAX_REPS = 10_000  # each replication keeps a row per month in memory
Reps = Annotated[
    int, typer.Option("--reps", "-n", min=1, max=MAX_REPS, help="Replications (more = tighter bands).")
]
Seed = Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed: same seed, same numbers.")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs (created if missing).")]
Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, max=256, help="Parallel processes (default: one per core)."),
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


def read_actuals(path: Path | None, configs: Iterable[ServiceConfig] = ()):
    """The actuals table, refused early when none of its months is simulated by ``configs``."""
    if path is None:
        return None
    from calibration.data import read_monthly
    from sim.api import check_actuals
    from sim.engine.calendar import calendar_for

    table = read_monthly(path)
    check_actuals(table, {m for c in configs for m in calendar_for(c.service).month_labels}, str(path))
    return table
