"""Files of a portfolio run: each service's tables, the total, the roll-up board and the league table.

```
OUT/services/<name>/monthly.csv, summary.csv   each service, as `dcsim run` writes them
OUT/total_monthly.csv, total_summary.csv        the services added up, replication by replication
OUT/board_table.csv                             services as row groups, total first (board.board_table)
OUT/league_table.csv                            services ranked by breaches at the last month end
OUT/manifest.json, OUT/breaches_fan.png         the run's record; the total's breach fan chart
```
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.reports import plots
from sim.reports.board import LABEL, board_months, board_table
from sim.runs.files import write_figure, write_manifest, write_table
from sim.runs.portfolio import TOTAL, PortfolioResult

SERVICES = "services"
ROWS = {"breaches": "Waiting over target", "waiting": "Waiting for first contact"}


def _summaries(result: PortfolioResult) -> dict[str, pd.DataFrame]:
    """The total first, then each service, by name."""
    return {TOTAL: result.total_summary, **{name: run.summary for name, run in result.services.items()}}


def rollup_board(result: PortfolioResult, months: Sequence[str] | None = None) -> pd.DataFrame:
    """The board table with services as row groups, the total first: "median (p10-p90)" cells of
    breaches and of the waiting list at the chosen month ends (default the quarter ends)."""
    chosen = list(months) if months else board_months(list(dict.fromkeys(result.total_summary["month"])))
    groups = []
    for name, summary in _summaries(result).items():
        for metric, label in ROWS.items():
            scenario = summary["scenario"].iloc[0]
            table = board_table(summary, None, [scenario], chosen, {scenario: label}, metric)
            table.insert(0, "service", name)
            groups.append(table)
    return pd.concat(groups, ignore_index=True).rename(columns={LABEL: "measure"})


def league_table(result: PortfolioResult) -> pd.DataFrame:
    """Services ranked by median breaches at the last month end, with the total last.

    ``pressure`` is median breaches over the median list at that month end (the share of the
    list waiting over target); ``forecast_change`` is the median breaches at the last month end
    less those at the first, the direction the service is heading.
    """
    rows = []
    for name, summary in _summaries(result).items():
        first, last = summary.iloc[0], summary.iloc[-1]
        waiting = last["waiting_p50"]
        rows.append({
            "service": name,
            "month": last["month"],
            "breaches_p50": last["breaches_p50"],
            "breaches_p10": last["breaches_p10"],
            "breaches_p90": last["breaches_p90"],
            "waiting_p50": waiting,
            "pressure": last["breaches_p50"] / waiting if waiting > 0 else float("nan"),
            "first_month": first["month"],
            "forecast_change": last["breaches_p50"] - first["breaches_p50"],
        })
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
        write_table(rollup_board(result, months), out / "board_table.csv"),
        write_table(league_table(result), out / "league_table.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
    summary = result.total_summary
    written.append(write_figure(lambda p: plots.fan_chart(summary, "breaches", p), out / "breaches_fan.png"))
    return written
