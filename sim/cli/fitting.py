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
from sim.cli.fit_options import parameter_list, parse_bounds, parse_priors, parse_targets
from sim.cli.waits import (
    FromOption,
    ProviderOption,
    ServiceOption,
    TargetWeeksOption,
    UpToOption,
    WaitsOption,
)

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


OptionalData = Annotated[
    Path | None,
    typer.Option("--data", "-d", help="Monthly history CSV (month, breaches, waiting, ...) for a YAML "
                 "config; leave out to backtest a waits history."),
]
OptionalFit = Annotated[
    str | None,
    typer.Option("--fit", "-f", help="With --data: comma-separated dotted fields to fit, "
                 "e.g. job_plans.band6.non_clinical_share."),
]
Data = Annotated[
    Path | None,
    typer.Option("--data", "-d", help="Monthly history CSV (month, breaches, waiting, ...); or fit to "
                 "published waits with --waits."),
]
Fit = Annotated[
    str | None,
    typer.Option("--fit", "-f", help="Comma-separated dotted fields to fit, e.g. demand.monthly_rate "
                 "(with --waits and no CONFIG, default: demand.monthly_rate,workforce.0.wte)."),
]


@app.command(rich_help_panel="Fit to history")
def calibrate(
    out: Out,
    config: Annotated[
        Path | None,
        typer.Argument(help="Baseline or scenario YAML to fit (with --waits: optional, else inferred)."),
    ] = None,
    data: Data = None,
    fit: Fit = None,
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
    waits: WaitsOption = None,
    provider: ProviderOption = None,
    service: ServiceOption = None,
    up_to: UpToOption = None,
    first: FromOption = None,
    target_weeks: TargetWeeksOption = 18.0,
) -> None:
    """Fit fields of CONFIG to a monthly history (--data) or to published waits by weeks band (--waits);
    write the fitted scenario YAML and a fit report.

    Each --bounds box is the field's prior: uniform, or log-uniform with PATH=LOW,HIGH,log. With
    --waits and no CONFIG the service is inferred from the waits and its referral rate and capacity
    are fitted unless --fit says otherwise.
    """
    from calibration.fit import fit as fit_service
    from calibration.report import write_fit

    box, logs = parse_priors(bounds)
    if waits is not None:
        from sim.cli.waits import calibrate_from_waits

        if data is not None:
            fail("--data: give --data (a monthly history) or --waits (band snapshots), not both")
        calibrate_from_waits(
            waits, out, config=config, fit=parameter_list(fit) if fit else None, bounds=box, log=logs,
            targets=parse_targets(target), provider=provider, service=service, up_to=up_to, first=first,
            target_weeks=target_weeks, reps=reps, seed=seed, draws=draws, forecast_reps=forecast_reps,
            workers=workers, yaml_out=yaml_out,
        )  # fmt: skip
        return
    given = {"--provider": provider, "--service": service, "--up-to": up_to, "--from": first}
    for name, value in given.items():
        if value is not None:
            fail(f"{name}: only with --waits (a published waits history)")
    if config is None or data is None or fit is None:
        missing = "CONFIG" if config is None else "--data" if data is None else "--fit"
        fail(f"{missing}: required (or fit to published waits with --waits)")
    with user_errors(), output_folder(out):
        result = fit_service(
            config, data, parameter_list(fit), reps, seed, box,
            targets=parse_targets(target), draws=draws, forecast_reps=forecast_reps, workers=workers,
            progress=console.print, log=logs,
        )  # fmt: skip
        with writing(out):
            written = write_fit(result, out, config, yaml_out)
    say(f"fitted scenario: {written[0]}; report: {out / 'fit_report.html'} ({result.info['seconds']} s)")
    for row in result.table.itertuples():
        say(f"  {row.parameter}: {row.estimate:.4g} (90% range {row.low:.4g} to {row.high:.4g})")
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False)


WAITS = "Waits history (no --data)"


