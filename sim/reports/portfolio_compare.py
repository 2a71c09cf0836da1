"""Files of a comparison of portfolio scenarios.

```
OUT/scenarios/<name>/...         each scenario's portfolio files, as `dcsim run PORTFOLIO` writes them
OUT/comparison.csv               per scenario, service (Total first) and month: median and 10-90% of
                                 breaches and the list, and the paired difference from the base
OUT/paired_differences.csv       the differences replication by replication
OUT/board_table.csv              services as row groups (Total first), the scenarios side by side, each
                                 band including the model's real-world error over a "simulation only" row
OUT/manifest.json                the seed, replications and each scenario's manifest
OUT/report.html                  each portfolio's total in words and the board, in one page
```
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.questions.results import PortfolioComparison
from sim.reports.board import LABEL, board_months, board_table, count_text, month_heading
from sim.reports.error_bands import band_note, error_bands
from sim.reports.labels import signed
from sim.reports.portfolio import ROWS, write_portfolio
from sim.reports.portfolio_report import DRAWS_NOTE, page, rollup_html
from sim.reports.report_sections import esc
from sim.runs.files import write_manifest, write_table, write_text
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
    board = comparison_board(result, months)
    return [
        out / SCENARIOS,
        write_table(result.comparison, out / "comparison.csv"),
        write_table(result.paired, out / "paired_differences.csv"),
        write_table(board, out / "board_table.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
        write_text(comparison_report(result, board), out / "report.html"),
    ]


def comparison_report(result: PortfolioComparison, board: pd.DataFrame) -> str:
    """One page: each portfolio's total in words (as the console), then the roll-up board with the
    scenarios side by side; each scenario's own report is in scenarios/<name>/report.html."""
    lines = portfolio_comparison_lines(result)
    if "breaches_p10_with_model_error" in result.comparison:
        lines.append(DRAWS_NOTE)
    answer = "".join(f"<li>{esc(line)}</li>" for line in lines)
    sections = [
        f'<p>{len(result.names)} portfolios, each simulated {result.manifest["replications"]} times on '
        f'common random numbers (seed {result.manifest["seed"]}); differences are paired replication by '
        "replication. Each scenario's own report, league and fan chart: "
        "scenarios/&lt;name&gt;/report.html.</p>",
        f'<ul class="answer">{answer}</ul>',
        "<h2>Roll-up board table</h2>",
        '<p class="note">Median and, below it, the middle 80% of futures. Also board_table.csv.</p>',
        rollup_html(board, ("service", "measure", "scenario")),
    ]
    return page(f"{result.labels[result.base]}: portfolio scenarios compared", sections, result.manifest)


def portfolio_comparison_lines(result: PortfolioComparison) -> list[str]:
    """Each portfolio's total at the last month end, and the scenarios' paired difference from the base."""
    base = result.results[result.base]
    targets = set(base.target_weeks.values())
    over = f"over {targets.pop():g} weeks" if len(targets) == 1 else "over their services' targets"
    month = result.comparison["month"].iloc[-1]
    rows = result.comparison[(result.comparison["service"] == TOTAL) & (result.comparison["month"] == month)]
    lines = []
    for row in rows.set_index("scenario").loc[result.names].reset_index().itertuples():
        line = (f"{result.labels[row.scenario]}: {count_text(row.breaches_p50)} waiting {over} in all "
                f"at the end of {month_heading(month)} (median)")
        if row.scenario == result.base:
            line += ", the base"
        else:
            change = signed(row.breaches_diff_mean)
            versus = ("the same as the base" if change == "0" else
                      f"{change.lstrip('+-')} {'fewer' if change.startswith('-') else 'more'} than the base")
            line += (f", {versus} on average (10-90%: {signed(row.breaches_diff_p10)} to "
                     f"{signed(row.breaches_diff_p90)})")
        if "breaches_p10_with_model_error" in rows:
            line += (f"; middle 80% of futures {count_text(row.breaches_p10)}-"
                     f"{count_text(row.breaches_p90)}, "
                     f"{count_text(row.breaches_p10_with_model_error)}-"
                     f"{count_text(row.breaches_p90_with_model_error)} with the model's real-world error")
        lines.append(line)
    label = f"{result.labels[result.base]}, all services"
    lines.append(band_note(rows, result.manifest, result.base, month, label=label, rows=False))
    return lines

