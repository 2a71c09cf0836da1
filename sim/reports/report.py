"""A self-contained HTML report of a comparison: one file a director can open, email or print.

Charts are embedded as base64 PNG, so the file needs nothing beside it. Sections, each only
when it has something to show: the answer in words, P(goal) and what the goal takes (with a
goal: first contacts a month needed, for whom, and what each scenario adds), breaches with
trajectories, the board-paper table, trajectory tracking (with actuals), why breaches move,
the waiting list, follow-ups, capacity and demand, queueing theory beside the simulation,
paired differences from the baseline, each scenario's assumptions and the run manifest.
Prints on A4 landscape.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.questions.results import (
    BEHIND,
    INSIDE,
    ON_TRACK,
    OUTSIDE,
    ComparisonResult,
    futures_words,
    note,
    rests_on_words,
)
from sim.reports.board import LABEL, count_text, month_heading
from sim.reports.error_bands import bands_words
from sim.reports.goal_text import goal_html
from sim.reports.labels import points, safe_name, versus_baseline
from sim.reports.long_waiters import long_waiter_html
from sim.reports.report_sections import (
    assumptions_html,
    board_html,
    esc,
    flow_html,
    followup_html,
    image_html,
    table_html,
    theory_html,
    tracking_html,
)
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
th{background:#005eb8;color:#fff;font-weight:bold;text-align:center}td.label{text-align:left;font-weight:bold}
tr.actual td{background:#e8edee;font-style:italic}tr.changed td{background:#fff4c2}
tr.warn td{background:#fde2e1}
tr.total td{font-weight:bold}.scroll{overflow-x:auto}.small{font-size:11px;color:#425563}
img{max-width:100%;border:1px solid #d8dde0}.note{color:#425563;font-size:13px}
pre{background:#f0f4f5;padding:10px;font-size:12px;overflow-x:auto}ul{margin-top:4px}
.scenario{border-left:4px solid #005eb8;padding-left:12px;margin:18px 0}.answer{font-size:15px}
.tidy td{text-align:left}.pair{display:flex;flex-wrap:wrap;gap:8px}.pair img{width:calc(50% - 6px)}
@page{size:A4 landscape;margin:12mm}
@media print{body{max-width:none;margin:0;font-size:11px}.scroll{overflow:visible}table{font-size:10px}
h2{break-before:auto;break-after:avoid}img,table,.scenario{break-inside:avoid}img{max-height:170mm}
pre{white-space:pre-wrap}}
"""


@dataclass
class ReportParts:
    """Tables computed for the report (and written beside it) so they are made once."""

    labels: dict[str, str]
    board: pd.DataFrame
    observed: set[str]
    tracking: pd.DataFrame | None
    flow: pd.DataFrame | None
    theory: pd.DataFrame | None
    long_waiters: pd.DataFrame | None = None  # slots aimed at long waiters (reports.long_waiters)


def answer_html(result: ComparisonResult, labels: dict[str, str], target: float) -> str:
    """Each scenario's answer at the goal month (or the last month), in one sentence each."""
    month = result.goal.month if result.goal else result.comparison["month"].iloc[-1]
    rows = result.comparison[result.comparison["month"] == month].set_index("scenario")
    goals = result.goals.set_index("scenario") if result.goals is not None else None
    items = []
    for name in result.names:
        row = rows.loc[name]
        text = (
            f"<b>{esc(labels[name])}</b>: {count_text(row['breaches_p50'])} waiting over {target:g} weeks "
            f"(middle 80% of simulated futures: {count_text(row['breaches_p10'])} to "
            f"{count_text(row['breaches_p90'])}"
        )
        if "breaches_p10_with_model_error" in row:
            text += (f"; {count_text(row['breaches_p10_with_model_error'])} to "
                     f"{count_text(row['breaches_p90_with_model_error'])} with the model's real-world error")
        text += ")"
        if name != result.baseline:
            text += f", {versus_baseline(row['breaches_diff_mean'])}"
        if goals is not None:
            row_goal = goals.loc[name]
            alone = int(row_goal["met_simulation_only"]) if "met_simulation_only" in row_goal else None
            with_error = bool(row_goal.get("model_error", False))
            text += "; meets the goal " + esc(
                futures_words(int(row_goal["met"]), int(row_goal["replications"]), with_error, alone)
            )
        items.append(f"<li>{text}.</li>")
    rests = rests_on_words(result.rests_on)
    return (
        f'<p class="answer">At the end of {month_heading(month)}:</p><ul class="answer">{"".join(items)}</ul>'
        + (f'<p class="note">{esc(rests)}</p>' if rests else "")
    )


