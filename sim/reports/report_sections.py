"""Sections of report.html: HTML fragments built from tables the questions computed.

Every fragment escapes its text, writes months as "Apr 2024", counts without a negative
zero, and changes in probability as percentage points.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.events import Event
from sim.engine.sweep import Scenario, get_field
from sim.questions.results import FLOW_WORDS as WORDS
from sim.questions.results import OUTSIDE
from sim.reports.board import LABEL, count_text, month_heading, series_label
from sim.reports.labels import plain, signed
from sim.reports.setting_words import role_name, setting_name, setting_value


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


def band_cell(text: str) -> str:
    """ "460 (365-532)" as the median over a small band line."""
    if " (" not in text:
        return esc(text)
    median, band = text.split(" (", 1)
    return f'{esc(median)}<br><span class="small">({esc(band)}</span>'


def board_html(board: pd.DataFrame, observed: set[str], heading: str) -> str:
    months = [c for c in board.columns if c != LABEL]
    rows = []
    for values in board.itertuples(index=False):
        label, *cells = values
        rows.append(([esc(label), *(band_cell(c) for c in cells)], "actual" if label in observed else ""))
    return table_html([esc(heading), *(month_heading(m) for m in months)], rows)


def tracking_html(tracking: pd.DataFrame, baseline: str, label: str) -> str:
    rows = []
    shown = tracking[tracking["scenario"] == baseline]
    for row in shown.itertuples(index=False):
        css = "warn" if row.status == OUTSIDE else ""
        trajectory = series_label(row.trajectory) if row.trajectory else "(none given)"
        cells = [
            month_heading(row.month),
            count_text(row.actual),
            esc(trajectory),
            count_text(row.trajectory_value),
            f"{count_text(row.model_p50)} ({count_text(row.model_p10)}-{count_text(row.model_p90)})",
            f"<b>{esc(row.status)}</b>",
        ]
        rows.append((cells, css))
    header = ["Month", "Actual", "Trajectory", "Trajectory value", f"Model: {esc(label)}", "Status"]
    return table_html(header, rows, label_first=False)


def flow_periods(flow: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """The monthly flow gathered into the periods ending at each board month."""
    frames = []
    for name, rows in flow.groupby("scenario", sort=False):
        rows = rows.reset_index(drop=True)
        start = 0
        for month in months:
            end = rows.index[rows["month"] == month][0]
            part = rows.iloc[start : end + 1]
            frames.append(
                {
                    "scenario": name,
                    "from": part["month"].iloc[0],
                    "to": month,
                    "opening": part["opening"].iloc[0],
                    "closing": part["closing"].iloc[-1],
                    **{c: part[c].sum() for c in ("crossing", "seen", "removed", "other")},
                }
            )
            start = end + 1
            if start >= len(rows):
                break
    return pd.DataFrame(frames)


def flow_html(flow: pd.DataFrame, months: list[str], labels: dict[str, str]) -> str:
    periods = flow_periods(flow, months)
    parts = []
    for name, rows in periods.groupby("scenario", sort=False):
        header = [
            "",
            *(
                f"{month_heading(r['from'])} to {month_heading(r['to'])}"
                if r["from"] != r["to"]
                else month_heading(r["to"])
                for _, r in rows.iterrows()
            ),
        ]
        body = []
        for column in ("opening", "crossing", "seen", "removed", "other", "closing"):
            sign = {"crossing": "+", "seen": "&minus;", "removed": "&minus;", "other": "&minus;"}.get(
                column, ""
            )
            cells = [
                esc(WORDS[column]),
                *((sign if plain(v) != "0" else "") + plain(v) for v in rows[column]),
            ]
            body.append((cells, "total" if column in ("opening", "closing") else ""))
        parts.append(f"<h3>{esc(labels.get(name, name))}</h3>" + table_html(header, body))
    return "".join(parts)


def followup_html(summary: pd.DataFrame, names: list[str], months: list[str], labels: dict[str, str]) -> str:
    """Follow-ups overdue (and any follow-up wait columns the run has) at the board months."""
    metrics = [("followup_overdue", "Follow-ups overdue", 0)]
    for column in sorted(c[: -len("_p50")] for c in summary.columns if c.endswith("_p50")):
        if column.startswith("followup_") and column.endswith("_weeks"):
            words = column.removeprefix("followup_").removesuffix("_weeks").replace("_", " ")
            metrics.append((column, f"Follow-up wait, {words} (weeks)", 1))
    parts = []
    table = summary.set_index(["scenario", "month"])
    for column, title, digits in metrics:
        rows = []
        for name in names:
            cells = [esc(labels.get(name, name))]
            for month in months:
                row = table.loc[(name, month)]
                low, mid, high = (plain(row[f"{column}_{q}"], digits) for q in ("p10", "p50", "p90"))
                cells.append(f'{mid}<br><span class="small">({low}-{high})</span>')
            rows.append((cells, ""))
        parts.append(f"<h3>{esc(title)}</h3>" + table_html(["Scenario", *map(month_heading, months)], rows))
    return "".join(parts)


def theory_sentence(row: Any, label: str, target: float) -> str:
    """What the formulas say for one scenario, what the simulation found, and why they differ."""
    grows = "grows" if row.load > 1 else "can shrink"
    when = month_heading(row.relief_by)
    enough = row.capacity_until_relief_per_week >= row.relief_capacity_per_week
    theory = (
        f"<p><b>{esc(label)}</b>: {row.demand_per_week:.1f} accepted referrals a week need a first contact "
        f"and the job plans offer {row.capacity_per_week:.1f} (load {row.load:.2f}), so in theory the list "
        f"{grows}. To bring it from {plain(row.queue_at_start)} to the {plain(row.target_queue_size)} that "
        f"meets the target (mean wait {row.target_mean_wait_weeks:g} weeks, a quarter of {target:g}) by "
        f"{when} needs {row.relief_capacity_per_week:.1f} a week; the job plans offer "
        f"{row.capacity_until_relief_per_week:.1f} a week until then: "
        f"{'enough' if enough else 'not enough'}. "
    )
    simulated = (
        f"The simulation has {plain(row.simulated_queue_p50)} waiting in {when} (median), "
        f"{plain(row.simulated_breaches_p50)} of them over {target:g} weeks. "
    )
    verdict = (
        "Over the last 12 months theory and simulation agree."
        if row.agreement == "agree"
        else f"<b>They disagree</b>: {esc(row.agreement)}."
    )
    return theory + simulated + verdict + "</p>"


def theory_html(theory: pd.DataFrame, labels: dict[str, str], target: float) -> str:
    header = [
        "Scenario",
        "Demand a week",
        "First contacts offered a week",
        "Load",
        "Target queue",
        "Queue at start",
        "Relief capacity a week",
        "Pressure at start",
        "Simulated queue",
        "Simulated pressure",
    ]
    rows = []
    for row in theory.itertuples(index=False):
        cells = [
            esc(labels.get(row.scenario, row.scenario)),
            f"{row.demand_per_week:.1f}",
            f"{row.capacity_per_week:.1f}",
            f"{row.load:.2f}",
            plain(row.target_queue_size),
            plain(row.queue_at_start),
            f"{row.relief_capacity_per_week:.1f}",
            f"{row.pressure_at_start:.2f}",
            plain(row.simulated_queue_p50),
            f"{row.simulated_pressure:.2f}",
        ]
        rows.append((cells, ""))
    sentences = "".join(
        theory_sentence(row, labels.get(row.scenario, row.scenario), target) for row in theory.itertuples()
    )
    return table_html(header, rows) + sentences


# ----- assumptions -------------------------------------------------------------------------


def show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)


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


def changed_fields(scenario: Scenario, baseline: Scenario) -> list[tuple[str, str, str]]:
    """(field, baseline value, scenario value) for every field the scenario changes, events aside."""
    exclude = {"events", "title"}
    mine = _flatten(scenario.config.model_dump(mode="json", exclude=exclude))
    theirs = _flatten(baseline.config.model_dump(mode="json", exclude=exclude))
    fields = list(dict.fromkeys([*theirs, *mine]))
    return [
        (f, show(theirs.get(f, "")), show(mine.get(f, ""))) for f in fields if mine.get(f) != theirs.get(f)
    ]


def describe_event(event: Event, baseline: dict[str, Any] | None = None) -> str:
    """An event in a board paper's words."""
    if event.add_staff:
        change = event.add_staff
        weeks = change.recruitment_lag_weeks
        lag = f", in post after {weeks:g} weeks' recruitment" if weeks else ""
        return f"+{change.wte:g} WTE {esc(role_name(change.role))}{lag}"
    if event.remove_staff:
        lost = event.remove_staff
        return f"&minus;{lost.wte:g} WTE {esc(role_name(lost.role))} (posts vacated)"
    if event.extra_sessions:
        extra = event.extra_sessions
        until = month_heading(str(event.until)[:7]) if event.until else "the end"
        return f"+{extra.hours_per_week:g} clinical hours a week of {esc(extra.activity)} work until {until}"
    if event.recruitment_freeze:
        roles = event.recruitment_freeze.roles
        who = ", ".join(esc(role_name(r)) for r in roles) if roles else "all roles"
        until = month_heading(str(event.until)[:7])
        return f"recruitment freeze ({who}): leavers not replaced until {until}, then the usual lag"
    if event.validate_list:
        return f"validation exercise removes {event.validate_list.share:.0%} of those waiting"
    if event.validation_sweep:
        sweep = event.validation_sweep
        among = f" waiting {sweep.min_weeks_waited:g}+ weeks" if sweep.min_weeks_waited else " waiting"
        apart = f"each of {sweep.rounds} rounds {sweep.every_weeks or 0:g} weeks apart"
        rounds = apart if sweep.rounds > 1 else "one round"
        return (
            f"validation sweep: {sweep.stale_share:.0%} of those{among} taken as stale; "
            f"{sweep.find_share:.0%} of the stale not yet found removed in {rounds}"
        )
    changes = "; ".join(_set_words(k, v, baseline) for k, v in (event.set or {}).items())
    return changes or "no change"


