"""The current position: how many wait now, how many are over the target, and the trend.

Read from what the workspace knows, newest first: reported figures a planner uploaded (Run and
Calibrate pages), the published waits the service was built from (``Workspace.origin``), and the
service's own starting list (``initial_state.waiting_list``). Each figure says where it came
from. A target that falls inside a band cannot be read off the bands, so that count is
estimated with the spread the model seeds patients with (uniform or sloped) and says "about".
No Streamlit here: the Service and waits pages write these sentences.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.waits import BandHistory, Problem
from calibration.waits.history import month_index, month_label
from sim.engine.band_seeding import WaitBand, band_slopes
from sim.engine.config import ServiceConfig
from sim.web import labels
from sim.web.workspace import Workspace

TREND_MONTHS = 6  # the trend compares the latest month with the one about half a year before
UPLOADED = {"actuals": "the reported figures uploaded on the Run page",
            "history": "the reported figures uploaded on the Calibrate page"}  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """One figure: its month (YYYY-MM), value, whether it was counted or estimated, and source."""

    month: str
    value: float
    exact: bool
    source: str
    when: str  # "at the end of Mar 2024", or "on 15 Apr 2024" for a list taken mid-month


@dataclass(frozen=True)
class Series:
    """Monthly figures from one source (columns month, waiting, over; NaN where not given)."""

    frame: pd.DataFrame
    source: str


@dataclass(frozen=True)
class Position:
    target_weeks: float
    waiting: Reading | None
    over: Reading | None
    start: tuple[Reading, Reading | None] | None  # the starting list, when older than the above
    trend: Series | None
    has_starting_list: bool


def over_target(bands: list[WaitBand], target: float, spread: str = "uniform") -> tuple[float, bool]:
    """Patients over ``target`` weeks, and whether that was counted (True) or estimated.

    Bands wholly over the target count in full. A band the target falls inside counts the
    share of it over the target as the model spreads waits inside a band: evenly
    (``uniform``) or sloped as the neighbouring bands say (``sloped``, ``sim.engine.band_seeding``).
    An open last band is spread over as many weeks again as its lower edge, as the waits fit does.
    """
    finite = [WaitBand(b.from_weeks, 2 * b.from_weeks if math.isinf(b.to_weeks) else b.to_weeks, b.count)
              for b in bands]  # fmt: skip
    slopes = band_slopes(finite) if spread == "sloped" and len(finite) > 1 else [0.0] * len(finite)
    total, exact = 0.0, True
    for band, shown, slope in zip(bands, finite, slopes, strict=True):
        if band.from_weeks >= target:
            total += band.count
        elif band.to_weeks > target and band.count:
            exact = False
            total += band.count * _share_above(shown.from_weeks * 7, shown.to_weeks * 7, target * 7, slope)
    return total, exact


def _share_above(low: float, high: float, cut: float, slope: float) -> float:
    """Share of a band's density exp(-slope x) on [low, high) that lies above ``cut`` (days)."""
    if cut >= high:
        return 0.0
    width = high - low
    if abs(slope * width) < 1e-9:
        return (high - cut) / width
    return (np.exp(-slope * (cut - low)) - np.exp(-slope * width)) / -np.expm1(-slope * width)


def list_month(start: dt.date) -> tuple[str, str]:
    """The month a starting list describes and how to say it: a list on 1 April is March's end."""
    if start.day == 1:
        month = month_label(month_index(f"{start:%Y-%m}") - 1)
        return month, f"at the end of {labels.month(month)}"
    return f"{start:%Y-%m}", f"on {start.day} {start:%b %Y}"


def starting_readings(config: ServiceConfig, source: str) -> tuple[Reading, Reading] | None:
    """Waiting and over the target in the service's starting list, or None when it has none."""
    bands = [WaitBand(b.from_weeks, b.to_weeks, b.count) for b in config.initial_state.waiting_list]
    if not bands:
        return None
    month, when = list_month(config.service.start_date)
    where = f"the starting list in the service ({source})"
    over, exact = over_target(bands, config.service.rtt_target_weeks, config.initial_state.within_band)
    waiting = Reading(month, float(sum(b.count for b in bands)), True, where, when)
    return waiting, Reading(month, over, exact, where, when)


