"""Files of a comparison: tables, the board-paper table (CSV and xlsx), charts and report.html."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.questions.results import ComparisonResult
from sim.reports import plots
from sim.reports.board import board_table, write_board_xlsx
from sim.reports.report import write_report
from sim.runs.files import write_figure, write_manifest, write_table


def comparison_board(result: ComparisonResult, actuals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The board-paper table: months as columns, actuals then each scenario's median breaches."""
    return board_table(result.summary, actuals, result.names)


def write_comparison(
    result: ComparisonResult, out: str | Path, actuals: pd.DataFrame | None = None
) -> list[Path]:
    """Write tables, charts, the board table (CSV and xlsx) and report.html into ``out``."""
    out = Path(out)
    board = comparison_board(result, actuals)
    heading = f"Waiting over {result.scenarios[0].config.service.rtt_target_weeks:g} weeks"
    written = [
        write_table(result.monthly, out / "monthly.csv"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
        write_table(result.comparison, out / "comparison.csv"),
        write_table(board, out / "board_table.csv"),
        write_board_xlsx(
            board, out / "board_table.xlsx", result.comparison, board_notes(result, actuals), heading
        ),
    ]
    if result.goals is not None:
        written.append(write_table(result.goals, out / "goals.csv"))
    written += write_comparison_charts(result, out, actuals)
    written.append(write_report(result, out, actuals))
    return written


def board_notes(result: ComparisonResult, actuals: pd.DataFrame | None) -> list[str]:
    """Footnotes under the board table: what the numbers are and how to reproduce them."""
    target = result.scenarios[0].config.service.rtt_target_weeks
    info = result.manifest
    notes = [
        f"Patients waiting over {target:g} weeks at month end. Scenario rows: median of "
        f"{info['replications']} simulated replications (seed {info['seed']}), rounded to whole patients.",
        f"Simulated with dcsim {info['version']} on {info['finished'][:10]}.",
    ]
    if actuals is not None:
        notes.append("Actual breaches as reported; blank where not yet reported.")
    return notes


def write_comparison_charts(
    result: ComparisonResult, out: Path, actuals: pd.DataFrame | None = None
) -> list[Path]:
    """Overlay fan charts of breaches and waiting list (actuals as points), capacity per scenario."""
    observed = actuals.set_index("month") if actuals is not None else None
    goal = result.goal
    paths = []
    for metric in ("breaches", "waiting"):
        series = observed[metric] if observed is not None and metric in observed else None
        line = goal.threshold if goal is not None and goal.metric == metric else None
        paths.append(
            write_figure(
                lambda p, m=metric, s=series, t=line: plots.fan_chart(
                    result.summary, m, p, actuals=s, target_line=t
                ),
                out / f"{metric}_fan.png",
            )
        )
    for name in result.names:
        paths.append(
            write_figure(
                lambda p, n=name: plots.capacity_demand_chart(result.summary, p, n),
                out / f"capacity_demand_{safe_name(name)}.png",
            )
        )
    return paths


def safe_name(name: str) -> str:
    """A scenario name usable in a file name."""
    return "".join(c if c.isalnum() or c in "-_.=[]" else "_" for c in name)
