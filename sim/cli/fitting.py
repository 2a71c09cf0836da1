"""``dcsim calibrate`` and ``dcsim backtest``: fit a service to its history and test the forecast.

Registered on the ``dcsim`` app by importing this module. Bad input (a parameter that does not
exist, bounds the schema forbids, history months outside the simulated horizon, a bad data
row) is reported as ``file: field: message`` with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import Out, Seed, Workers, app, console, fail, output_folder, user_errors, writing

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
FitReps = Annotated[int, typer.Option("--reps", "-n", min=2, help="Replications per objective evaluation.")]
Draws = Annotated[int, typer.Option("--draws", min=20, help="Single-replication draws for the ranges (ABC).")]
ForecastReps = Annotated[
    int, typer.Option("--forecast-reps", min=10, help="Replications of the forecast fan.")
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

    with user_errors(), output_folder(out):
        result = fit_service(
            config, data, parameter_list(fit), reps, seed, parse_bounds(bounds),
            targets=parse_targets(target), draws=draws, forecast_reps=forecast_reps, workers=workers,
            progress=console.print,
        )  # fmt: skip
        with writing(out):
            written = result.write(out, config, yaml_out)
    console.print(
        f"fitted scenario: {written[0]}; report: {out / 'fit_report.html'} ({result.info['seconds']} s)"
    )
    for row in result.table.itertuples():
        console.print(f"  {row.parameter}: {row.estimate:.4g} (90% range {row.low:.4g} to {row.high:.4g})")
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
) -> None:
    """Fit on the first K months of the history, forecast the rest; report MAE, bias and coverage."""
    from calibration.backtest import backtest as run_backtest

    with user_errors(), output_folder(out):
        result = run_backtest(
            config, data, parameter_list(fit), train_months, reps, seed, parse_bounds(bounds),
            targets=parse_targets(target), draws=draws, forecast_reps=forecast_reps, workers=workers,
            progress=console.print,
        )  # fmt: skip
        with writing(out):
            result.write(out, config)
    console.print(
        f"backtest: fitted on {len(result.train_months)} months, "
        f"tested on {len(result.test_months)} -> {out}/"
    )
    for row in result.scores.itertuples():
        console.print(
            f"  {row.series}: {row.months} held-out months, MAE {row.mae:.1f}, bias {row.bias:+.1f}, "
            f"80% band coverage {row.coverage_80:.0%}"
        )
