"""A self-contained HTML report of a comparison: one file a director can open or email.

Charts are embedded as base64 PNG, so the file needs nothing beside it. Sections: the
run, P(goal), the fan charts, the board-paper table, the comparison with the baseline at
half-year points, what each scenario assumes (its file's header comment, what it changes
from the baseline, its dated events with their labels) and the run manifest.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.config import Event
from sim.engine.sweep import Scenario, get_field
from sim.questions.results import ComparisonResult
from sim.reports.board import LABEL, board_table, month_heading
from sim.runs.files import write_text

METRICS = {
    "breaches": ("Patients waiting over the target", "{:,.0f}"),
    "waiting": ("Patients waiting (clock running)", "{:,.0f}"),
    "wait_p92_weeks": ("92nd centile wait (weeks)", "{:,.1f}"),
}
DIFF_STATS = ("p10", "mean", "p90")
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;color:#212b32;max-width:1150px;margin:24px auto;padding:0 16px}
h1{color:#005eb8;font-size:26px}h2{color:#005eb8;border-bottom:2px solid #005eb8;padding-bottom:4px;
margin-top:36px}h3{margin-bottom:4px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #aeb7bd;padding:4px 6px;text-align:right;vertical-align:top}
th{background:#005eb8;color:#fff;font-weight:bold;text-align:center;white-space:nowrap}td.label{text-align:left;font-weight:bold}
tr.actual td{background:#e8edee;font-style:italic}.scroll{overflow-x:auto}.small{font-size:11px;color:#425563}
img{max-width:100%;border:1px solid #d8dde0}.note{color:#425563;font-size:13px}
pre{background:#f0f4f5;padding:10px;font-size:12px;overflow-x:auto}ul{margin-top:4px}
.scenario{border-left:4px solid #005eb8;padding-left:12px;margin:18px 0}
.comment{color:#425563;margin:6px 0}
"""


def esc(value: Any) -> str:
    return html.escape(str(value))


