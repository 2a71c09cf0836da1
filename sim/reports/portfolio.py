"""Files of a portfolio run: each service's tables, the total, the roll-up board and the league table.

```
OUT/services/<name>/monthly.csv, summary.csv   each service, as `dcsim run` writes them
OUT/total_monthly.csv, total_summary.csv        the services added up, replication by replication
OUT/board_table.csv                             services as row groups, total first (board.board_table)
OUT/league_table.csv                            services ranked by breaches at the last month end
OUT/manifest.json, OUT/breaches_fan.png         the run's record; the total's breach fan chart
OUT/report.html                                 the total, the league and the board in one page
```
Each band includes the model's real-world error where the run has it (``sim.questions.run_error``),
the simulation's own beside it, as ``dcsim compare``'s board and report show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.questions.results import error_share
from sim.reports import plots
from sim.reports.board import LABEL, board_months, board_table, low_high
from sim.reports.error_bands import error_bands
from sim.reports.portfolio_report import portfolio_report
from sim.runs.files import write_figure, write_manifest, write_table, write_text
from sim.runs.portfolio import TOTAL, PortfolioResult

SERVICES = "services"
ROWS = {"breaches": "Waiting over target", "waiting": "Waiting for first contact"}


def _summaries(result: PortfolioResult) -> dict[str, pd.DataFrame]:
    """The total first, then each service, by name."""
    return {TOTAL: result.total_summary, **{name: run.summary for name, run in result.services.items()}}


def rollup_board(result: PortfolioResult, months: Sequence[str] | None = None) -> pd.DataFrame:
    """The board table with services as row groups, the total first: "median (p10-p90)" cells of
    breaches and of the waiting list at the chosen month ends (default the quarter ends).

    With the model's real-world error (``sim.questions.run_error``), each measure's band is the one
    including it and a row under it ("<measure>: simulation only") gives the simulation's own, as
    ``dcsim compare``'s board does."""
    chosen = list(months) if months else board_months(list(dict.fromkeys(result.total_summary["month"])))
    groups = []
    for name, summary in _summaries(result).items():
        for metric, label in ROWS.items():
            scenario = summary["scenario"].iloc[0]
            wide = error_bands(summary, result.manifest, metric)  # None: the simulation's band alone
            table = board_table(summary, None, [scenario], chosen, {scenario: label}, metric, wide)
            table.insert(0, "service", name)
            groups.append(table)
    return pd.concat(groups, ignore_index=True).rename(columns={LABEL: "measure"})


def league_table(result: PortfolioResult) -> pd.DataFrame:
    """Services ranked by median breaches at the last month end, with the total last.

    ``pressure`` is median breaches over the median list at that month end (the share of the
    list waiting over target); ``forecast_change`` is the median breaches at the last month end
    less those at the first, the direction the service is heading. With the model's real-world
    error, ``breaches_p10/_p90_with_model_error`` and ``model_error_share`` (of that band's width,
    ``1 - simulation-only width / width with error``) follow.
    """
    rows = []
    for name, summary in _summaries(result).items():
        first, last = summary.iloc[0], summary.iloc[-1]
        waiting = last["waiting_p50"]
        row = {
            "service": name,
            "month": last["month"],
            "breaches_p50": last["breaches_p50"],
            "breaches_p10": last["breaches_p10"],
            "breaches_p90": last["breaches_p90"],
            "waiting_p50": waiting,
            "pressure": last["breaches_p50"] / waiting if waiting > 0 else float("nan"),
            "first_month": first["month"],
            "forecast_change": last["breaches_p50"] - first["breaches_p50"],
        }
        if error_bands(summary, result.manifest) is not None:
            low, high = (float(last[c]) for c in low_high("breaches"))
            row.update(breaches_p10_with_model_error=low, breaches_p90_with_model_error=high,
                       model_error_share=error_share(row["breaches_p10"], row["breaches_p90"], low, high))
        rows.append(row)
    table = pd.DataFrame(rows)
    services = table[table["service"] != TOTAL].sort_values("breaches_p50", ascending=False, kind="stable")
    services.insert(0, "rank", range(1, len(services) + 1))
    total = table[table["service"] == TOTAL].assign(rank=pd.NA)
    return pd.concat([services, total[services.columns]], ignore_index=True)


def write_portfolio(
    result: PortfolioResult, out: str | Path, months: Sequence[str] | None = None
) -> list[Path]:
    """Write the portfolio's files into ``out`` (a staging folder: ``sim.runs.staging.staged``)."""
    out = Path(out)
    for name, run in result.services.items():
        folder = out / SERVICES / name
        write_table(run.monthly, folder / "monthly.csv")
        write_table(run.summary, folder / "summary.csv")
    written = [
        out / SERVICES,
        write_table(result.total, out / "total_monthly.csv"),
        write_table(result.total_summary, out / "total_summary.csv"),
        write_table(board := rollup_board(result, months), out / "board_table.csv"),
        write_table(league := league_table(result), out / "league_table.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
    summary = result.total_summary
    wide = error_bands(summary, result.manifest)  # the total's band with model error, outlined
    chart = write_figure(lambda p: plots.fan_chart(summary, "breaches", p, errors=wide),
                         out / "breaches_fan.png")
    report = portfolio_report(result, board, league, chart)
    written += [chart, write_text(report, out / "report.html")]
    return written
