"""``dcsim run PORTFOLIO.yaml``: every service of a portfolio file, the total and the roll-up tables."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import fail, output_folder, progress_bar, say, shown_warnings, user_errors, writing


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
    from sim.api import write
    from sim.engine.portfolio import load_portfolio
    from sim.reports.board import count_text, month_heading, whole
    from sim.reports.portfolio import league_table
    from sim.runs.backends import make_backend
    from sim.runs.portfolio import run_portfolio
    from sim.runs.runner import RunInterrupted

    with user_errors(), shown_warnings():
        portfolio = load_portfolio(path)
        make_backend(options.get("backend"), workers, options.get("scheduler"))  # refused before writing
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
    league = league_table(result)
    last = league.iloc[-1]
    targets = set(result.target_weeks.values())
    # One target for every service reads as the service says it; mixed targets each count their own.
    over = f"over {targets.pop():g} weeks" if len(targets) == 1 else "over their services' targets"
    say(f"{portfolio.title}: {len(portfolio.services)} services, {reps} replications -> {out}/")
    say(
        f"At the end of {month_heading(last['month'])}: {count_text(last['breaches_p50'])} waiting {over} "
        f"in all (median; middle 80%: {count_text(last['breaches_p10'])}-"
        f"{count_text(last['breaches_p90'])})"
    )
    for row in league.iloc[:-1].itertuples():
        say(
            f"  {row.rank}. {row.service}: {count_text(row.breaches_p50)} {over} of "
            f"{count_text(row.waiting_p50)} waiting ({row.pressure:.0%}), "
            f"{int(whole(row.forecast_change)):+,} "
            f"since {month_heading(row.first_month)}"
        )
