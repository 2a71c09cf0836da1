"""Files of a comparison of portfolio scenarios.

```
OUT/scenarios/<name>/...         each scenario's portfolio files, as `dcsim run PORTFOLIO` writes them
OUT/comparison.csv               per scenario, service (Total first) and month: median and 10-90% of
                                 breaches and the list, and the paired difference from the base
OUT/paired_differences.csv       the differences replication by replication
OUT/board_table.csv              services as row groups (Total first), the scenarios side by side, each
                                 band including the model's real-world error over a "simulation only" row
OUT/manifest.json                the seed, replications and each scenario's manifest
```
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.questions.results import PortfolioComparison
from sim.reports.board import LABEL, board_months, board_table
from sim.reports.error_bands import error_bands
from sim.reports.portfolio import ROWS, write_portfolio
from sim.runs.files import write_manifest, write_table
from sim.runs.portfolio import TOTAL

SCENARIOS = "scenarios"


def comparison_board(result: PortfolioComparison, months: Sequence[str] | None = None) -> pd.DataFrame:
    """The roll-up board table with the scenarios side by side: for the total and then each service,
    each measure's "median (p10-p90)" per scenario at the chosen month ends (default quarter ends)."""
    base = result.results[result.base]
    chosen = list(months) if months else board_months(list(dict.fromkeys(base.total_summary["month"])))
    groups = []
    for service in [TOTAL, *base.services]:
        summary = pd.concat(
            [(run.total_summary if service == TOTAL else run.services[service].summary).assign(scenario=name)
             for name, run in result.results.items()],
            ignore_index=True,
        )
        for metric, measure in ROWS.items():
            wide = error_bands(summary, result.manifest, metric)  # None: the simulation's band alone
            table = board_table(summary, None, result.names, chosen, result.labels, metric, wide)
            table = table.rename(columns={LABEL: "scenario"})
            table.insert(0, "measure", measure)
            table.insert(0, "service", service)
            groups.append(table)
    return pd.concat(groups, ignore_index=True)


def write_portfolio_comparison(
    result: PortfolioComparison, out: str | Path, months: Sequence[str] | None = None
) -> list[Path]:
    """Write the comparison's files into ``out`` (a staging folder: ``sim.runs.staging.staged``)."""
    out = Path(out)
    for name, run in result.results.items():
        write_portfolio(run, out / SCENARIOS / name, months)
    return [
        out / SCENARIOS,
        write_table(result.comparison, out / "comparison.csv"),
        write_table(result.paired, out / "paired_differences.csv"),
        write_table(comparison_board(result, months), out / "board_table.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
