"""``dcsim run PORTFOLIO.yaml``: every service of a portfolio file, the total and the roll-up tables;
``dcsim compare BASE.yaml SCENARIO.yaml ...`` on portfolio files: the scenarios paired with the base."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import fail, output_folder, progress_bar, say, shown_warnings, user_errors, writing


def refuse_unsupported(path: Path, unsupported: dict[str, object], command: str) -> None:
    """Options a portfolio does not take yet are refused, never ignored."""
    given = [name for name, value in unsupported.items() if value not in (None, False, "auto")]
    if given:
        fail(f"{path}: {', '.join(given)}: not available for a portfolio {command} yet")


def run_portfolio_command(
    path: Path,
    out: Path,
    reps: int,
    seed: int,
    workers: int | None,
    unsupported: dict[str, object],
    **options,
) -> None:
    """Run a portfolio and write its files; the answer (the total and the league) on standard output."""
    given = [name for name, value in unsupported.items() if value not in (None, False, "auto")]
    if given:
        fail(f"{path}: {', '.join(given)}: not available for a portfolio yet; run its services one by one")
    from sim.api import run_portfolio, write
    from sim.engine.portfolio import load_portfolio
    from sim.reports.portfolio import league_table
    from sim.reports.portfolio_report import portfolio_lines
    from sim.runs.backends import make_backend
    from sim.runs.runner import RunInterrupted

    with user_errors(), shown_warnings():
        portfolio = load_portfolio(path)
        make_backend(options.get("backend"), workers, options.get("scheduler"))  # refused before writing
        if options.get("model_error") is not None:
            from sim.questions.compare import error_table

            error_table(options["model_error"])  # a bad table is refused before anything runs
        with output_folder(out):
            try:
                total = reps * len(portfolio.services)
                with writing(out), progress_bar(total, path.stem) as advance:
                    result = run_portfolio(portfolio, reps, seed, workers, progress=advance, **options)
            except (KeyboardInterrupt, RunInterrupted) as error:
                reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
                fail(f"{reason}; nothing was written to {out}", code=130 if reason == "interrupted" else 1)
            with writing(out):
                write(result, out)
    say(f"{portfolio.title}: {len(portfolio.services)} services, {reps} replications -> {out}/report.html")
    for line in portfolio_lines(result, league_table(result)):
        say(line)


def compare_portfolios_command(
    paths: list[Path],
    out: Path,
    reps: int,
    seed: int,
    workers: int | None,
    unsupported: dict[str, object],
    months: list[str] | None = None,
    **options,
) -> None:
    """Compare portfolio scenarios with the first (the base); one line per scenario on standard output."""
    refuse_unsupported(paths[0], unsupported, "compare")
    from sim.api import compare_portfolios, write
    from sim.engine.portfolio import load_portfolio
    from sim.questions.compare import month_labels
    from sim.questions.portfolio import check_paired, scenario_names
    from sim.reports.board import board_months
    from sim.runs.runner import RunInterrupted

    with user_errors(), shown_warnings():
        loaded = [load_portfolio(path) for path in paths]
        if len(loaded) < 2:
            fail(f"{paths[0]}: compare needs a base portfolio and at least one scenario")
        scenario_names(loaded)
        check_paired(loaded)  # refused before anything runs or is written
        board_months(month_labels(loaded[0].services[0].config), months)  # a bad month fails first
        with output_folder(out):
            try:
                total = reps * sum(len(p.services) for p in loaded)
                with writing(out), progress_bar(total, "compare") as advance:
                    result = compare_portfolios(loaded, reps, seed, workers, progress=advance, **options)
            except (KeyboardInterrupt, RunInterrupted) as error:
                reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
                fail(f"{reason}; nothing was written to {out}", code=130 if reason == "interrupted" else 1)
            with writing(out):
                write(result, out, months=months)
    from sim.reports.portfolio_compare import portfolio_comparison_lines

    say(f"{len(loaded)} portfolios x {reps} replications -> {out}/report.html")
    for line in portfolio_comparison_lines(result):
        say(line)
