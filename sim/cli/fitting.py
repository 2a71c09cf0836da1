"""``dcsim calibrate``, ``backtest`` and ``estimate``: fit a service to its history, test the
forecast, and estimate baseline inputs from a patient-level extract.

Registered on the ``dcsim`` app by importing this module. Bad input (a parameter that does not
exist, bounds the schema forbids, history months outside the simulated horizon, a bad data
row) is reported as ``file: field: message`` with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calibration.limits import BACKTEST_HORIZON, DRAWS, FIT_REPS, FORECAST_REPS, ORIGINS
from sim.cli.common import (
    Out,
    Seed,
    Workers,
    app,
    console,
    fail,
    output_folder,
    say,
    user_errors,
    within,
    writing,
)

Data = Annotated[
    Path, typer.Option("--data", "-d", help="Monthly history CSV (month, breaches, waiting, ...).")
]
Fit = Annotated[
    str,
    typer.Option(
        "--fit", "-f", help="Comma-separated dotted fields to fit, e.g. job_plans.band6.non_clinical_share."
    ),
]
Bounds = Annotated[
    list[str] | None,
    typer.Option("--bounds", "-b", help="Search box of a fitted field as PATH=LOW,HIGH (repeatable)."),
]
Targets = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="Fit a model metric to a history column, METRIC=COLUMN (e.g. breaches=projected_breaches); "
        "repeatable. Default: every one of breaches, waiting, referrals, first_contacts the file has.",
    ),
]
# The bounds and their reasons are in calibration.limits, which the Python API checks too.
FitReps = Annotated[
    int,
    typer.Option(
        "--reps",
        "-n",
        callback=within(FIT_REPS),
        help=f"Replications per objective evaluation ({FIT_REPS.text}).",
    ),
]
Draws = Annotated[
    int,
    typer.Option(
        "--draws",
        callback=within(DRAWS),
        help=f"Single-replication draws for the ranges (ABC; {DRAWS.text}).",
    ),
]
ForecastReps = Annotated[
    int,
    typer.Option(
        "--forecast-reps",
        callback=within(FORECAST_REPS),
        help=f"Replications of the forecast fan ({FORECAST_REPS.text}).",
    ),
]


def parse_bounds(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """``PATH=LOW,HIGH`` options as a mapping; a malformed one is a user error."""
    bounds = {}
    for item in items or []:
        path, _, pair = item.partition("=")
        parts = pair.split(",")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            fail(f"--bounds {item}: expected PATH=LOW,HIGH with two numbers")
        bounds[path.strip()] = (low, high)
    return bounds


def parse_targets(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    targets = {}
    for item in items:
        metric, _, column = item.partition("=")
        if not metric.strip() or not column.strip():
            fail(f"--target {item}: expected METRIC=COLUMN, e.g. breaches=projected_breaches")
        targets[metric.strip()] = column.strip()
    return targets


def parameter_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


@app.command(rich_help_panel="Fit to history")
def calibrate(
    config: Annotated[Path, typer.Argument(help="Baseline or scenario YAML to fit.")],
    data: Data,
    fit: Fit,
    out: Out,
    reps: FitReps = 8,
    seed: Seed = 0,
    bounds: Bounds = None,
    target: Targets = None,
    draws: Draws = 600,
    forecast_reps: ForecastReps = 100,
    workers: Workers = None,
    yaml_out: Annotated[
        Path | None,
        typer.Option("--yaml", help="Where to write the fitted scenario (default OUT/calibrated.yaml)."),
    ] = None,
) -> None:
    """Fit fields of CONFIG to a monthly history; write the fitted scenario YAML and a fit report."""
    from calibration.fit import fit as fit_service
    from calibration.report import write_fit

    with user_errors(), output_folder(out):
        result = fit_service(
            config, data, parameter_list(fit), reps, seed, parse_bounds(bounds),
            targets=parse_targets(target), draws=draws, forecast_reps=forecast_reps, workers=workers,
            progress=console.print,
        )  # fmt: skip
        with writing(out):
            written = write_fit(result, out, config, yaml_out)
    say(f"fitted scenario: {written[0]}; report: {out / 'fit_report.html'} ({result.info['seconds']} s)")
    for row in result.table.itertuples():
        say(f"  {row.parameter}: {row.estimate:.4g} (90% range {row.low:.4g} to {row.high:.4g})")
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False)


@app.command(rich_help_panel="Fit to history")
def backtest(
    config: Annotated[Path, typer.Argument(help="Baseline or scenario YAML to fit.")],
    data: Data,
    fit: Fit,
    train_months: Annotated[
        int,
        typer.Option("--train-months", "-k", min=1, help="Fit on this many first months; test on the rest."),
    ],
    out: Out,
    reps: FitReps = 8,
    seed: Seed = 0,
    bounds: Bounds = None,
    target: Targets = None,
    draws: Draws = 600,
    forecast_reps: ForecastReps = 100,
    workers: Workers = None,
    horizon: Annotated[
        int,
        typer.Option(
            "--horizon",
            callback=within(BACKTEST_HORIZON),
            help=f"Months forecast from each origin ({BACKTEST_HORIZON.text}).",
        ),
    ] = 3,
    origins: Annotated[
        int | None,
        typer.Option(
            "--origins",
            callback=within(ORIGINS),
            help=f"At most this many rolling origins (default: all the data allow; {ORIGINS.text}).",
        ),
    ] = None,
) -> None:
    """Fit on the first K months, forecast the next ones, roll on a month; score beside naive forecasts.

    Only the --target series are scored: 50% and 80% coverage, band width, interval score,
    MAE and bias of the median, for the model and for carry-forward, drift and seasonal naive.
    """
    from calibration.backtest import backtest as run_backtest
    from calibration.backtest_report import summary_lines, write_backtest

    with user_errors(), output_folder(out):
        result = run_backtest(
            config, data, parameter_list(fit), train_months, reps, seed, parse_bounds(bounds),
            targets=parse_targets(target), horizon=horizon, origins=origins, draws=draws,
            forecast_reps=forecast_reps, workers=workers, progress=console.print,
        )  # fmt: skip
        with writing(out):
            write_backtest(result, out, config)
    for line in summary_lines(result):
        say(line)
    say(f"scores: {out / 'backtest_scores.csv'}; report: {out / 'backtest_report.html'}")


def _listed(text: str | None) -> list[str] | None:
    return [p.strip().lower() for p in text.split(",") if p.strip()] if text else None


@app.command(rich_help_panel="Fit to history")
def estimate(
    extract: Annotated[Path, typer.Argument(help="Patient-level extract CSV, one row per referral.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The YAML fragment to write.")],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Baseline YAML: priority order (demand.priorities, first booked first), pathway names, "
            "RTT target and appointment types.",
        ),
    ] = None,
    priorities: Annotated[
        str | None,
        typer.Option("--priorities", help="Booking order, most urgent first, e.g. urgent,routine."),
    ] = None,
    pathways: Annotated[
        str | None, typer.Option("--pathways", help="Pathway names (default: from --config, else as seen).")
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            help="Snapshot date YYYY-MM-DD (default: the 1st of the month after the last referral).",
        ),
    ] = None,
    target_weeks: Annotated[
        float | None,
        typer.Option("--target-weeks", help="RTT target in weeks (default: --config's, else 14)."),
    ] = None,
) -> None:
    """Estimate a baseline's inputs from a patient-level extract; write them as a YAML fragment."""
    from calibration.estimate import estimate_file
    from sim.runs.files import write_text

    with user_errors():
        text, report = estimate_file(
            extract, config, _listed(priorities), _listed(pathways), snapshot, target_weeks
        )
        write_text(text, out)
    say(report.summary())
    say(f"fragment: {out}")
