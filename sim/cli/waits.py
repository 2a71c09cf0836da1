"""``dcsim from-waits``: a runnable service, its draws and its forecast from published waits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import Out, Seed, app, console, fail, output_folder, say, user_errors, writing

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WAITS_FIT = "Fit to published waits (--waits)"
# ``dcsim calibrate``'s options for a fit to published waits (the command is in sim.cli.fitting).
WaitsOption = Annotated[
    Path | None,
    typer.Option("--waits", help="Fit to published waits by weeks band (CHS wide CSV, CHS workbook(s) "
                 "or a band CSV) instead of --data.", rich_help_panel=WAITS_FIT),
]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", help="Organisation code or name.", rich_help_panel=WAITS_FIT)
]
ServiceOption = Annotated[
    str | None, typer.Option("--service", help="Service name or a unique part.", rich_help_panel=WAITS_FIT)
]
UpToOption = Annotated[
    str | None, typer.Option("--up-to", help="Last month fitted (YYYY-MM); nothing after it is read.",
                             rich_help_panel=WAITS_FIT)
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="Snapshot month the run starts from (YYYY-MM; default: up to "
                             "a year before --up-to).", rich_help_panel=WAITS_FIT)
]
TargetWeeksOption = Annotated[
    float, typer.Option("--target-weeks", min=1, max=104, help="Breaches over this many weeks (a band edge).",
                        rich_help_panel=WAITS_FIT)
]


@app.command("from-waits", rich_help_panel="Fit to history")
def from_waits(
    history: Annotated[
        Path, typer.Argument(help="Waits by weeks band: CHS wide CSV, CHS workbook(s), or a band CSV.")
    ],
    up_to: Annotated[str, typer.Option("--up-to", help="Last month to fit (YYYY-MM); the run starts there.")],
    out: Out,
    provider: Annotated[str | None, typer.Option("--provider", help="Organisation code or name.")] = None,
    service: Annotated[str | None, typer.Option("--service", help="Service name or a unique part.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=36, help="Months forecast.")] = 12,
    target_weeks: Annotated[
        float, typer.Option("--target-weeks", min=1, max=104, help="Target: must be a band edge.")
    ] = 18.0,
    reps: Annotated[int, typer.Option("--reps", "-n", min=2, max=2000, help="Forecast replications.")] = 100,
    seed: Seed = 0,
    config: Annotated[
        Path | None, typer.Option("--config", help="Your own service file: its staff and job plans are used.")
    ] = None,
    model_error: Annotated[
        Path | None,
        typer.Option("--model-error", help="A model-error table for the bands (default: the CHS panel's)."),
    ] = None,
    no_model_error: Annotated[
        bool, typer.Option("--no-model-error", help="Bands from the simulation's own spread alone.")
    ] = False,
    track_record: Annotated[
        int,
        typer.Option("--track-record", min=0, max=24,
                     help="Earlier months forecast the same way and scored against what followed (0: none)."),
    ] = 6,
    all_services: Annotated[
        bool,
        typer.Option("--all-services",
                     help="Every service of --provider, each in its own folder, and a portfolio of them."),
    ] = False,
) -> None:
    """Infer referrals, capacity and removals by wait from published waits; write service.yaml, a forecast."""
    from calibration.from_waits.outputs import from_waits as build
    from calibration.waits import read_waits

    if not MONTH.match(up_to):
        fail(f"--up-to: {up_to!r} is not a month as YYYY-MM")
    if model_error is not None and no_model_error:
        fail("--model-error: give a table or --no-model-error, not both")
    if model_error is not None and not model_error.is_file():
        fail(f"{model_error}: --model-error: no such file")
    if all_services:
        if service is not None or provider is None:
            fail("--all-services: give --provider and no --service")
        if config is not None:
            fail("--all-services: --config is one service's staff and job plans; fit the services one by one")
        _all_services(history, provider, up_to, out, horizon=horizon, target_weeks=target_weeks, reps=reps,
                      seed=seed, model_error=False if no_model_error else model_error,
                      track_origins=track_record)
        return
    with user_errors():
        waits = read_waits(history, provider, service)
        waits.over(target_weeks)  # refuses a target that is not a band edge, before anything is written
        with output_folder(out), writing(out):
            manifest = build(waits, up_to, out, horizon=horizon, reps=reps, seed=seed,
                             target_weeks=target_weeks, base=config,
                             model_error=False if no_model_error else model_error,
                             track_origins=track_record)
    console.print(f"service from its waits -> {out / 'service.yaml'} (fitted {manifest['fitted_months'][0]} "
                  f"to {manifest['fitted_months'][-1]}); report: {out / 'fit_report.html'}")
    for line in manifest["track_record"]["sentences"]:
        say(line)


def _all_services(history: Path, provider: str, up_to: str, out: Path, **options) -> None:
    from calibration.from_waits.provider import portfolio_from_waits, provider_services
    from sim.reports.board import month_heading

    with user_errors():
        histories = provider_services(history, provider)
        for series in histories:
            series.over(options["target_weeks"])  # a target off the band edges, before anything is written
        with output_folder(out), writing(out):
            manifest = portfolio_from_waits(histories, up_to, out, **options)
    who = manifest["provider_name"] or manifest["provider"]
    say(f"{who}: {len(manifest['services'])} services fitted from their waits up to {month_heading(up_to)}, "
        f"{len(manifest['refused'])} not fitted.")
    for fitted in manifest["services"]:
        say(f"  {fitted['service']} -> {out / fitted['folder'] / 'service.yaml'}")
    for service, reason in manifest["refused"].items():
        say(f"  not fitted: {service}: {reason}")
    console.print(f"portfolio -> {out / 'portfolio.yaml'} (run it with: dcsim run {out / 'portfolio.yaml'}); "
                  f"table: {out / 'services.csv'}")


def backtest_from_waits(history: Path, out: Path, *, provider: str | None, service: str | None,
                        origins: int | None, first: str | None, last: str | None, horizon: int,
                        fit_months: int, target_weeks: float, reps: int, seed: int,
                        model_error: Path | bool | None) -> None:
    """``dcsim backtest HISTORY`` (no --data): rolling origins of a published waiting list, scored.

    Everything that can be refused is refused before ``--out`` is touched; the files are
    published together once every origin is done.
    """
    from calibration.waits import read_waits
    from calibration.waits_backtest.outputs import lines
    from calibration.waits_backtest.panel import panel_histories
    from calibration.waits_backtest.report import write
    from calibration.waits_backtest.run import backtest_waits, check_request

    options = {"origins": origins, "first": first, "last": last, "horizon": horizon, "fit_months": fit_months,
               "target_weeks": target_weeks, "reps": reps, "model_error": model_error}
    with user_errors():
        waits = read_waits(history, provider, service)
        check_request(waits, **options)
        panel = panel_histories(history, waits)
        console.print(f"panel for conformal_carry_forward: {len(panel)} series in {history}", highlight=False)
        with output_folder(out):
            result = backtest_waits(waits, panel=panel, seed=seed, progress=lambda text: console.print(
                text, highlight=False), **options)
            with writing(out):
                write(result, out)
    for line in lines(result):
        say(line)
    say(f"scores by horizon: {out / 'scores.csv'}; every forecast: {out / 'forecasts.csv'}; "
        f"tables and charts: {out / 'report.html'}")


def calibrate_from_waits(
    history: Path,
    out: Path,
    *,
    config: Path | None,
    fit: list[str] | None,
    bounds: dict,
    log: set[str],
    targets: dict | None,
    provider: str | None,
    service: str | None,
    up_to: str | None,
    first: str | None,
    target_weeks: float,
    yaml_out: Path | None,
    **options,
) -> None:
    """``dcsim calibrate [CONFIG] --waits HISTORY``: fit to band snapshots, list size and breaches.

    Every refusal (a month, a target off the band edges, a field, a bound) comes before ``--out``
    is written; the base service, the fitted scenario and the report are published together.
    """
    from calibration.report import write_fit
    from calibration.waits import read_waits
    from calibration.waits_fit import calibrate_waits, service_text

    if up_to is None:
        fail("--up-to: required with --waits (the last month fitted, YYYY-MM)")
    for option, month in (("--up-to", up_to), ("--from", first)):
        if month is not None and not MONTH.match(month):
            fail(f"{history}: {option}: {month!r} is not a month as YYYY-MM")
    with user_errors():
        waits = read_waits(history, provider, service)
        with output_folder(out):
            result, prepared = calibrate_waits(
                waits,
                up_to,
                fit=fit,
                bounds=bounds,
                log=log,
                targets=targets,
                first=first,
                target_weeks=target_weeks,
                config=config,
                progress=console.print,
                **options,
            )
            with writing(out):
                written = write_fit(result, out, config, yaml_out, base_text=service_text(prepared))
    say(
        f"fitted scenario: {written[1] if len(written) > 1 else written[0]} "
        f"(extends {out / 'service.yaml'}); "
        f"report: {out / 'fit_report.html'} ({result.info['seconds']} s)"
    )
    for row in result.table.itertuples():
        say(f"  {row.parameter}: {row.estimate:.4g} (90% range {row.low:.4g} to {row.high:.4g})")
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False)
