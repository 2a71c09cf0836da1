"""``dcsim validate`` and ``dcsim run``: check scenario files and run one scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    Actuals,
    Candidates,
    Dispersion,
    ModelError,
    NoDraws,
    NoModelError,
    Observed,
    Out,
    Reps,
    Seed,
    Terminated,
    Workers,
    app,
    conditioning_settings,
    console,
    fail,
    model_error_choice,
    output_folder,
    overdue_words,
    progress_bar,
    read_actuals,
    say,
    shown_warnings,
    user_errors,
    writing,
)
from sim.engine.input_files import ConfigError
from sim.runs.backends import BACKENDS


@app.command(rich_help_panel="Run scenarios")
def validate(scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")]) -> None:
    """Check scenario files against the schema; report every problem as file: field: message."""
    from sim.engine.portfolio import is_portfolio, load_portfolio
    from sim.engine.sweep import load_scenarios
    from sim.runs.parameter_draws import draws_in_use

    problems = []
    for path in scenarios:
        if is_portfolio(path):
            try:
                portfolio = load_portfolio(path)
            except ConfigError as error:
                problems.append(str(error))
                continue
            say(f"{path}: ok (portfolio of {len(portfolio.services)} services)")
            continue
        try:
            expanded = load_scenarios(path)
        except ConfigError as error:
            problems.append(str(error))
            continue
        except FileNotFoundError:
            problems.append(f"{path}: file not found")
            continue
        try:
            drawn = [draws_in_use(item.config, True, str(path))[0] for item in expanded]
        except ConfigError as error:
            problems.append(str(error))
            continue
        service = expanded[0].config.service
        sweep = f", sweep of {len(expanded)} scenarios" if len(expanded) > 1 else ""
        draws = f", {len(drawn[0].values)} parameter draws" if drawn[0] is not None else ""
        say(f"{path}: ok ({service.name}, {service.horizon_months} months{sweep}{draws})")
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
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Discard the batches an interrupted run saved; start again.")
    ] = False,
    trace: Annotated[
        bool, typer.Option("--trace", help="Also write per-patient event logs to OUT/trace/ (large).")
    ] = False,
    observed: Observed = None,
    dispersion: Dispersion = "auto",
    candidates: Candidates = None,
    no_parameter_draws: NoDraws = False,
    model_error: ModelError = None,
    no_model_error: NoModelError = False,
) -> None:
    """Run one scenario (or a portfolio file: each service and the total); write monthly.csv, summary.csv,
    manifest.json and charts to OUT.

    The outputs appear together when the run is complete. An interrupted run keeps its finished
    batches in OUT/.batches: --resume goes on from them, --fresh discards them.
    """
    from sim.engine.portfolio import is_portfolio

    if is_portfolio(scenario):
        from sim.cli.portfolio import run_portfolio_command

        unsupported = {"--actuals": actuals, "--resume": resume, "--fresh": fresh, "--trace": trace,
                       "--observed": observed, "--candidates": candidates}
        options = {"backend": backend, "scheduler": scheduler, "parameter_draws": not no_parameter_draws,
                   "model_error": model_error_choice(model_error, no_model_error)}
        run_portfolio_command(scenario, out, reps, seed, workers, unsupported, **options)
        return
    from sim.api import run as run_scenario
    from sim.api import write
    from sim.engine.scenario import load_config
    from sim.questions.compare import error_table
    from sim.runs.backends import make_backend
    from sim.runs.checkpoint import FOLDER, TRACE_FOLDER, describe_saved, discard
    from sim.runs.runner import RunInterrupted
    from sim.runs.staging import remove_temporaries

    if resume and fresh:
        fail("--resume, --fresh: choose one (go on from the saved batches, or discard them)")
    errors = model_error_choice(model_error, no_model_error)
    batches = out / FOLDER
    traces = batches / TRACE_FOLDER  # published to OUT/trace with the other outputs
    options = {"backend": backend, "scheduler": scheduler, "resume": resume, "checkpoint": batches}
    options["trace"] = traces if trace else None
    options["parameter_draws"] = not no_parameter_draws
    kept = f"; finished batches are kept in {batches}: rerun with --resume to go on"
    with user_errors(), shown_warnings():
        error_table(errors)  # a bad table is refused before anything runs
        shown = read_actuals(actuals or observed, [load_config(scenario)])  # observed drawn as points too
        settings = conditioning_settings(dispersion, candidates)
        if observed is not None:
            options.update(observed=observed, conditioning=settings)
        total = settings.candidate_count(reps) if observed is not None else reps
        make_backend(backend, workers, scheduler)  # a bad name is refused before anything is written
        with output_folder(out):
            saved = describe_saved(batches)
            if saved and not (resume or fresh):  # never delete finished work unasked
                fail(
                    f"--out: {out}: holds an unfinished run ({saved}); add --resume to finish it, "
                    "or --fresh to discard it and start again, or choose another --out"
                )
            try:
                with writing(out, kept), progress_bar(total, scenario.stem) as advance:
                    result = run_scenario(scenario, reps, seed, workers, progress=advance,
                                          model_error=errors, **options)
            except (KeyboardInterrupt, RunInterrupted) as error:
                raise typer.Exit(stopped(error, out, kept)) from None
            if trace:
                result.manifest["trace"] = str(out / TRACE_FOLDER)
            with writing(out, kept):
                write(result, out, shown, adopt={TRACE_FOLDER: traces} if trace else None)
                discard(batches)
                remove_temporaries(out)
    config = load_config(scenario)
    for line in run_lines(result, config.title or scenario.stem, config.service.rtt_target_weeks, out):
        say(line)


def run_lines(result, label: str, target: float, out: Path) -> list[str]:
    """The answer in words: the last month's breaches, with the band including the model's
    real-world error beside the simulation's own and model error's share of its width (the
    sentence compare's board notes give, from ``reports.error_bands``)."""
    from sim.reports.board import count_text, low_high, month_heading
    from sim.reports.error_bands import band_note, error_bands

    summary = result.summary
    last = summary.iloc[-1]
    shown = error_bands(summary, result.manifest)
    wide = ""
    if shown is not None:
        low, high = (count_text(last[c]) for c in low_high("breaches"))
        wide = f"; {low}-{high} with the model's real-world error"
    reps = result.manifest.get("replications")
    return [
        f"{label}: {reps} replications -> {out}/",
        f"At the end of {month_heading(last['month'])}: {count_text(last['breaches_p50'])} waiting over "
        f"{target:g} weeks (median; middle 80% of simulated futures: {count_text(last['breaches_p10'])}-"
        f"{count_text(last['breaches_p90'])}{wide}); {overdue_words(last)}",
        band_note(summary, result.manifest, str(last["scenario"]), str(last["month"]), label=label,
                  rows=False),
    ]


def stopped(error: BaseException, out: Path, kept: str) -> int:
    """Say why a run stopped and what is kept; the exit code (130 Ctrl-C, 143 SIGTERM, 1 lost worker)."""
    from sim.runs.staging import published

    reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
    older = "; the outputs beside them are still the last complete run's" if published(out) else ""
    console.print(f"{reason}{kept}{older}", markup=False, highlight=False)
    if isinstance(error, Terminated):
        return 143
    return 130 if isinstance(error, KeyboardInterrupt) else 1
