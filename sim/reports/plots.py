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
from sim.reports.board import ERROR_WORDS, SIM_WORDS, low_high, month_heading  # noqa: E402
from sim.runs.summary import metric_band  # noqa: E402

# Okabe-Ito: told apart with any colour vision; each scenario also has its own line style,
# so two scenarios that coincide stay visible (one dashed over the other).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1))]
TRAJECTORY_COLOURS = ["#333333", "#7F7F7F", "#8C564B"]

LABELS = {
    "breaches": "Patients waiting over the RTT target",
    "waiting": "Patients waiting (RTT clock running)",
    "wait_p92_weeks": "92nd percentile wait (weeks)",
    "followup_overdue": "Follow-ups overdue",
}


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


def month_axis(ax, months: list[str]) -> None:
    """Month headings ("Mar 2025") under x positions 0, 1, ... for the months in order, at most 12 shown."""
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels([month_heading(m) for m in months[::step]], rotation=45, ha="right")


@plain_text
def fan_chart(
    summary: pd.DataFrame,
    metric: str,
    path: Path,
    actuals: pd.Series | None = None,
    target_line: float | None = None,
    title: str | None = None,
    trajectories: dict[str, pd.Series] | None = None,
    labels: dict[str, str] | None = None,
    errors: pd.DataFrame | None = None,
) -> None:
    """Median and 10th-90th percentile band of ``metric`` for each scenario, actuals as points,
    published trajectories (label -> values by month) as dashed lines.

    With ``errors`` (a comparison table with ``<metric>_p10/_p90_with_model_error``, as
    ``reports.error_bands.error_bands`` gives it) each scenario also gets the wider, lighter band
    including the model's real-world error, the simulation's own band darker inside it.
    """
    sns.set_theme(style="whitegrid", context="notebook")
    band = metric_band(summary, metric)
    months = list(dict.fromkeys(band["month"]))
    position = {m: i for i, m in enumerate(months)}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for index, (name, rows) in enumerate(band.groupby("scenario", sort=False)):
        colour, style = PALETTE[index % len(PALETTE)], STYLES[index % len(STYLES)]
        x = rows["month"].map(position)
        if errors is not None:
            wide = errors[errors["scenario"] == name].set_index("month").reindex(rows["month"])
            low, high = (wide[c].to_numpy(float) for c in low_high(metric))
            for edge in (low, high):  # outlines, not fills: several scenarios' wide bands stay apart
                ax.plot(x, edge, color=colour, linestyle=":", linewidth=1.3, alpha=0.9)
        ax.fill_between(x, rows["p10"], rows["p90"], color=colour, alpha=0.15, linewidth=0)
        label = (labels or {}).get(name, name)
        ax.plot(x, rows["p50"], color=colour, linestyle=style, linewidth=2.2, label=f"{label} (median)")
    for index, (label, values) in enumerate((trajectories or {}).items()):
        shown = values.dropna()
        shown = shown[shown.index.isin(position)]
        if not shown.empty:
            ax.plot(shown.index.map(position), shown.values, color=TRAJECTORY_COLOURS[index % 3],
                    linestyle="--", linewidth=1.4, marker="x", markersize=4, label=label)
    if actuals is not None and not actuals.dropna().empty:
        shown = actuals.dropna()
        shown = shown[shown.index.isin(position)]
        ax.plot(shown.index.map(position), shown.values, "ko", markersize=6, label="Actual", zorder=5)
    if target_line is not None:
        ax.axhline(target_line, color="grey", linestyle="--", linewidth=1)
    month_axis(ax, months)
    ax.set_ylabel(LABELS.get(metric, metric.replace("_", " ")))
    ax.set_ylim(bottom=0)
    ax.set_title(title or LABELS.get(metric, metric))
    shaded = "Shaded: middle 80% of simulated futures"
    if errors is not None:
        shaded = (f"Shaded: middle 80% of futures, {SIM_WORDS}.\nDotted: middle 80% {ERROR_WORDS}")
    ax.legend(loc="upper left", fontsize=8.5, frameon=True, title=shaded, title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


@plain_text
def capacity_demand_chart(
    summary: pd.DataFrame, path: Path, scenario: str | None = None, label: str | None = None
) -> None:
    """Mean clinical hours available, used, and the workload referrals brought, per month."""
    sns.set_theme(style="whitegrid", context="notebook")
    rows = summary if scenario is None else summary[summary["scenario"] == scenario]
    rows = rows[rows["scenario"] == rows["scenario"].iloc[0]]
    months = list(rows["month"])
    fig, ax = plt.subplots(figsize=(10, 5))
    x = range(len(months))
    ax.plot(x, rows["clinical_hours_mean"], color=PALETTE[0], linewidth=2, label="Clinical hours available")
    ax.plot(x, rows["used_hours_mean"], color=PALETTE[1], linestyle="-.", linewidth=2,
            label="Clinical hours used")
    ax.plot(x, rows["demand_hours_mean"], color=PALETTE[5], linewidth=2, linestyle="--",
            label="Workload referred (hours)")
    month_axis(ax, months)
    ax.set_ylabel("Hours per month")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Capacity and demand: {label or rows['scenario'].iloc[0]}")
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


@plain_text
def breach_flow_chart(flow: pd.DataFrame, path: Path, labels: dict[str, str] | None = None) -> None:
    """Per scenario: patients passing the target each month (up) and breaching patients leaving (down)."""
    sns.set_theme(style="whitegrid", context="notebook")
    names = list(dict.fromkeys(flow["scenario"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.6 * len(names) + 0.6), sharex=True, squeeze=False)
    parts = (("seen", "Seen (clock stopped)", PALETTE[0]), ("removed", "Removed from the list", PALETTE[1]),
             ("other", "Discharged, turned away or clock restarted", PALETTE[3]))
    for ax, name in zip(axes[:, 0], names, strict=True):
        rows = flow[flow["scenario"] == name]
        x = range(len(rows))
        ax.bar(x, rows["crossing"], color=PALETTE[5], label="Passed the target")
        bottom = pd.Series(0.0, index=rows.index)
        for column, text, colour in parts:
            ax.bar(x, -rows[column], bottom=-bottom, color=colour, label=text)
            bottom = bottom + rows[column]
        net = rows["crossing"] - rows[["seen", "removed", "other"]].sum(axis=1)
        ax.plot(x, net, color="black", linewidth=1.5, marker=".", label="Net change in breaches")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title((labels or {}).get(name, name), fontsize=10, loc="left")
        ax.set_ylabel("Patients a month")
    months = list(dict.fromkeys(flow["month"]))
    month_axis(axes[-1, 0], months)
    handles, names_ = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("Why breaches move: patients passing the target (up) and breaching patients leaving (down)",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0.06 if len(names) > 1 else 0.1, 1, 1))
    fig.legend(handles, names_, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


@plain_text
def goal_probability_chart(evaluations: pd.DataFrame, path: Path, lever: str, confidence: float) -> None:
    """P(goal) at each lever value tried, with its 90% interval and the confidence asked for."""
    sns.set_theme(style="whitegrid", context="notebook")
    rows = evaluations.sort_values("value")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    spread = [(rows["probability"] - rows["p_low"]) * 100, (rows["p_high"] - rows["probability"]) * 100]
    ax.errorbar(rows["value"], rows["probability"] * 100, yerr=spread,
                color=PALETTE[0], marker="o", capsize=3, linewidth=1.5, label="P(goal), with 90% interval")
    ax.axhline(confidence * 100, color=PALETTE[5], linestyle="--",
               label=f"confidence asked for ({confidence:.0%})")
    chosen = rows[rows["solution"]]
    if not chosen.empty:
        ax.plot(chosen["value"], chosen["probability"] * 100, "s", color=PALETTE[5], markersize=10,
                label="answer")
    ax.set_xlabel(lever)
    ax.set_ylabel("Simulated futures meeting the goal (%)")
    ax.set_ylim(-3, 103)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


@plain_text
def track_chart(
    table: pd.DataFrame, before: pd.DataFrame, path: Path, labels: dict[str, str], title: str
) -> None:
    """A saved forecast's fan (80% and 50% bands, median) per measure, with what was then reported:
    filled dots inside the 80% band, open diamonds outside it (told apart without colour), and
    the months reported before the forecast in grey. ``before`` holds consecutive calendar
    months (a month not reported is a blank row), so the axis never hides a gap."""
    sns.set_theme(style="whitegrid", context="notebook")
    measures = list(dict.fromkeys(table["measure"]))
    months = [*before["month"], *dict.fromkeys(table["month"])]
    position = {m: i for i, m in enumerate(months)}
    fig, axes = plt.subplots(len(measures), 1, figsize=(10, 1.2 + 3.2 * len(measures)), squeeze=False,
                             sharex=True, layout="constrained")
    for ax, measure in zip(axes[:, 0], measures, strict=True):
        rows = table[table["measure"] == measure]
        x = rows["month"].map(position)
        ax.fill_between(x, rows["p10"], rows["p90"], color=PALETTE[0], alpha=0.15, linewidth=0,
                        label="80% band of the forecast")
        ax.fill_between(x, rows["p25"], rows["p75"], color=PALETTE[0], alpha=0.3, linewidth=0,
                        label="50% band")
        ax.plot(x, rows["p50"], color=PALETTE[0], linewidth=2.2, label="Median forecast")
        earlier = before.dropna(subset=[measure]) if measure in before.columns else before.iloc[0:0]
        if len(earlier):  # no legend entry for points that are not there
            ax.plot(earlier["month"].map(position), earlier[measure], "o", color="#7F7F7F", markersize=5,
                    label="Reported before the forecast")
        reported = rows[rows["status"] == "reported"]
        inside = reported["inside_80"].astype(bool)
        ax.plot(reported.loc[inside, "month"].map(position), reported.loc[inside, "actual"], "ko",
                markersize=7, label="Reported: inside the 80% band", zorder=5)
        ax.plot(reported.loc[~inside, "month"].map(position), reported.loc[~inside, "actual"], "D",
                color=PALETTE[5], markerfacecolor="white", markeredgewidth=2, markersize=7,
                label="Reported: outside the 80% band", zorder=5)
        if len(before):
            ax.axvline(len(before) - 0.5, color="grey", linestyle="--", linewidth=1)
        ax.set_ylabel(labels.get(measure, measure), fontsize=9)
        top = ax.get_ylim()[1]
        ax.set_ylim(-0.03 * top, top)  # a count of zero is drawn whole, on the axis
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    month_axis(axes[-1, 0], months)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