def table_html(header: list[str], rows: list[tuple[list[str], str]], label_first: bool = True) -> str:
    """An HTML table from already formatted (and escaped) cells; each row carries a CSS class."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for cells, css in rows:
        tds = [
            f'<td class="label">{c}</td>' if i == 0 and label_first else f"<td>{c}</td>"
            for i, c in enumerate(cells)
        ]
        body.append(f'<tr class="{css}">{"".join(tds)}</tr>')
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def image_html(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def board_html(board: pd.DataFrame) -> str:
    months = [c for c in board.columns if c != LABEL]
    rows = []
    for values in board.itertuples(index=False):
        label, *numbers = values
        cells = [esc(label), *("" if pd.isna(v) else f"{int(v):,}" for v in numbers)]
        rows.append((cells, "actual" if str(label).startswith(("Actual", "Projected")) else ""))
    return table_html(["Breaches", *(month_heading(m) for m in months)], rows)


def goals_html(result: ComparisonResult) -> str:
    if result.goals is None:
        return '<p class="note">No goal was given (use <code>--goal "breaches&lt;=0 by 2025-03"</code>).</p>'
    rows = []
    for row in result.goals.itertuples(index=False):
        change = "" if row.scenario == result.baseline else f"{row.change_from_baseline:+.0%}"
        cells = [
            esc(row.scenario),
            f"{row.probability:.0%}",
            f"{row.p_low:.0%} to {row.p_high:.0%}",
            f"{row.met} of {row.replications}",
            change,
        ]
        rows.append((cells, ""))
    header = ["Scenario", "P(goal)", "90% interval", "Replications meeting it", "vs baseline"]
    goal = result.goal
    words = esc(goal.describe()) if goal else ""
    return f"<p>Goal: <b>{esc(goal)}</b> ({words}).</p>" + table_html(header, rows)


def report_months(months: list[str], goal_month: str | None) -> list[str]:
    """Half-year points (September and March month ends), the goal month and the last month."""
    chosen = {m for m in months if m.endswith(("-03", "-09"))} | {months[-1]}
    if goal_month in months:
        chosen.add(goal_month)
    return [m for m in months if m in chosen]


def number(form: str, value: float) -> str:
    """A formatted number with a true minus sign (a hyphen reads as a dash in tables)."""
    return form.format(value).replace("-", "&minus;")


def comparison_html(result: ComparisonResult) -> str:
    table = result.comparison.set_index(["scenario", "month"])
    months = report_months(list(dict.fromkeys(result.comparison["month"])), result.goal and result.goal.month)
    parts = []
    for metric, (title, form) in METRICS.items():
        rows = []
        for name in result.names:
            cells = [esc(name)]
            for month in months:
                row = table.loc[(name, month)]
                text = number(form, row[f"{metric}_p50"])
                if name != result.baseline:
                    low, mean, high = (number(form, row[f"{metric}_diff_{q}"]) for q in DIFF_STATS)
                    text += f'<br><span class="small">{mean} ({low} to {high})</span>'
                cells.append(text)
            rows.append((cells, ""))
        parts.append(f"<h3>{esc(title)}</h3>" + table_html(["Scenario", *map(month_heading, months)], rows))
    return "".join(parts)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to values; lists of sections (workforce, waiting list) by position."""
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = enumerate(value)
    if not items:
        return {prefix[:-1]: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(_flatten(item, f"{prefix}{key}."))
    return flat


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def changed_fields(scenario: Scenario, baseline: Scenario) -> list[tuple[str, str, str]]:
    """(field, baseline value, scenario value) for every field the scenario changes, events aside."""
    mine = _flatten(scenario.config.model_dump(mode="json", exclude={"events"}))
    theirs = _flatten(baseline.config.model_dump(mode="json", exclude={"events"}))
    fields = list(dict.fromkeys([*theirs, *mine]))
    changed = [f for f in fields if mine.get(f) != theirs.get(f)]
    return [(f, _show(theirs.get(f, "")), _show(mine.get(f, ""))) for f in changed]


def describe_event(event: Event) -> str:
    """An event in a board paper's words, as HTML (every name from the scenario file escaped)."""
    if event.add_staff:
        change = event.add_staff
        weeks = change.recruitment_lag_weeks
        lag = f", in post after {weeks:g} weeks' recruitment" if weeks else ""
        return f"+{change.wte:g} WTE {esc(change.role)}{lag}"
    if event.remove_staff:
        return f"&minus;{event.remove_staff.wte:g} WTE {esc(event.remove_staff.role)} (posts vacated)"
    if event.extra_sessions:
        extra = event.extra_sessions
        return (
            f"+{extra.hours_per_week:g} clinical hours a week of {esc(extra.activity)} work "
            f"until {esc(event.until)}"
        )
    if event.validate_list:
        return f"validation exercise removes {event.validate_list.share:.0%} of those waiting"
    changes = "; ".join(f"{esc(k)} = {esc(_show(v))}" for k, v in (event.set or {}).items())
    return f"from this date: {changes}" if changes else "no change"


def header_comment(path: Path | None) -> list[str]:
    """Paragraphs of the comment block at the top of a scenario file: what decision it models."""
    if path is None or not Path(path).exists():
        return []
    paragraphs: list[list[str]] = [[]]
    for line in Path(path).read_text().splitlines():
        if not line.startswith("#"):
            if line.strip() or any(paragraphs):
                break
            continue
        text = line.lstrip("#").strip()
        if text:
            paragraphs[-1].append(text)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [" ".join(p) for p in paragraphs if p]


def event_html(event: Event, baseline: dict[str, Any]) -> str:
    """One event as a list item; a `set` lists each field with its baseline value."""
    label = f" &mdash; <i>{esc(event.label)}</i>" if event.label else ""
    head = f"<li><b>{esc(event.date)}</b>: "
    if not event.set:
        return f"{head}{describe_event(event)}{label}</li>"
    fields = "".join(
        f"<li>{esc(path)}: {esc(_show(get_field(baseline, path)))} &rarr; {esc(_show(value))}</li>"
        for path, value in event.set.items()
    )
    return f"{head}from this date{label}<ul>{fields}</ul></li>"


def assumptions_html(scenario: Scenario, baseline: Scenario) -> str:
    parts = [f'<div class="scenario"><h3>{esc(scenario.name)}</h3>']
    if scenario.path:
        chain = " &rarr; ".join(esc(p.name) for p in scenario.files) or esc(scenario.path)
        parts.append(f'<p class="small">File: {esc(scenario.path)} (built from {chain})</p>')
    parts += [f'<p class="comment">{esc(text)}</p>' for text in header_comment(scenario.path)]
    if scenario.changes:
        swept = ", ".join(f"{esc(k)} = {esc(_show(v))}" for k, v in scenario.changes.items())
        parts.append(f"<p>Value for this run: <b>{swept}</b></p>")
    if scenario is baseline:
        parts.append("<p>The baseline: the service as described, doing nothing new.</p>")
    else:
        changes = changed_fields(scenario, baseline)
        if changes:
            rows = [([esc(f), esc(old), esc(new)], "") for f, old, new in changes]
            header = ["Field", "Baseline", "This scenario"]
            parts.append("<p>Changes from the baseline:</p>" + table_html(header, rows))
    own = [e for e in scenario.config.events if scenario is baseline or e not in baseline.config.events]
    if own:
        reference = baseline.config.model_dump(mode="json")
        items = "".join(event_html(e, reference) for e in own)
        parts.append(f"<p>Dated events:</p><ul>{items}</ul>")
    elif scenario is not baseline and not changed_fields(scenario, baseline):
        parts.append("<p>No changes from the baseline.</p>")
    return "".join(parts) + "</div>"


def render(result: ComparisonResult, charts: dict[str, Path], actuals: pd.DataFrame | None = None) -> str:
    """The report as one HTML string."""
    info = result.manifest
    base = result.scenarios[0]
    service = base.config.service
    title = f"{service.name}: scenarios compared"
    target = f"{service.rtt_target_weeks:g}"
    intro = (
        f"<p>{len(result.scenarios)} scenarios, each simulated {esc(info['replications'])} times on common "
        f"random numbers (seed {esc(info['seed'])}) from {esc(service.start_date)} for "
        f"{service.horizon_months} months. "
        f"Baseline: <b>{esc(result.baseline)}</b>. Breaches are patients waiting over {target} weeks "
        "at month end. Bands are the 10th to 90th centiles across replications; differences from the "
        "baseline are paired within each replication (mean, with the 10th to 90th centile).</p>"
    )
    sections = [
        f"<h1>{esc(title)}</h1>",
        intro,
        "<h2>Probability of meeting the goal</h2>",
        goals_html(result),
        "<h2>Patients waiting over the target</h2>",
        image_html(charts["breaches"], "Breaches fan chart"),
        "<h2>Waiting list</h2>",
        image_html(charts["waiting"], "Waiting list fan chart"),
        "<h2>Board-paper table</h2>",
        f'<p class="note">Patients waiting over {target} weeks at month end; scenario rows are medians '
        "rounded to whole patients. Also in board_table.xlsx.</p>",
        board_html(board_table(result.summary, actuals, result.names)),
        "<h2>Comparison with the baseline</h2>",
        '<p class="note">Median; below it, the mean paired difference from the baseline and its 10th to '
        "90th centile. Every month is in comparison.csv.</p>",
        comparison_html(result),
        "<h2>What each scenario assumes</h2>",
        *(assumptions_html(s, base) for s in result.scenarios),
        "<h2>Run manifest</h2>",
        f"<pre>{html.escape(json.dumps(info, indent=2, default=str), quote=False)}</pre>",
    ]
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def write_report(result: ComparisonResult, out: Path, actuals: pd.DataFrame | None = None) -> Path:
    """Write ``report.html`` into ``out`` (the fan charts must already be there)."""
    charts = {metric: Path(out) / f"{metric}_fan.png" for metric in ("breaches", "waiting")}
    return write_text(render(result, charts, actuals), Path(out) / "report.html")
