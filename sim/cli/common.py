"""What every ``dcsim`` subcommand shares: the app, its options, errors and progress bars.

Bad input (a YAML field, a data row) is reported as ``file: field: message`` on standard
error with exit code 2 and no traceback.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.engine.scenario import ConfigError
from sim.runs.outfolder import OutputFolder

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


def fail(message: str, code: int = 2) -> None:
    """Print an error and exit ``code`` (2: bad input; 1: the run failed, e.g. a full disk)."""
    console.print(f"[red]error[/red]: {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn invalid-input exceptions into a one-line message and exit code 2."""
    try:
        yield
    except ConfigError as error:
        fail(str(error))
    except FileNotFoundError as error:
        fail(f"{error.filename}: file not found")


class Terminated(KeyboardInterrupt):
    """SIGTERM: the command stops as on Ctrl-C (workers ended, finished batches kept)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


@contextmanager
def output_folder(out: Path) -> Iterator[OutputFolder]:
    """The checked and locked ``--out`` folder (enter once the inputs are known good).

    Inside it SIGTERM stops the command the way Ctrl-C does, so that a terminated run ends
    its workers and keeps its finished batches instead of vanishing mid-write.
    """
    from sim.runs.staging import recover, remove_temporaries

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        with OutputFolder(out) as folder:
            with writing(out):
                recover(out)  # finish publishing that a killed command left half done
                remove_temporaries(out)  # with the lock held, no writer of ours is at work here
            yield folder
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def writing(out: Path, note: str = "") -> Iterator[None]:
    """An I/O failure while writing into ``--out`` (a full disk, say): one line, exit 1."""
    try:
        yield
    except OSError as error:
        where = error.filename or out
        fail(f"--out: {where}: {error.strerror or error}{note}", code=1)


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