def _set_words(path: str, value: Any, baseline: dict[str, Any] | None) -> str:
    """A setting changed from a date, named and valued in words ("Referral volume multiplier:
    1 &rarr; 1.25"); without the baseline, only what it becomes."""
    before = get_field(baseline, path) if baseline else None
    after = esc(setting_value(path, value))
    if before is None:
        return f"{esc(setting_name(path))} becomes {after}"
    return f"{esc(setting_name(path))}: {esc(setting_value(path, before))} &rarr; {after}"


def key_assumptions(scenario: Scenario) -> list[tuple[str, str]]:
    """The few numbers a reader checks first."""
    config = scenario.config
    staff: dict[str, float] = {}
    for group in config.workforce:
        staff[group.role] = staff.get(group.role, 0.0) + group.wte
    rows = [
        (
            "Referrals a month (before seasonality)",
            f"{config.demand.monthly_rate * config.demand.multiplier:g}",
        ),
        ("Referral growth a year", f"{config.demand.annual_trend:.0%}"),
        ("Target (weeks)", f"{config.service.rtt_target_weeks:g}"),
    ]
    rows += [(f"{role_name(r)} WTE in post at the start", f"{w:g}") for r, w in staff.items()]
    rows += [
        (f"{role_name(r)} time not with patients", f"{p.non_clinical_share:.0%}")
        for r, p in config.job_plans.items()
        if r in staff
    ]
    return rows


