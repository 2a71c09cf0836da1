"""Interactive charts (plotly) of what the runs give: the median line and 10-90% band per
scenario, hovering for month, median and band, with reported actuals and a plan trajectory.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from sim.reports.board import SIM_WORDS, low_high
from sim.web import labels

COLOURS = ("#005eb8", "#d5281b", "#007f3b", "#ffb81c", "#330072", "#ae2573", "#00a499", "#768692")


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def fan_figure(
    summary: pd.DataFrame,
    metric: str,
    title: str,
    names: list[str] | None = None,
    actuals: pd.Series | None = None,
    plan: pd.Series | None = None,
    goal_line: float | None = None,
    errors: pd.DataFrame | None = None,
    shown: dict[str, str] | None = None,
) -> go.Figure:
    """Median and 10-90% band of ``metric`` by month for each scenario in ``summary``, named in the
    legend and on hover as ``shown`` names them (scenario name -> its title, ``labels.scenario_names``).

    With ``errors`` (a comparison table with ``<metric>_p10/_p90_with_model_error``, as
    ``sim.reports.error_bands.error_bands`` gives it) each scenario's band including the model's
    real-world error is outlined, dotted, around the simulation's own shaded band, as in the
    report's fan charts.
    """
    figure = go.Figure()
    names = names or list(dict.fromkeys(summary["scenario"]))
    for index, name in enumerate(names):
        rows = summary[summary["scenario"] == name]
        colour = COLOURS[index % len(COLOURS)]
        label = (shown or {}).get(name, name)
        months = [labels.month(m) for m in rows["month"]]
        low, mid, high = (rows[f"{metric}_{s}"].to_numpy() for s in ("p10", "p50", "p90"))
        hover = [labels.band(*values, metric) for values in zip(mid, low, high, strict=True)]
        if errors is not None:
            wide = errors[errors["scenario"] == name].set_index("month").reindex(rows["month"])
            wide_low, wide_high = (wide[c].to_numpy(float) for c in low_high(metric))
            hover = [f"{text}, {SIM_WORDS}<br>{labels.number(a, metric)} to {labels.number(b, metric)} "
                     "with model error" for text, a, b in zip(hover, wide_low, wide_high, strict=True)]
            for edge_values, first in ((wide_low, True), (wide_high, False)):
                figure.add_trace(go.Scatter(
                    x=months, y=edge_values, mode="lines", name=f"{label}: 80% with model error",
                    legendgroup=name, showlegend=first, hoverinfo="skip",
                    line={"color": colour, "width": 1.2, "dash": "dot"},
                ))
        edge = {
            "x": months,
            "mode": "lines",
            "line": {"width": 0},
            "legendgroup": name,
            "showlegend": False,
            "hoverinfo": "skip",
        }  # the band's edges: no line, no hover
        figure.add_trace(go.Scatter(y=high, **edge))
        figure.add_trace(go.Scatter(y=low, fill="tonexty", fillcolor=_rgba(colour, 0.18), **edge))
        figure.add_trace(
            go.Scatter(
                x=months,
                y=mid,
                mode="lines",
                name=label,
                legendgroup=name,
                line={"color": colour, "width": 2},
                customdata=[[text] for text in hover],
                hovertemplate=f"<b>{label}</b><br>%{{x}}<br>%{{customdata[0]}}<extra></extra>",
            )
        )
    for series, label, style in ((actuals, "Reported", "markers"), (plan, "Plan trajectory", "lines")):
        if series is not None and series.notna().any():
            kept = series.dropna()
            figure.add_trace(
                go.Scatter(
                    x=[labels.month(m) for m in kept.index],
                    y=kept.to_numpy(),
                    customdata=[labels.number(v, metric) for v in kept],
                    mode=style,
                    name=label,
                    marker={"color": "#212b32", "size": 7},
                    line={"color": "#425563", "dash": "dash"},
                    hovertemplate=f"<b>{label}</b><br>%{{x}}<br>%{{customdata}}<extra></extra>",
                )
            )
    plotted = [v for trace in figure.data for v in (trace.y if trace.y is not None else ())]
    if goal_line is not None:
        plotted.append(goal_line)
        figure.add_hline(y=goal_line, line={"color": "#d5281b", "dash": "dot"}, annotation_text="goal")
    figure.update_layout(
        title=title,
        hovermode="closest",
        height=420,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22},
        xaxis=month_axis(_months(summary, actuals, plan)),
        yaxis_title=labels.metric_name(metric),
        yaxis_range=y_range(plotted),
        template="plotly_white",
    )
    return figure


def y_range(values) -> list[float] | None:
    """From the lowest to the highest value plotted (band edges, actuals, the goal), a twentieth of
    the span beyond each and never below 0: left to autorange, a band's top (p90) sat on the frame
    or, with the legend below and a narrow column, was cut off."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    pad = (high - low) / 20 or max(abs(high) / 20, 1.0)
    return [max(0.0, low - pad), high + pad]


def month_axis(months: list[str]) -> dict:
    """Month ends in time order, at most a dozen labelled (every month would crowd the axis)."""
    every = max(1, math.ceil(len(months) / 12))
    ticks = months[::every]
    return {
        "categoryorder": "array",
        "categoryarray": months,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": ticks,
        "tickangle": -45,
    }


def _months(summary: pd.DataFrame, *series: pd.Series | None) -> list[str]:
    """Every month charted, in time order ("Mar 2027" labels do not sort by themselves)."""
    months = set(summary["month"].astype(str))
    for one in series:
        if one is not None:
            months.update(one.dropna().index.astype(str))
    return [labels.month(m) for m in sorted(months)]


def observed(actuals: pd.DataFrame | None, column: str) -> pd.Series | None:
    """One column of the reported figures indexed by month, or None if not reported."""
    if actuals is None or column not in actuals.columns:
        return None
    return actuals.set_index("month")[column]


def solve_figure(evaluations: pd.DataFrame, confidence: float, lever_label: str) -> go.Figure:
    """P(goal) at each value the solver tried, with the confidence asked for."""
    rows = evaluations.sort_values("value")
    figure = go.Figure(
        go.Scatter(
            x=rows["value"],
            y=rows["probability"],
            mode="lines+markers",
            name="P(goal)",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": rows["p_high"] - rows["probability"],
                "arrayminus": rows["probability"] - rows["p_low"],
            },
            hovertemplate="%{x:g} WTE<br>P(goal) %{y:.0%}<extra></extra>",
        )
    )
    figure.add_hline(
        y=confidence, line={"color": "#d5281b", "dash": "dot"}, annotation_text="confidence asked"
    )
    figure.update_layout(
        title="Chance of meeting the goal by WTE added",
        xaxis_title=lever_label,
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.05],
        height=340,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        template="plotly_white",
    )
    return figure


def referrals_figure(referrals: pd.DataFrame) -> go.Figure:
    """Referrals expected in each calendar month (``tables.referrals``), as bars."""
    figure = go.Figure(
        go.Bar(
            x=referrals["month"],
            y=referrals["referrals expected"],
            marker_color=COLOURS[0],
            customdata=referrals["seasonal multiplier"],
            hovertemplate="%{x}: %{y:,.0f} referrals (seasonal multiplier %{customdata:g})<extra></extra>",
        )
    )
    figure.update_layout(
        title="Referrals expected a month",
        height=280,
        margin={"l": 40, "r": 10, "t": 50, "b": 30},
        template="plotly_white",
    )
    return figure