def history_of(origin: dict) -> BandHistory:
    """The band history saved with a service built from published waits."""
    edges = tuple(math.inf if e is None else float(e) for e in origin["edges_weeks"])
    counts = np.array(origin["counts"], dtype=np.int64).reshape(-1, len(edges) - 1)
    return BandHistory(
        origin["file"], origin.get("provider_code"), origin.get("provider_name"), origin.get("service"),
        edges, tuple(origin["months"]), counts, np.array(origin["totals"], dtype=np.int64),
        tuple(Problem(*p) for p in origin.get("problems", [])),
    )  # fmt: skip


def published_series(origin: dict, target: float) -> Series:
    """Waiting and over the target each month of the published series (estimated off-edge)."""
    history = history_of(origin)
    rows = []
    for month, counts, total in zip(history.months, history.counts, history.totals, strict=True):
        edges = history.edges_weeks
        bands = [WaitBand(a, b, c) for a, b, c in zip(edges, edges[1:], counts, strict=False)]
        over, exact = over_target(bands, target, "sloped")  # the spread the built service seeds with
        rows.append({"month": month, "waiting": float(total), "over": over, "exact": exact})
    return Series(pd.DataFrame(rows), series_source(origin))


def series_source(origin: dict) -> str:
    """The published series in words: provider, service and file."""
    names = (origin.get("provider_name") or origin.get("provider_code"), origin.get("service"))
    who = ", ".join(x for x in names if x)
    file = origin["file"]
    return f"the waits published for {who} ({file})" if who else f"the published waits in {file}"


def uploaded_series(table: pd.DataFrame | None, source: str) -> Series | None:
    """Reported figures (``calibration.data.read_monthly``): their waiting and breaches columns."""
    if table is None or not {"waiting", "breaches"} & set(table.columns):
        return None
    frame = pd.DataFrame({"month": table["month"].astype(str)})
    frame["waiting"] = table["waiting"].to_numpy(float) if "waiting" in table else np.nan
    frame["over"] = table["breaches"].to_numpy(float) if "breaches" in table else np.nan
    frame["exact"] = True
    return Series(frame.sort_values("month", kind="stable").reset_index(drop=True), source)


def _latest(series: list[Series], column: str) -> Reading | None:
    best = None
    for one in series:  # in order of preference: a later source wins only with a later month
        kept = one.frame[one.frame[column].notna()]
        if kept.empty:
            continue
        row = kept.iloc[-1]
        if best is None or row["month"] > best.month:
            when = f"at the end of {labels.month(row['month'])}"
            best = Reading(row["month"], float(row[column]), bool(row["exact"]), one.source, when)
    return best


def current_position(space: Workspace, uploads: dict[str, pd.DataFrame] | None = None) -> Position:
    """What the workspace knows of the list now: newest figures first, each with its source."""
    config = space.config()
    target = config.service.rtt_target_weeks
    series = []
    if space.origin:
        series.append(published_series(space.origin, target))
    for key, table in (("actuals", space.actuals), *((uploads or {}).items())):
        found = uploaded_series(table, UPLOADED.get(key, "the reported figures uploaded"))
        if found is not None:
            series.append(found)
    start = starting_readings(config, space.source)
    waiting, over = _latest(series, "waiting"), _latest(series, "over")
    if start is not None:
        if waiting is None or waiting.month < start[0].month:
            waiting = start[0]
        if over is None or over.month < start[1].month:
            over = start[1]
    older = start if start is not None and waiting is not None and start[0].month < waiting.month else None
    # The trend is read from the source of the headline's list (else of its count over the target).
    wanted = [r.source for r in (waiting, over) if r is not None]
    trend = next((s for source in wanted for s in series if s.source == source), None)
    return Position(target, waiting, over, older, trend, start is not None)


def _count(reading: Reading) -> str:
    return ("" if reading.exact else "about ") + labels.number(reading.value)