def assumptions_html(scenario: Scenario, baseline: Scenario, label: str) -> str:
    """A tidy table: key numbers, every changed field and every dated event; differences shaded."""
    theirs = dict(key_assumptions(baseline))
    rows = []
    for what, value in key_assumptions(scenario):
        rows.append(
            (
                [esc(what), esc(theirs.get(what, "")), esc(value)],
                "changed" if theirs.get(what) != value else "",
            )
        )
    shown = {r[0][0] for r in rows}
    for field, old, new in changed_fields(scenario, baseline):
        if field not in shown:
            rows.append(([esc(setting_name(field)), esc(old), esc(new)], "changed"))
    reference = baseline.config.model_dump(mode="json")
    for event in scenario.config.events:
        own = scenario is baseline or event not in baseline.config.events
        when = f"From {event.date.day} {month_heading(str(event.date)[:7])}"
        text = describe_event(event, reference) + (f" <i>({esc(event.label)})</i>" if event.label else "")
        rows.append(
            (
                [esc(when), "" if own else text, text if own or scenario is not baseline else text],
                "changed" if own and scenario is not baseline else "",
            )
        )
    header = ["Assumption", "Baseline", "This scenario"]
    if scenario is baseline:
        header, rows = header[::2], [([c[0], c[2]], css) for c, css in rows]
    note = (
        "the baseline: the service as described, doing nothing new"
        if scenario is baseline
        else ("shaded rows differ from the baseline")
    )
    return (
        f'<div class="scenario"><h3>{esc(label)}</h3><p class="small">{esc(scenario.name)}.yaml; '
        f"{note}.</p>{table_html(header, rows)}</div>"
    )


def signed_count(value: float) -> str:
    return signed(value).replace("-", "&minus;")
