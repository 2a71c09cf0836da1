"""A portfolio run in words and as one self-contained ``report.html``: the total, the league of
services and the roll-up board, each band with the model's real-world error beside the
simulation's own, and how much of the band is model error (``reports.error_bands``).

The console (``dcsim run PORTFOLIO.yaml``) prints ``portfolio_lines``; the report opens with the
same sentences, so the two never disagree.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.reports.board import count_text, low_high, month_heading, whole
from sim.reports.error_bands import band_note, error_bands
from sim.reports.report import STYLE
from sim.reports.report_sections import band_cell, esc, image_html, table_html
from sim.runs.portfolio import TOTAL, PortfolioResult

DRAWS_NOTE = (
    "Every service and the total take the same model-error draw in each simulated future (one per "
    "future, from the run's seed): the misses of one provider's services are not assumed to cancel "
    "out in the total, which would make its band narrower than the evidence supports."
)

BESIDE = (
    '; rows marked "simulation only" give the simulation\'s own band under the band including the '
    "model's real-world error"
)


def over_words(result: PortfolioResult) -> str:
    """One target for every service reads as the service says it; mixed targets each count their own."""
    targets = set(result.target_weeks.values())
    return f"over {targets.pop():g} weeks" if len(targets) == 1 else "over their services' targets"


def _band(row: pd.Series, with_error: bool) -> str:
    text = f"{count_text(row['breaches_p10'])}-{count_text(row['breaches_p90'])}"
    if with_error:
        low, high = low_high("breaches")
        text += f"; {count_text(row[low])}-{count_text(row[high])} with the model's real-world error"
    return text


def portfolio_lines(result: PortfolioResult, league: pd.DataFrame) -> list[str]:
    """The total at the last month end, each service ranked (the league table), and what the
    bands are: with model error and its share of the total's band, or the simulation's alone."""
    over = over_words(result)
    with_error = "breaches_p10_with_model_error" in league
    total = league.iloc[-1]
    lines = [
        f"At the end of {month_heading(total['month'])}: {count_text(total['breaches_p50'])} waiting {over} "
        f"in all (median; middle 80% of simulated futures: {_band(total, with_error)})"
    ]
    for row in league.iloc[:-1].to_dict("records"):
        row = pd.Series(row)
        pressure = f"{row['pressure']:.0%}" if pd.notna(row["pressure"]) else "no list"
        lines.append(
            f"  {row['rank']}. {row['service']}: {count_text(row['breaches_p50'])} {over} of "
            f"{count_text(row['waiting_p50'])} waiting ({pressure}), "
            f"{int(whole(row['forecast_change'])):+,} since {month_heading(row['first_month'])}; "
            f"middle 80%: {_band(row, with_error)}"
        )
    summary = result.total_summary
    lines.append(
        band_note(
            summary,
            result.manifest,
            TOTAL,
            str(total["month"]),
            label=f"{result.title}, all services",
            rows=False,
        )
    )
    if with_error:
        lines.append(DRAWS_NOTE)
    return lines


def rollup_html(board: pd.DataFrame, keys: Sequence[str] = ("service", "measure")) -> str:
    """A roll-up board: services as row groups (the total first), a row per ``keys`` after the service."""
    months = [c for c in board.columns if c not in keys]
    rows, previous = [], None
    for values in board.to_dict("records"):
        service = values["service"]
        shown = esc(service) if service != previous else ""
        previous = service
        css = "total" if service == TOTAL else ""
        labels = [esc(values[k]) for k in keys[1:]]
        rows.append(([shown, *labels, *(band_cell(str(values[m])) for m in months)], css))
    return table_html([*(k.capitalize() for k in keys), *(month_heading(m) for m in months)], rows)


def league_html(league: pd.DataFrame, over: str) -> str:
    with_error = "breaches_p10_with_model_error" in league
    header = ["Rank", "Service", f"Waiting {esc(over)} (median)", "Middle 80%"]
    header += ["With model error", "Model error's share"] if with_error else []
    header += ["Waiting (median)", "Share over target", "Change since the first month"]
    rows = []
    for row in league.to_dict("records"):
        band = f"{count_text(row['breaches_p10'])}-{count_text(row['breaches_p90'])}"
        rank = "" if pd.isna(row["rank"]) else str(row["rank"])
        cells = [rank, esc(row["service"]), count_text(row["breaches_p50"]), band]
        if with_error:
            low, high = low_high("breaches")
            cells += [f"{count_text(row[low])}-{count_text(row[high])}", f"{row['model_error_share']:.0%}"]
        pressure = f"{row['pressure']:.0%}" if pd.notna(row["pressure"]) else ""
        cells += [count_text(row["waiting_p50"]), pressure, f"{int(whole(row['forecast_change'])):+,}"]
        rows.append((cells, "total" if row["service"] == TOTAL else ""))
    return table_html(header, rows, label_first=False)


def portfolio_report(
    result: PortfolioResult,
    board: pd.DataFrame,
    league: pd.DataFrame,
    chart: Path | None = None,
    months: Sequence[str] | None = None,
) -> str:
    """The report as one HTML string (the chart, when given, embedded)."""
    info = result.manifest
    over = over_words(result)
    first = month_heading(str(result.total_summary["month"].iloc[0]))
    title = f"{result.title}: services together"
    intro = (
        f"<p>{len(result.services)} services, each simulated {info['replications']} times (seed "
        f"{info['seed']}) month by month from {first}. The total adds replication by replication, so "
        "its band is the band of the sum, not the sum of the bands. Breaches are patients waiting "
        f"{esc(over)} at month end.</p>"
    )
    lines = portfolio_lines(result, league)
    answer = "".join(f"<li>{esc(line.strip())}</li>" for line in lines)
    wide = error_bands(result.total_summary, info) is not None
    shading = (
        "Shaded: the simulation's own middle 80%; dotted: including the model's real-world error."
        if wide
        else "Shaded: the middle 80% of simulated futures."
    )
    sections = [intro, f'<ul class="answer">{answer}</ul>']
    if chart is not None and Path(chart).exists():
        sections += [
            "<h2>The total: patients waiting over target</h2>",
            image_html(chart, "Total breaches"),
            f'<p class="note">{shading}</p>',
        ]
    sections += [
        "<h2>League table</h2>",
        f'<p class="note">At the end of {month_heading(str(league["month"].iloc[-1]))}, services ranked by '
        "median breaches; the total last. Also league_table.csv.</p>",
        league_html(league, over),
        "<h2>Roll-up board table</h2>",
        f'<p class="note">Median and, below it, the middle 80% of futures{BESIDE if wide else ""}. Also '
        "board_table.csv; each service's every month in services/&lt;name&gt;/summary.csv.</p>",
        rollup_html(board),
    ]
    return page(title, sections, info)


def page(title: str, sections: list[str], info: dict) -> str:
    """A self-contained page: the title, the sections and the run's manifest."""
    manifest = html.escape(json.dumps(info, indent=2, default=str), quote=False)
    body = "\n".join([f"<h1>{esc(title)}</h1>", *sections, "<h2>Run manifest</h2>", f"<pre>{manifest}</pre>"])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