def goals_html(result: ComparisonResult, labels: dict[str, str]) -> str:
    rows = []
    for row in result.goals.itertuples(index=False):
        change = "" if row.scenario == result.baseline else points(row.change_from_baseline)
        cells = [
            esc(labels[row.scenario]),
            f"{row.probability:.0%}",
            f"{row.p_low:.0%} to {row.p_high:.0%}",
            f"{row.met} of {row.replications}",
            f"{getattr(row, 'met_simulation_only', row.met)} of {row.replications}",
            change,
        ]
        rows.append((cells, ""))
    header = ["Scenario", "P(goal)", "90% interval", "Futures meeting it", "In the simulation alone",
              "vs baseline"]
    goal = result.goal
    target = result.scenarios[0].config.service.rtt_target_weeks
    says = note(result.manifest.get("model_error"), goal.metric, target)
    return (f"<p>Goal: <b>{esc(goal)}</b> ({esc(goal.describe())}).</p>" + table_html(header, rows)
            + f'<p class="note">{esc(says)}</p>')


def number(form: str, value: float) -> str:
    """A formatted number with a true minus sign and no negative zero."""
    text = form.format(value)
    if text.lstrip("-").replace("0", "").strip(".,") == "":
        text = text.lstrip("-")
    return text.replace("-", "&minus;")


def comparison_html(result: ComparisonResult, months: list[str], labels: dict[str, str]) -> str:
    table = result.comparison.set_index(["scenario", "month"])
    parts = []
    for metric, (title, form) in METRICS.items():
        rows = []
        for name in result.names:
            cells = [esc(labels[name])]
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


STATUS_NOTE = (
    f"<b>{ON_TRACK}</b>: the actual is at or below the trajectory; <b>{BEHIND}</b>: above it; "
    f"<b>{OUTSIDE}</b>: the actual is below the 10th or above the 90th centile of the simulated "
    f"futures for that month (whatever the trajectory says: the model does not explain that month); "
    f"<b>{INSIDE}</b>: no trajectory value that month. Every scenario: trajectory_tracking.csv."
)
THEORY_NOTE = (
    "The closed forms of Fong and Walton (as in the NHS-R NHSRwaitinglist package), applied to each "
    "scenario's demand (accepted referrals needing a first contact, as simulated) and the first contacts "
    "its job plans offer: staff in post and recruited (new starters ramping up), each role's new-assessment "
    "share of clinical time after non-clinical time, leave, sickness, turnover vacancies and bank holidays, "
    "divided by the first appointment's minutes and kept for those who attend (from the service file, not "
    "from the simulation). Weekly means over the last 12 months. Target queue = demand x target/4; "
    "relief capacity = demand + (queue - target queue) / weeks to the goal month (or six months); "
    "pressure = 2 x mean wait of those waiting / target (above 1: the target will most likely be missed). "
    "Where they disagree with the simulation the sentence says so and why: the formulas assume steady "
    "rates and one queue, while in the simulation follow-ups due come first, unused time flexes to new "
    "assessments, patients are removed by validation, and leave, vacancies and seasons fall unevenly. "
    "Every figure: waiting_list_theory.csv."
)


