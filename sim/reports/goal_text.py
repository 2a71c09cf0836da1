"""What the goal takes, in the service's words: the console's lines, the explorer's and the report's.

One wording for every output (``questions.goal_capacity`` computes the figures): whole first
contacts a month, months as "Dec 2025", loads as percentages, roles as "Band 6".
"""

from __future__ import annotations

import math

import pandas as pd

from sim.questions.results import Aim, GoalCapacity
from sim.reports.board import count_text, month_heading
from sim.reports.labels import plain
from sim.reports.report_sections import esc, role_name, table_html

NOT_ANSWERED = (
    "What the goal takes is worked out for goals on patients over the target (breaches) or the "
    "longest wait (max_wait_weeks) held at or below a number."
)
ASSUMPTIONS = (
    "Closed forms from the service files, not the simulation: patients seen in turn (first come, first "
    "served), nobody leaving the list unseen, demand and first contacts offered at their expected rates."
)


def aim_words(aim: Aim) -> str:
    """ "no one waiting over 14 weeks at the end of Dec 2025" """
    who = "no one" if aim.allowed == 0 else f"at most {aim.allowed:g}"
    when = f"at the end of {month_heading(aim.month)}"
    if aim.mode == "from":
        when = f"at every month end from {month_heading(aim.month)}"
    return f"{who} waiting over {aim.target_weeks:g} weeks {when}"


def holds_share(factor: float) -> str:
    """Share of month ends a sustainable list keeps the goal (98% for factor 4)."""
    return f"{1 - math.exp(-factor):.0%}"


def clear_words(row: pd.Series) -> str:
    months = row["time_to_clear_months"]
    if row["excess_list"] <= 0:
        return "the list is already within its sustainable size"
    if math.isinf(months):
        return "the excess never clears"
    when = "within a month" if months < 1 else f"in about {months:,.0f} months"
    return f"the excess of {count_text(row['excess_list'])} clears {when}"


def load_words(row: pd.Series) -> str:
    """After the changes: the load, and the load warning when demand exceeds capacity."""
    span = f"{month_heading(row['settled_from'])} to {month_heading(row['settled_to'])}"
    demand, offered = (
        count_text(row["demand_settled_per_month"]),
        count_text(row["offered_settled_per_month"]),
    )
    load = f"{row['load_settled']:.0%} of what the job plans offer"
    if row["load_warning"]:
        grows = count_text(-row["surplus_settled_per_month"])
        return (
            f"LOAD WARNING: after the changes ({span}) demand is {load} ({demand} against {offered} a "
            f"month), so the list grows by about {grows} a month"
        )
    return f"after the changes ({span}) demand is {load}, so {clear_words(row)}"


def steady_words(row: pd.Series) -> str:
    capacity = count_text(row["steady_state_capacity_per_month"])
    offered = count_text(row["offered_settled_per_month"])
    if row["holds_in_steady_state"]:
        return f"in steady state the target holds with {capacity} a month (it offers {offered})"
    return f"it offers {offered} a month, below the {capacity} at which the target holds in steady state"


def adds_words(row: pd.Series, roles: list[str]) -> str:
    """ "adds 30 a month (Band 6 +26; follow-ups take 5 fewer)" """
    parts = []
    for role in roles:
        change = row[f"adds_{role}_per_month"]
        if count_text(abs(change)) != "0":
            parts.append(f"{role_name(role)} {'+' if change > 0 else '-'}{count_text(abs(change))}")
    sessions = row.get("adds_sessions_per_month", 0.0)
    if count_text(abs(sessions)) != "0":
        parts.append(f"extra sessions {'+' if sessions > 0 else '-'}{count_text(abs(sessions))}")
    freed = row["adds_from_followups_per_month"]
    if count_text(abs(freed)) != "0":
        parts.append(f"follow-ups take {count_text(abs(freed))} {'fewer' if freed > 0 else 'more'}")
    adds = row["adds_per_month"]
    if count_text(abs(adds)) == "0" and not parts:
        return "adds no first contacts"
    verb = "adds" if adds >= 0 else "takes away"
    return f"{verb} {count_text(abs(adds))} a month" + (f" ({'; '.join(parts)})" if parts else "")


def short_words(short: float) -> str:
    if count_text(short) == "0":
        return "just enough"
    return f"{count_text(short)} a month short" if short > 0 else f"{count_text(-short)} a month to spare"


def roles_of(summary: pd.DataFrame) -> list[str]:
    return [
        c[len("adds_") : -len("_per_month")]
        for c in summary.columns
        if c.startswith("adds_")
        and c not in ("adds_per_month", "adds_from_followups_per_month", "adds_sessions_per_month")
    ]


