"""The board-paper table: breaches at chosen month ends, actuals and trajectories, then scenarios.

Months run across as columns, as in improvement-plan papers. By default the columns are the
quarter ends (June, September, December, March) of the simulated months, plus the goal's
month, so the table fits a page; ``--months`` or ``--every`` choose others. A scenario's cell
reads "median (p10-p90)" across replications; the actuals and any trajectory the actuals
file gives (a published projection, a plan's trajectory) are single numbers. The full
monthly table of medians stays available (board_table_monthly.csv and the workbook's
"Monthly" sheet).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import pandas as pd

from sim.engine.scenario import ConfigError
from sim.engine.size_limits import MAX_HORIZON_MONTHS
from sim.runs.limits import EVERY

LABEL = "series"
ACTUAL_ROW = "Actual breaches"
PUBLISHED_ROW = "Published projection without the plan"
NOT_TRAJECTORIES = {"month", "referrals", "waiting", "first_contacts", "wte"}
SERIES_LABELS = {"projected_breaches": PUBLISHED_ROW}
QUARTER_ENDS = ("-03", "-06", "-09", "-12")
# With model error (reports.error_bands), a scenario's row gives the band including it and the row
# under it, labelled "<scenario>: simulation only", the simulation's own band.
ERROR_WORDS = "including how far dcsim's forecasts have missed real services"
SIM_WORDS = "simulation only"


def whole(value: float) -> float:
    """Round half up to a whole patient (Python's round() sends 0.5 to the even number)."""
    return math.floor(value + 0.5) if pd.notna(value) else value


def count_text(value: float) -> str:
    """A whole count with thousands separators; blank for a missing value; never "-0"."""
    return "" if pd.isna(value) else f"{int(whole(value)) + 0:,}"


def low_high(metric: str) -> tuple[str, str]:
    """The comparison table's columns of ``metric``'s 80% band with model error."""
    return f"{metric}_p10_with_model_error", f"{metric}_p90_with_model_error"


def sim_row(label: str) -> str:
    """The label of a scenario's simulation-only row, under its row with model error."""
    return f"{label}: {SIM_WORDS}"


def month_heading(month: str) -> str:
    """2024-04 -> Apr 2024: the one month format of every chart and table."""
    return dt.datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def trajectory_columns(actuals: pd.DataFrame | None, metric: str = "breaches") -> list[str]:
    """Columns of the actuals file beyond the reported metric: published projections, trajectories."""
    if actuals is None:
        return []
    return [
        c
        for c in actuals.columns
        if c != metric
        and c not in NOT_TRAJECTORIES
        and not re.fullmatch(r"band_.*", c)
        and pd.api.types.is_numeric_dtype(actuals[c])
    ]


def series_label(column: str) -> str:
    """How a trajectory column is named in tables and legends."""
    return SERIES_LABELS.get(column, column.replace("_", " ").capitalize())


def board_months(
    months: Sequence[str],
    chosen: Sequence[str] | None = None,
    every: int | None = None,
    goal_month: str | None = None,
) -> list[str]:
    """The month columns: ``chosen``, every ``every``-th month end, or quarter ends (+ goal month)."""
    months = list(months)
    if chosen and len(chosen) > MAX_HORIZON_MONTHS:
        raise ConfigError(
            f"--months: {len(chosen):,} months; at most {MAX_HORIZON_MONTHS} (one per simulated month)"
        )
    if chosen:
        for month in chosen:
            if month not in months:
                raise ConfigError(
                    f"--months: {month}: not a simulated month (YYYY-MM from {months[0]} to {months[-1]})"
                )
        return [m for m in months if m in set(chosen)]
    if every is not None:
        EVERY.check(every)
        return months[every - 1 :: every] or months[-1:]
    picked = {m for m in months if m.endswith(QUARTER_ENDS)}
    if goal_month in months:
        picked.add(goal_month)
    return [m for m in months if m in picked] or months[-1:]


def _observed_rows(actuals: pd.DataFrame | None, months: list[str], metric: str) -> dict[str, pd.Series]:
    rows: dict[str, pd.Series] = {}
    if actuals is None:
        return rows
    observed = actuals.set_index("month")
    for column in [metric, *trajectory_columns(actuals, metric)]:
        if column in observed and observed[column].reindex(months).notna().any():
            label = ACTUAL_ROW if column == metric else series_label(column)
            rows[label] = observed[column].reindex(months)
    return rows


def monthly_board(
    summary: pd.DataFrame,
    actuals: pd.DataFrame | None,
    scenarios: list[str],
    labels: dict[str, str] | None = None,
    metric: str = "breaches",
) -> pd.DataFrame:
    """Every simulated month: actuals, trajectories, then each scenario's median (whole numbers)."""
    months = list(dict.fromkeys(summary["month"]))
    rows = _observed_rows(actuals, months, metric)
    for name in scenarios:
        medians = summary.loc[summary["scenario"] == name].set_index("month")[f"{metric}_p50"]
        rows[(labels or {}).get(name, name)] = medians.reindex(months)
    table = pd.DataFrame(rows).T.map(whole).astype("Int64")
    table.index.name = LABEL
    table.columns = months
    return table.reset_index()


def board_table(
    summary: pd.DataFrame,
    actuals: pd.DataFrame | None,
    scenarios: list[str],
    months: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
    metric: str = "breaches",
    errors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The board table as text: "median (p10-p90)" per scenario, single numbers for observed rows.

    With ``errors`` (a comparison table with ``<metric>_p10/_p90_with_model_error``, as
    ``reports.error_bands.error_bands`` passes it), a scenario's band is the one including the
    model's real-world error and a row under it, ``sim_row(label)``, gives the simulation's own
    band as "p10-p90".
    """
    simulated = list(dict.fromkeys(summary["month"]))
    months = list(months) if months else board_months(simulated)
    rows: dict[str, list[str]] = {
        label: [count_text(v) for v in values.reindex(months)]
        for label, values in _observed_rows(actuals, simulated, metric).items()
    }
    for name in scenarios:
        band = summary.loc[summary["scenario"] == name].set_index("month").reindex(months)
        label = (labels or {}).get(name, name)
        low, high = band[f"{metric}_p10"], band[f"{metric}_p90"]
        alone = [f"{count_text(lo)}-{count_text(hi)}" for lo, hi in zip(low, high, strict=True)]
        if errors is not None:
            wide = errors.loc[errors["scenario"] == name].set_index("month").reindex(months)
            low, high = (wide[c] for c in low_high(metric))
        rows[label] = [
            f"{count_text(m)} ({count_text(lo)}-{count_text(hi)})"
            for m, lo, hi in zip(band[f"{metric}_p50"], low, high, strict=True)
        ]
        if errors is not None:  # under the scenario's row: its simulation-only band
            rows[sim_row(label)] = alone
    table = pd.DataFrame.from_dict(rows, orient="index", columns=months)
    table.index.name = LABEL
    return table.reset_index()


def observed_labels(actuals: pd.DataFrame | None, metric: str = "breaches") -> set[str]:
    """Labels of the rows that are reported or published figures rather than simulated ones."""
    return {ACTUAL_ROW, *(series_label(c) for c in trajectory_columns(actuals, metric))}