def render(
    result: ComparisonResult, charts: dict[str, Path], parts: ReportParts, actuals: pd.DataFrame | None = None
) -> str:
    """The report as one HTML string."""
    info = result.manifest
    base = result.scenarios[0]
    service = base.config.service
    target = service.rtt_target_weeks
    labels = parts.labels
    months = [c for c in parts.board.columns if c != LABEL]
    title = f"{service.name}: scenarios compared"
    intro = (
        f"<p>{len(result.scenarios)} scenarios, each simulated {info['replications']} times on common "
        f"random numbers (seed {info['seed']}) from {month_heading(str(service.start_date)[:7])} for "
        f"{service.horizon_months} months. Baseline: <b>{esc(labels[result.baseline])}</b>. Breaches are "
        f"patients waiting over {target:g} weeks at month end. Bands are the 10th to 90th centiles across "
        "simulated futures; differences from the baseline are paired within each future.</p>"
    )
    sections = [f"<h1>{esc(title)}</h1>", intro, answer_html(result, labels, target)]
    if result.goals is not None:
        sections += ["<h2>Probability of meeting the goal</h2>", goals_html(result, labels)]
        sections += ["<h2>What the goal takes</h2>", goal_html(result.goal_capacity, labels)]
    sections += [
        "<h2>Patients waiting over the target</h2>",
        image_html(charts["breaches"], "Breaches fan chart"),
        "<h2>Board-paper table</h2>",
        f'<p class="note">Patients waiting over {target:g} weeks at month end: scenario rows give the median '
        "and, below it, the 10th to 90th centile across futures. Also in board_table.xlsx (every "
        f"month: sheet Monthly and board_table_monthly.csv). {esc(bands_words(result, labels))}</p>",
        board_html(parts.board, parts.observed, f"Waiting over {target:g} weeks"),
    ]
    if result.costs is not None:
        from sim.reports.costs import cost_html

        sections += ["<h2>Staff cost beside effect</h2>", cost_html(result.costs, labels)]
    if parts.long_waiters is not None:
        sections += [
            "<h2>Capacity aimed at long waiters</h2>",
            long_waiter_html(parts.long_waiters, labels, result.baseline, target),
        ]
    if parts.tracking is not None and not parts.tracking.empty:
        sections += [
            "<h2>Actuals against the trajectory and the model</h2>",
            tracking_html(parts.tracking, result.baseline, labels[result.baseline]),
            f'<p class="note">{STATUS_NOTE}</p>',
        ]
    if parts.flow is not None:
        sections += [
            "<h2>Why breaches move</h2>",
            '<p class="note">Mean over simulated futures: breaches at the start of each period, patients '
            "whose wait passed the target, and breaching patients who left the count. "
            "Every month: breach_flow.csv.</p>",
            image_html(charts["breach_flow"], "Breach flow chart"),
            flow_html(parts.flow, months, labels),
        ]
    sections += [
        "<h2>Waiting list</h2>",
        image_html(charts["waiting"], "Waiting list fan chart"),
    ]
    if "followup_overdue" in charts:
        sections += [
            "<h2>Follow-ups overdue</h2>",
            image_html(charts["followup_overdue"], "Follow-ups overdue"),
            followup_html(result.summary, result.names, months, labels),
        ]
    sections.append("<h2>Capacity and demand</h2>")
    sections += [
        image_html(charts[f"capacity:{n}"], f"Capacity and demand: {labels[n]}") for n in result.names
    ]
    if parts.theory is not None:
        sections += [
            "<h2>Queueing theory beside the simulation</h2>",
            f'<p class="note">{THEORY_NOTE}</p>',
            theory_html(parts.theory, labels, target),
        ]
    sections += [
        "<h2>Comparison with the baseline</h2>",
        '<p class="note">Median; below it, the mean paired difference from the baseline and its 10th to '
        "90th centile. Every month is in comparison.csv.</p>",
        comparison_html(result, months, labels),
        "<h2>What each scenario assumes</h2>",
        *(assumptions_html(s, base, labels[s.name]) for s in result.scenarios),
        "<h2>Run manifest</h2>",
        f"<pre>{html.escape(json.dumps(info, indent=2, default=str), quote=False)}</pre>",
    ]
    body = "\n".join(sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def write_report(
    result: ComparisonResult, out: Path, parts: ReportParts, actuals: pd.DataFrame | None = None
) -> Path:
    """Write ``report.html`` into ``out`` (the charts must already be there)."""
    out = Path(out)
    charts = {m: out / f"{m}_fan.png" for m in ("breaches", "waiting", "followup_overdue")}
    charts = {k: v for k, v in charts.items() if v.exists()}
    charts["breach_flow"] = out / "breach_flow.png"
    charts.update({f"capacity:{n}": out / f"capacity_demand_{safe_name(n)}.png" for n in result.names})
    return write_text(render(result, charts, parts, actuals), out / "report.html")