def need_sentence(row: pd.Series, aim: Aim) -> str:
    extra = row["extra_needed_per_month"]
    offers = f"The service offers {count_text(row['baseline_offered_per_month'])} a month: " + (
        f"{count_text(extra)} a month more are needed."
        if count_text(extra) != "0" and extra > 0
        else "enough" + (f", with {count_text(-extra)} to spare." if count_text(-extra) != "0" else ".")
    )
    needed, long = count_text(row["needed_per_month"]), count_text(row["needed_long_waiters_per_month"])
    return (
        f"{count_text(row['demand_per_month'])} accepted referrals a month need a first contact, and the "
        f"{count_text(row['list_now'])} waiting now must come down to {count_text(row['sustainable_list'])} "
        f"(the list at which the target holds at {holds_share(row['factor'])} of month ends): that takes "
        f"{needed} first contacts a month to {month_heading(aim.month)} ({row['months_to_goal']} months), "
        f"{long} of them for the {count_text(row['long_waiters'])} who would otherwise be over "
        f"{aim.target_weeks:g} weeks by then. {offers}"
    )


def scenario_sentence(row: pd.Series, label: str, baseline: pd.Series, aim: Aim, roles: list[str]) -> str:
    first = (
        f"offers {count_text(row['offered_per_month'])} a month"
        if row is baseline
        else adds_words(row, roles)
    )
    if abs(row["needed_per_month"] - baseline["needed_per_month"]) >= 0.5:
        needed, demand = count_text(row["needed_per_month"]), count_text(row["demand_per_month"])
        first += f", needs {needed} a month (its demand is {demand})"
    text = f"{label}: {first}, {short_words(row['short_per_month'])}; {load_words(row)}"
    if not row["load_warning"]:
        text += f"; {steady_words(row)}"
    if "simulated_seen_per_month" in row and pd.notna(row["simulated_seen_per_month"]):
        text += (
            f" (simulated: {count_text(row['simulated_seen_per_month'])} first contacts a month to "
            f"{month_heading(aim.month)}, {count_text(row['simulated_breaches_at_goal_p50'])} over "
            f"{aim.target_weeks:g} weeks then"
        )
        # Seeing well under what was offered and needed is the simulation's own finding (follow-ups
        # first, flexing, uneven absences), explained beside the closed forms, not here.
        seen = row["simulated_seen_per_month"]
        if seen < 0.9 * min(row["offered_per_month"], row["needed_per_month"]):
            text += ": fewer than the job plans offer, for the reasons under Queueing theory in the report"
        elif seen > 1.1 * row["offered_per_month"]:
            text += (
                ": more than the job plans offer, as flexible job plans give new assessments the time "
                "planned for triage or follow-ups that nobody needs"
            )
        text += ")"
    return text


def goal_lines(capacity: GoalCapacity | None, labels: dict[str, str]) -> list[str]:
    """The console's answer: a heading, what is needed, then one line per scenario."""
    if capacity is None:
        return [NOT_ANSWERED]
    aim, summary = capacity.aim, capacity.summary
    rows = [row for _, row in summary.iterrows()]
    baseline, roles = rows[0], roles_of(summary)
    lines = [
        f"What the goal takes ({aim_words(aim)}), from the service files, with patients seen in turn:",
        f"  Needed: {need_sentence(baseline, aim)}",
    ]
    lines += [
        f"  {scenario_sentence(r, labels.get(r['scenario'], r['scenario']), baseline, aim, roles)}."
        for r in rows
    ]
    return lines


GOAL_NOTE = (
    "Needed = demand + (list now &minus; sustainable list) / months to the goal month, and never fewer than "
    "the long waiters: everyone who would otherwise have waited over the target by the end of the goal month "
    "(the starting list by weeks waited, spread evenly within each band, and earlier referrals), less those "
    "the goal allows over it (the BNSSG RTT Planner's shortfall). With even flows a list of L seen in turn "
    "means the newest joiner waits L / demand (Little's law), so the goal needs a list of at most demand "
    "&times; target + those allowed over (the ceiling); referrals and clinics are not even, and near "
    "capacity a steady list is about exponentially distributed (Kingman), so the sustainable list is a "
    "quarter of the ceiling: above it at only e<sup>&minus;4</sup> (2%) of month ends. Time to clear = "
    "(list now &minus; sustainable list) / (offered &minus; demand) after the changes (the last 12 months). "
    "Steady-state capacity: Kingman's mean wait (cv<sub>demand</sub><sup>2</sup> + cv<sub>capacity</sub>"
    "<sup>2</sup>) / 2 / (capacity &minus; demand) set to the sustainable list / demand, cv 1 for both "
    "(Fong &amp; Walton's target capacity when nobody is allowed over). Offered is after follow-up time "
    "(follow-ups due that take new-patient time, caseload first). Capacity is given oldest first, so the "
    "extra falls on the shortest waits among those who must be seen. Validation and removals would lower "
    "the need; booking urgent first or by weeks waited, flexible job plans and uneven absences make the "
    "simulation differ (its figures are beside). Every figure: goal_capacity.csv and "
    "goal_capacity_by_wait.csv."
)