@app.command(rich_help_panel="Fit to history")
def backtest(
    config: Annotated[
        Path, typer.Argument(help="Baseline or scenario YAML to fit (with --data), or a waits history: "
                             "CHS wide CSV, CHS workbook(s) or a band CSV (without --data).")
    ],
    out: Out,
    data: OptionalData = None,
    fit: OptionalFit = None,
    train_months: Annotated[
        int | None,
        typer.Option("--train-months", "-k", min=1,
                     help="With --data: fit on this many first months; test on the rest."),
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option("--reps", "-n", callback=within(FIT_REPS),
                     help=f"With --data: replications per objective evaluation (default 8); for waits: "
                     f"forecast replications per origin (default 40) ({FIT_REPS.text})."),
    ] = None,
    seed: Seed = 0,
    bounds: Bounds = None,
    target: Targets = None,
    draws: Annotated[
        int | None,
        typer.Option("--draws", callback=within(DRAWS),
                     help="With --data: single-replication draws for the ranges "
                     f"(default 600; {DRAWS.text})."),
    ] = None,
    forecast_reps: Annotated[
        int | None,
        typer.Option("--forecast-reps", callback=within(FORECAST_REPS),
                     help="With --data: replications of the forecast fan "
                     f"(default 100; {FORECAST_REPS.text})."),
    ] = None,
    workers: Workers = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon",
            callback=within(BACKTEST_HORIZON),
            help=f"Months forecast from each origin (default 3 with --data, 6 for waits, at most 6 there; "
            f"{BACKTEST_HORIZON.text}).",
        ),
    ] = None,
    origins: Annotated[
        int | None,
        typer.Option(
            "--origins",
            callback=within(ORIGINS),
            help=f"At most this many rolling origins, the latest (default: all the data allow with --data; "
            f"6 for waits unless --from/--to; {ORIGINS.text}).",
        ),
    ] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Organisation code or name.",
                                                 rich_help_panel=WAITS)] = None,
    service: Annotated[str | None, typer.Option("--service", help="Service name or a unique part.",
                                                rich_help_panel=WAITS)] = None,
    first: Annotated[str | None, typer.Option("--from", help="First origin (YYYY-MM).",
                                              rich_help_panel=WAITS)] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last origin (YYYY-MM).",
                                             rich_help_panel=WAITS)] = None,
    fit_months: Annotated[
        int | None, typer.Option("--fit-months", help="Fit on at most this many months up to each origin "
                                 "(3-12, default 6).", rich_help_panel=WAITS)
    ] = None,
    target_weeks: Annotated[
        float | None, typer.Option("--target-weeks", help="Breaches over this many weeks (a band edge; "
                                   "default 18).", rich_help_panel=WAITS)
    ] = None,
    model_error: Annotated[
        Path | None, typer.Option("--model-error", help="Model-error table for dcsim's band "
                                  "(default: the CHS panel's).", rich_help_panel=WAITS)
    ] = None,
    no_model_error: Annotated[
        bool, typer.Option("--no-model-error", help="dcsim's band from the simulation alone.",
                           rich_help_panel=WAITS)
    ] = False,
) -> None:
    """Roll forecasts over a history and score them beside naive forecasts.

    With --data (a YAML config and its monthly history): fit on the first K months, forecast the
    next ones, roll on a month; only the --target series are scored, beside carry-forward, drift
    and seasonal naive. Without --data (a published waits history, e.g. the CHS wide CSV with
    --provider and --service): at each origin fit from the waits on the months up to it, forecast
    1-6 months, and score the list, breaches at the target and over 52 weeks for dcsim,
    carry-forward, drift, seasonal naive, random walk, conformal carry-forward and the
    compartmental flow model; writes scores.csv and forecasts.csv.
    """
    waits_options = {"--provider": provider, "--service": service, "--from": first, "--to": last,
                     "--fit-months": fit_months, "--target-weeks": target_weeks, "--model-error": model_error,
                     "--no-model-error": no_model_error or None}
    if data is None:
        if config.suffix.lower() in (".yaml", ".yml"):
            fail(f"{config}: --data: give the monthly history CSV to backtest a YAML config "
                 "(or give a waits history, without --data)")
        fit_options = {"--fit": fit, "--train-months": train_months, "--bounds": bounds, "--target": target,
                       "--draws": draws, "--forecast-reps": forecast_reps, "--workers": workers}
        given = [name for name, value in fit_options.items() if value is not None]
        if given:
            fail(f"{config}: {given[0]}: only with --data (a YAML config); a waits history takes "
                 "--provider, --service, --origins, --from, --to, --horizon, --fit-months, --target-weeks, "
                 "--reps, --seed")
        from sim.cli.common import model_error_choice
        from sim.cli.waits import MONTH, backtest_from_waits

        for option, month in (("--from", first), ("--to", last)):
            if month is not None and not MONTH.match(month):
                fail(f"{config}: {option}: {month!r} is not a month as YYYY-MM")
        backtest_from_waits(
            config, out, provider=provider, service=service, origins=origins, first=first, last=last,
            horizon=6 if horizon is None else horizon, fit_months=6 if fit_months is None else fit_months,
            target_weeks=18.0 if target_weeks is None else target_weeks, reps=40 if reps is None else reps,
            seed=seed, model_error=model_error_choice(model_error, no_model_error),
        )
        return
    given = [name for name, value in waits_options.items() if value is not None]
    if given:
        fail(f"{given[0]}: only for a waits history (without --data)")
    if fit is None or train_months is None:
        fail(f"{config}: {'--fit' if fit is None else '--train-months'}: required with --data")
    _backtest_config(config, data, fit, train_months, out, 8 if reps is None else reps, seed, bounds,
                     target, 600 if draws is None else draws,
                     100 if forecast_reps is None else forecast_reps, workers,
                     3 if horizon is None else horizon, origins)


def _backtest_config(config, data, fit, train_months, out, reps, seed, bounds, target, draws, forecast_reps,
                     workers, horizon, origins) -> None:
    """The config form: fit fields of a YAML config on the first K months, forecast, roll on."""
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
