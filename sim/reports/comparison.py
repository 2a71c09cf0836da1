"""Files of a comparison: tables, the board-paper table (CSV and xlsx), charts and report.html."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.questions.results import ComparisonResult
from sim.reports import plots
from sim.reports.board import (
    board_months,
    board_table,
    monthly_board,
    observed_labels,
    series_label,
    trajectory_columns,
)
from sim.reports.board_xlsx import write_board_xlsx
from sim.reports.costs import cost_rows, with_cost_rows
from sim.reports.error_bands import bands_words, error_bands
from sim.reports.labels import safe_name, scenario_labels
from sim.reports.long_waiters import long_waiter_table
from sim.reports.report import ReportParts, write_report
from sim.runs.files import write_figure, write_manifest, write_table


@dataclass
class BoardChoice:
    """Which month ends the board table shows: a list, every N-th, or (default) quarter ends."""

    months: Sequence[str] | None = None
    every: int | None = None

    def pick(self, result: ComparisonResult) -> list[str]:
        simulated = list(dict.fromkeys(result.summary["month"]))
        goal = result.goal.month if result.goal is not None else None
        return board_months(simulated, self.months, self.every, goal)


def comparison_board(
    result: ComparisonResult, actuals: pd.DataFrame | None = None, months: Sequence[str] | None = None
) -> pd.DataFrame:
    """The board-paper table: chosen month ends, actuals and trajectories, then each scenario's band."""
    chosen = list(months) if months else BoardChoice().pick(result)
    labels = scenario_labels(result.scenarios)
    errors = error_bands(result.comparison, result.manifest)  # None: the simulation's bands alone
    board = board_table(result.summary, actuals, result.names, chosen, labels, errors=errors)
    if result.costs is not None:  # the optional cost rows, only when costs were asked for
        board = with_cost_rows(board, cost_rows(result.costs, chosen, labels))
    return board


def report_parts(
    result: ComparisonResult, actuals: pd.DataFrame | None, months: list[str], tracking: pd.DataFrame | None
) -> ReportParts:
    """Everything the report shows beyond the result itself, computed once."""
    return ReportParts(
        labels=scenario_labels(result.scenarios),
        board=comparison_board(result, actuals, months),  # with the cost rows when costs were asked for
        observed=observed_labels(actuals),
        tracking=tracking,
        flow=result.breach_flow,
        theory=result.theory,
        long_waiters=long_waiter_table(result, months),
    )


