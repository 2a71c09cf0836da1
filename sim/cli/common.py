"""What every ``dcsim`` subcommand shares: the app, its options, errors and progress bars.

Bad input (a YAML field, a data row) is reported as ``file: field: message`` on standard
error with exit code 2 and no traceback. A command's answer goes to standard output; progress
and warnings to standard error.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.engine.input_files import ConfigError
from sim.runs.limits import CANDIDATES, REPS, SEED, WORKERS, Bound
from sim.runs.outfolder import OutputFolder

if TYPE_CHECKING:  # the schema (pydantic, numpy) is loaded by the commands that read a file
    from sim.engine.config import ServiceConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="dcsim: simulate a waiting list month by month and compare scenarios for board papers.",
)
# Answers (the sentences, the numbers) go to standard output, so that ``dcsim compare ... > answer.txt``
# keeps them; progress, warnings and errors to standard error.
console = Console(stderr=True, soft_wrap=True)
answers = Console(soft_wrap=True)


def say(text: str) -> None:
    """Print one line of the answer to standard output, as it is (scenario names like
    ``x[workforce.1.wte=3]`` are not rich markup)."""
    answers.print(text, markup=False, highlight=False, soft_wrap=True)


def within(bound: Bound) -> Callable[[int | None], int | None]:
    """A typer callback refusing a value outside ``bound`` while options are read, with the
    Python API's message and reason (one line, exit 2) rather than after ``--out`` is taken."""

    def check(value: int | None) -> int | None:
        if value is not None:
            try:
                bound.check(value)
            except ConfigError as error:
                fail(str(error))
        return value

    return check


# The bounds and their reasons are in sim.runs.limits, which the Python API checks too.
Reps = Annotated[
    int,
    typer.Option(
        "--reps", "-n", callback=within(REPS), help=f"Replications (more = tighter bands; {REPS.text})."
    ),
]
Seed = Annotated[
    int, typer.Option("--seed", "-s", callback=within(SEED), help="Seed: same seed, same numbers.")
]
Out = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs (created if missing).")]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        callback=within(WORKERS),
        help=f"Parallel processes (default: one per core; {WORKERS.text}).",
    ),
]
Actuals = Annotated[
    Path | None, typer.Option("--actuals", help="CSV of reported figures (month, breaches, ...) to overlay.")
]

Observed = Annotated[
    Path | None,
    typer.Option(
        "--observed",
        help="CSV of reported months (month, breaches, waiting, referrals, first_contacts, band_<a>_<b>): "
        "condition the forecast on them.",
    ),
]
Dispersion = Annotated[
    str,
    typer.Option(
        "--dispersion",
        help="With --observed: negative binomial size k of the observation noise (Var = m + m^2/k; "
        "'inf' = Poisson), or 'auto' to estimate it.",
    ),
]
Candidates = Annotated[
    int | None,
    typer.Option(
        "--candidates",
        callback=within(CANDIDATES),
        help=f"With --observed: replications run to resample from (default 5 x --reps; {CANDIDATES.text}).",
    ),
]
NoDraws = Annotated[
    bool,
    typer.Option("--no-parameter-draws", help="Run the scenario's own values, not its parameter_draws file."),
]
ModelError = Annotated[
    Path | None,
    typer.Option("--model-error", help="Model-error table for P(goal) (default: the CHS panel's, "
                 "calibration/from_waits/model_error_chs.csv)."),
]
NoModelError = Annotated[
    bool, typer.Option("--no-model-error", help="P(goal) from the simulation's own futures alone.")
]


def model_error_choice(table: Path | None, off: bool) -> Path | bool | None:
    """What ``--model-error``/``--no-model-error`` ask for: a table, the shipped one (None) or none."""
    if table is not None and off:
        fail("--model-error: give a table or --no-model-error, not both")
    if table is not None and not table.is_file():
        fail(f"{table}: --model-error: no such file")
    return False if off else table


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


def conditioning_settings(dispersion: str, candidates: int | None):
    """``--dispersion`` and ``--candidates`` as conditioning settings."""
    from sim.runs.conditioning import Settings

    text = dispersion.strip().lower()
    if text == "auto":
        return Settings(None, candidates)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ConfigError(f"--dispersion: {dispersion!r}: give a number above 0, 'inf' or 'auto'")
    return Settings(value, candidates)


@contextmanager
def shown_warnings() -> Iterator[None]:
    """Warnings about a run's reliability (a low effective sample size, a model that misses the
    reported figures) as one plain line each."""
    import warnings

    from sim.runs.conditioning import ConditioningWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConditioningWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, ConditioningWarning):
            console.print(f"[yellow]warning[/yellow]: {escape(str(warning.message))}", highlight=False)
        else:  # anything else as Python would have shown it
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)


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


def overdue_words(row) -> str:
    """The follow-up caseload in words, from a summary row: overdue count and weeks past due."""
    return (
        f"follow-ups overdue: median {row['followup_overdue_p50']:.0f} "
        f"(10-90%: {row['followup_overdue_p10']:.0f}-{row['followup_overdue_p90']:.0f}), "
        f"median {row['followup_overdue_p50_weeks_p50']:.1f} weeks past due"
    )