def _short_cell(value: float) -> str:
    if count_text(value) == "0":
        return "0"
    return count_text(value) if value > 0 else f"{count_text(-value)} spare"


def summary_html(capacity: GoalCapacity, labels: dict[str, str]) -> str:
    header = [
        "Scenario",
        "Demand a month",
        "Needed a month",
        "Of which long waiters",
        "Offered a month",
        "Adds a month",
        "Short a month",
        "Load after the changes",
        "Time to clear (months)",
        "Sustainable list",
        "Steady-state capacity a month",
        "Simulated first contacts a month",
    ]
    rows = []
    for _, row in capacity.summary.iterrows():
        months = row["time_to_clear_months"]
        clear = "0" if row["excess_list"] <= 0 else ("never" if math.isinf(months) else plain(months))
        cells = [
            esc(labels.get(row["scenario"], row["scenario"])),
            count_text(row["demand_per_month"]),
            count_text(row["needed_per_month"]),
            count_text(row["needed_long_waiters_per_month"]),
            count_text(row["offered_per_month"]),
            count_text(row["adds_per_month"]),
            _short_cell(row["short_per_month"]),
            f"{row['load_settled']:.0%}",
            clear,
            count_text(row["sustainable_list"]),
            count_text(row["steady_state_capacity_per_month"]),
            count_text(row.get("simulated_seen_per_month", float("nan"))),
        ]
        rows.append((cells, "warn" if row["load_warning"] else ""))
    return table_html(header, rows)


def bands_html(capacity: GoalCapacity, labels: dict[str, str]) -> str:
    """Who must be seen by the goal month, by weeks waited at the start, and where the extra falls."""
    aim, bands = capacity.aim, capacity.bands
    names = list(dict.fromkeys(bands["scenario"]))
    base = bands[bands["scenario"] == names[0]].reset_index(drop=True)
    month = month_heading(aim.month)
    header = [
        "Weeks waited at the start",
        "Waiting now",
        f"Over {aim.target_weeks:g} weeks by {month} unless seen",
        "Must be seen a month",
        "Extra a month beyond what the service offers",
        *(f"Short a month: {esc(labels.get(n, n))}" for n in names[1:]),
    ]
    shorts = {n: bands[bands["scenario"] == n]["short_per_month"].to_numpy() for n in names[1:]}
    rows = []
    for i, row in base.iterrows():
        cells = [
            esc(row["group"]),
            count_text(row["waiting_now"]),
            "" if row["kind"] == "others" else count_text(row["over_target"]),
            count_text(row["needed_per_month"]),
            count_text(row["extra_per_month"]),
            *(count_text(shorts[n][i]) if i < len(shorts[n]) else "" for n in names[1:]),
        ]
        rows.append((cells, ""))
    total = [
        "Total",
        count_text(base["waiting_now"].sum()),
        count_text(base["over_target"].sum()),
        count_text(base["needed_per_month"].sum()),
        count_text(base["extra_per_month"].sum()),
        *(count_text(shorts[n].sum()) for n in names[1:]),
    ]
    rows.append((total, "total"))
    return table_html(header, rows)


def goal_html(capacity: GoalCapacity | None, labels: dict[str, str]) -> str:
    """The report's section: sentences, the table per scenario and the table by weeks waited."""
    if capacity is None:
        return f'<p class="note">{esc(NOT_ANSWERED)}</p>'
    lines = goal_lines(capacity, labels)
    items = "".join(f"<li>{esc(line.strip())}</li>" for line in lines[1:])
    return (
        f"<p>{esc(lines[0])}</p><ul>{items}</ul>{summary_html(capacity, labels)}"
        f"<h3>Who must be seen by {month_heading(capacity.aim.month)}, by weeks waited</h3>"
        f'{bands_html(capacity, labels)}<p class="note">{GOAL_NOTE}</p>'
    )