def headline(position: Position) -> list[str]:
    """The position in a planner's words: one sentence per figure, then where each came from."""
    target = f"{position.target_weeks:g}-week target"
    waiting, over = position.waiting, position.over
    if waiting is None and over is None:
        return [
            "This service has no starting list: its simulation starts with nobody waiting, and no "
            "reported figures have been uploaded. Load a service with its waiting list, or start "
            "from published waits."
        ]
    lines = []
    if waiting is not None and over is not None and waiting.month == over.month:
        share = f" ({over.value / waiting.value:.0%})" if waiting.value else ""
        over_text = f"**{_count(over)}{share}** of them over the {target}"
        lines.append(f"**{_count(waiting)} waiting** {waiting.when}, {over_text}.")
    else:
        if waiting is not None:
            lines.append(f"**{_count(waiting)} waiting** {waiting.when}.")
        if over is not None:
            lines.append(f"**{_count(over)} over the {target}** {over.when}.")
    sources = {r.source for r in (waiting, over) if r is not None}
    if len(sources) == 1:
        lines.append(f"From {sources.pop()}.")
    else:
        named = (("The number waiting", waiting), ("The count over the target", over))
        lines += [f"{what} comes from {r.source}." for what, r in named if r is not None]
    if waiting is None:
        lines.append("How many are waiting is not in those figures.")
    if over is None:
        lines.append("How many are over the target is not in those figures.")
    if any(r is not None and not r.exact for r in (waiting, over)):
        lines.append(
            f"The {target} falls inside a band of weeks waited, so the count over it is estimated "
            "with the spread of waits the model starts from."
        )
    if position.start is not None:
        first, first_over = position.start
        lines.append(
            f"The simulation starts from the list {first.when}: {_count(first)} waiting"
            + (f", {_count(first_over)} over the target." if first_over else ".")
        )
    if not position.has_starting_list:
        lines.append("The service itself has no starting list, so its simulation starts with nobody waiting.")
    return lines


def trend_sentence(position: Position) -> str | None:
    """How the list and the count over the target moved over about the last six months."""
    if position.trend is None:
        return None
    frame = position.trend.frame
    parts = []
    for column, name in (("waiting", "the list"), ("over", "those over the target")):
        kept = frame[frame[column].notna()]
        if len(kept) < 2:
            continue
        last = kept.iloc[-1]
        earlier = kept[[month_index(m) >= month_index(last["month"]) - TREND_MONTHS for m in kept["month"]]]
        base = earlier.iloc[0] if earlier.iloc[0]["month"] != last["month"] else kept.iloc[-2]
        change = float(last[column] - base[column])
        if change == 0:
            said = f"{name} stayed level"
        else:
            share = f" ({change / base[column]:+.0%})" if base[column] else ""
            said = f"{name} {'grew' if change > 0 else 'fell'} by {labels.number(abs(change))}{share}"
        parts.append((labels.month(base["month"]), labels.month(last["month"]), said))
    if not parts:
        return None
    spans = {(a, b) for a, b, _ in parts}
    if len(spans) == 1:
        first, last = spans.pop()
        return f"From {first} to {last} " + " and ".join(p for _, _, p in parts) + "."
    return " ".join(f"From {a} to {b} {p}." for a, b, p in parts)


def trend_figure(series: Series, target: float):
    """The list and the count over the target by month, as the source gives them (plotly)."""
    import plotly.graph_objects as go

    from sim.web.charts import COLOURS, month_axis

    frame = series.frame.set_index("month")
    first, last = month_index(frame.index[0]), month_index(frame.index[-1])
    # Every calendar month on the axis: a month not published is a break in the line, not a join.
    frame = frame.reindex([month_label(i) for i in range(first, last + 1)])
    months = [labels.month(m) for m in frame.index]
    figure = go.Figure()
    lines = (("waiting", "Waiting", COLOURS[0]), ("over", f"Over the {target:g}-week target", COLOURS[1]))
    for column, name, colour in lines:
        if frame[column].notna().any():
            figure.add_trace(
                go.Scatter(
                    x=months, y=frame[column], name=name, mode="lines+markers", line={"color": colour},
                    hovertemplate=f"<b>{name}</b><br>%{{x}}: %{{y:,.0f}}<extra></extra>",
                )
            )  # fmt: skip
    figure.update_layout(
        title="Waiting list by month", height=300, margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.3}, xaxis=month_axis(months),
        template="plotly_white",
    )  # fmt: skip
    return figure