def write_comparison(
    result: ComparisonResult,
    out: str | Path,
    actuals: pd.DataFrame | None = None,
    months: Sequence[str] | None = None,
    every: int | None = None,
    tracking: pd.DataFrame | None = None,
) -> list[Path]:
    """Write tables, charts, the board table (CSV and xlsx), tracking, breach flow and report.html.

    ``tracking``: the actuals against trajectories and the model (questions.trajectory), when given.
    """
    out = Path(out)
    parts = report_parts(result, actuals, BoardChoice(months, every).pick(result), tracking)
    monthly_table = monthly_board(result.summary, actuals, result.names, parts.labels)
    heading = f"Waiting over {result.scenarios[0].config.service.rtt_target_weeks:g} weeks"
    notes = board_notes(result, actuals)
    written = [
        write_table(result.monthly, out / "monthly.csv"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
        write_table(result.comparison, out / "comparison.csv"),
        write_table(parts.board, out / "board_table.csv"),
        write_table(monthly_table, out / "board_table_monthly.csv"),
        write_board_xlsx(
            parts.board,
            out / "board_table.xlsx",
            monthly_table,
            result.comparison,
            notes,
            heading,
            parts.observed,
        ),
    ]
    if parts.flow is not None:
        written.append(write_table(parts.flow, out / "breach_flow.csv"))
    if parts.theory is not None:
        written.append(write_table(parts.theory, out / "waiting_list_theory.csv"))
    if parts.long_waiters is not None:
        written.append(write_table(parts.long_waiters, out / "long_waiters.csv"))
    if parts.tracking is not None:
        written.append(write_table(parts.tracking, out / "trajectory_tracking.csv"))
    if result.goals is not None:
        written.append(write_table(result.goals, out / "goals.csv"))
    if result.rests_on is not None:
        written.append(write_table(result.rests_on, out / "rests_on.csv"))
    if result.costs is not None:
        written.append(write_table(pounds(result.costs.table), out / "costs.csv"))
    if result.goal_capacity is not None:
        written.append(write_table(result.goal_capacity.summary, out / "goal_capacity.csv"))
        written.append(write_table(result.goal_capacity.bands, out / "goal_capacity_by_wait.csv"))
    written += write_comparison_charts(result, out, actuals, parts)
    written.append(write_report(result, out, parts, actuals))
    return written


def board_notes(result: ComparisonResult, actuals: pd.DataFrame | None) -> list[str]:
    """Footnotes under the board table: what the numbers are and how to reproduce them."""
    target = result.scenarios[0].config.service.rtt_target_weeks
    info = result.manifest
    notes = [
        f"Patients waiting over {target:g} weeks at month end. Scenario rows: median (10th-90th centile) "
        f"of {info['replications']} simulated futures (seed {info['seed']}), rounded to whole patients.",
        bands_words(result, scenario_labels(result.scenarios)),
        f"Simulated with dcsim {info['version']} on {info['finished'][:10]}. Every month: sheet 'Monthly'.",
    ]
    if actuals is not None:
        notes.append("Actual breaches and published figures as reported; blank where not given.")
    if result.costs is not None:
        first = result.costs.table.iloc[0]
        notes.append(
            f"Extra staff cost to date: funded posts against the baseline's, at {first['pay_year']} pay plus "
            f"{first['on_cost_share']:.0%} on-costs ({first['pay_basis']}); details in costs.csv."
        )
    return notes


def write_comparison_charts(
    result: ComparisonResult, out: Path, actuals: pd.DataFrame | None = None, parts: ReportParts | None = None
) -> list[Path]:
    """Fan charts (actuals as points, trajectories dashed), follow-ups, breach flow, capacity per scenario."""
    labels = parts.labels if parts else scenario_labels(result.scenarios)
    observed = actuals.set_index("month") if actuals is not None else None
    goal = result.goal
    paths = []
    for metric in ("breaches", "waiting", "followup_overdue"):
        if f"{metric}_p50" not in result.summary:
            continue
        series = observed[metric] if observed is not None and metric in observed else None
        lines = {}
        if metric == "breaches" and observed is not None:
            lines = {series_label(c): observed[c] for c in trajectory_columns(actuals)}
        line = goal.threshold if goal is not None and goal.metric == metric else None
        wide = error_bands(result.comparison, result.manifest, metric)  # None: no model error for it
        paths.append(
            write_figure(
                lambda p, m=metric, s=series, t=line, tr=lines, w=wide: plots.fan_chart(
                    result.summary, m, p, actuals=s, target_line=t, trajectories=tr, labels=labels, errors=w
                ),
                out / f"{metric}_fan.png",
            )
        )
    if result.breach_flow is not None:
        flow = result.breach_flow
        chart = out / "breach_flow.png"
        paths.append(write_figure(lambda p: plots.breach_flow_chart(flow, p, labels), chart))
    for name in result.names:
        paths.append(
            write_figure(
                lambda p, n=name: plots.capacity_demand_chart(result.summary, p, n, labels[n]),
                out / f"capacity_demand_{safe_name(name)}.png",
            )
        )
    return paths


def pounds(table: pd.DataFrame) -> pd.DataFrame:
    """Money to the penny as fixed-point text (1184471.04), not the table writer's 1.18447e+06."""
    money = ["staff_cost", "extra_cost", "cost_per_breach_avoided", "cost_per_extra_first_contact"]
    out = table.copy()
    for column in (c for c in money if c in out):
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return out
