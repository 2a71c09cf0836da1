"""Charts for board papers: breach fan charts, waiting list, capacity against demand.

Functions take aggregated tables (never the model) and save a PNG; seaborn styles them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from sim.engine.sweep import format_value  # noqa: E402
from sim.runs.summary import metric_band  # noqa: E402

P = ParamSpec("P")
R = TypeVar("R")

# Scenario names, labels and file names are the users' text, not TeX: "budget_$2m_vs_$3m" must
# print as written, not fail in matplotlib's mathtext parser.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def plain_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw a chart with every text shown literally (no ``$...$`` mathtext)."""

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context(PLAIN_TEXT):
            return draw(*args, **kwargs)

    return drawn


LABELS = {
    "breaches": "Patients waiting over the RTT target",
    "waiting": "Patients waiting (RTT clock running)",
    "wait_p92_weeks": "92nd percentile wait (weeks)",
}


def _month_axis(ax, months: list[str]) -> None:
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels(months[::step], rotation=45, ha="right")


@plain_text
def fan_chart(
    summary: pd.DataFrame,
    metric: str,
    path: Path,
    actuals: pd.Series | None = None,
    target_line: float | None = None,
    title: str | None = None,
) -> None:
    """Median and 10th-90th percentile band of ``metric`` for each scenario, actuals as points."""
    sns.set_theme(style="whitegrid", context="notebook")
    band = metric_band(summary, metric)
    months = list(dict.fromkeys(band["month"]))
    position = {m: i for i, m in enumerate(months)}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    palette = sns.color_palette("colorblind", band["scenario"].nunique())
    for colour, (name, rows) in zip(palette, band.groupby("scenario", sort=False), strict=False):
        x = rows["month"].map(position)
        ax.fill_between(x, rows["p10"], rows["p90"], color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, rows["p50"], color=colour, linewidth=2, label=f"{name} (median, 10-90% band)")
    if actuals is not None and not actuals.dropna().empty:
        shown = actuals.dropna()
        shown = shown[shown.index.isin(position)]
        ax.plot(shown.index.map(position), shown.values, "ko", markersize=6, label="Actual")
    if target_line is not None:
        ax.axhline(target_line, color="grey", linestyle="--", linewidth=1)
    _month_axis(ax, months)
    ax.set_ylabel(LABELS.get(metric, metric.replace("_", " ")))
    ax.set_ylim(bottom=0)
    ax.set_title(title or LABELS.get(metric, metric))
    ax.legend(loc="upper left", fontsize=9, frameon=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


@plain_text
def capacity_demand_chart(summary: pd.DataFrame, path: Path, scenario: str | None = None) -> None:
    """Mean clinical hours available, used, and the workload referrals brought, per month."""
    sns.set_theme(style="whitegrid", context="notebook")
    rows = summary if scenario is None else summary[summary["scenario"] == scenario]
    rows = rows[rows["scenario"] == rows["scenario"].iloc[0]]
    months = list(rows["month"])
    fig, ax = plt.subplots(figsize=(10, 5))
    x = range(len(months))
    ax.plot(x, rows["clinical_hours_mean"], linewidth=2, label="Clinical hours available")
    ax.plot(x, rows["used_hours_mean"], linewidth=2, label="Clinical hours used")
    ax.plot(x, rows["demand_hours_mean"], linewidth=2, linestyle="--", label="Workload referred (hours)")
    _month_axis(ax, months)
    ax.set_ylabel("Hours per month")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Capacity and demand: {rows['scenario'].iloc[0]}")
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


@plain_text
def tornado_chart(table: pd.DataFrame, path: Path, measure: str) -> None:
    """Bars from the scenario's result to the result at each field's low and high value."""
    sns.set_theme(style="whitegrid", context="notebook")
    rows = table.iloc[::-1].reset_index(drop=True)  # largest swing drawn at the top
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.7 * len(rows)))
    centre = float(rows["result_base"].iloc[0]) if len(rows) else 0.0
    colours = sns.color_palette("colorblind", 2)
    for y, row in rows.iterrows():
        ends = (("low", row["result_low"], colours[0]), ("high", row["result_high"], colours[1]))
        for end, value, colour in ends:
            ax.barh(y, value - centre, left=centre, color=colour, height=0.6,
                    label=f"at the {end} value" if y == 0 else None)
            ax.annotate(format_value(row[end]), (value, y), xytext=(4 if value >= centre else -4, 0),
                        textcoords="offset points", va="center", ha="left" if value >= centre else "right",
                        fontsize=9)
    ax.axvline(centre, color="black", linewidth=1)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows["field"])
    ax.set_xlabel(f"{measure} (scenario as given: {centre:,.3g})")
    ax.set_title("Sensitivity: result at each assumption's low and high value")
    ax.legend(loc="lower right", fontsize=9)
    ax.margins(x=0.15)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
