"""What aiming capacity at long waiters does: breaches, and the short waiters who pay for it.

A scenario that reserves first-contact slots for patients waiting over N weeks
(``access_policy.long_waiters``) sees no more patients than its baseline, only different ones.
So its effect is shown on both sides: breaches (patients over the target) and the patients
waiting within the target, whose waits lengthen, each with its paired difference from the
baseline over the same simulated futures, and the median wait. Shown only when a scenario in
the comparison uses the lever.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.engine.config import ServiceConfig
from sim.reports.board import count_text, month_heading
from sim.reports.labels import versus_baseline
from sim.reports.report_sections import esc, table_html

LEVER = "access_policy.long_waiters"


def lever_words(config: ServiceConfig) -> str | None:
    """The lever in words ("30% of first contacts for patients waiting over 14 weeks, from Jun 2024"),
    or None when the scenario never aims slots at long waiters."""
    said = []
    lever = config.access_policy.long_waiters
    if lever is not None:
        said.append(_words(lever.share, lever.over_weeks, None))
    for event in sorted(config.events, key=lambda e: e.date):
        value = _dated_lever(event.set or {})
        if value is not None:
            given = value or {}
            words = _words(given.get("share"), given.get("over_weeks"), event.date.strftime("%b %Y"))
            said.append(words if value else f"none from {event.date.strftime('%b %Y')}")
    return "; ".join(said) if said else None


def _dated_lever(changes: dict[str, Any]) -> dict | bool | None:
    """The lever a dated `set` gives (False when it switches it off; None when it is not named)."""
    if LEVER in changes:
        return changes[LEVER] or False
    policy = changes.get("access_policy")
    if isinstance(policy, dict) and "long_waiters" in policy:
        return policy["long_waiters"] or False
    return None


def _words(share: Any, over: Any, since: str | None) -> str:
    what = f"{float(share):.0%} of first contacts" if share is not None else "first contacts"
    who = f" for patients waiting over {float(over):g} weeks" if over is not None else " for long waiters"
    return what + who + (f", from {since}" if since else "")


def long_waiter_table(result: Any, months: list[str]) -> pd.DataFrame | None:
    """Per scenario and month: median breaches, patients within target and median wait, with the
    mean paired difference from the baseline; None when no scenario uses the lever."""
    aimed = {s.name: lever_words(s.config) for s in result.scenarios}
    if not any(aimed.values()):
        return None
    monthly = result.monthly[result.monthly["month"].isin(months)].copy()
    monthly["within_target"] = monthly["waiting"] - monthly["breaches"]
    keys = ["month", "replication"]
    base = monthly[monthly["scenario"] == result.baseline].set_index(keys)[["breaches", "within_target"]]
    rows = []
    for name in result.names:
        mine = monthly[monthly["scenario"] == name].set_index(keys)
        paired = mine[["breaches", "within_target"]] - base
        for month in months:
            own, diff = mine.xs(month, level="month"), paired.xs(month, level="month")
            rows.append(
                {
                    "scenario": name,
                    "month": month,
                    "long_waiters_lever": aimed[name] or "",
                    "breaches_p50": own["breaches"].median(),
                    "breaches_diff_mean": diff["breaches"].mean(),
                    "within_target_p50": own["within_target"].median(),
                    "within_target_diff_mean": diff["within_target"].mean(),
                    "wait_p50_weeks_p50": own["wait_p50_weeks"].median(),
                }
            )
    return pd.DataFrame(rows)


def long_waiter_lines(table: pd.DataFrame, labels: dict[str, str], baseline: str, month: str) -> list[str]:
    """Console lines at one month: each scenario's breaches and patients within target."""
    rows = table[table["month"] == month].set_index("scenario")
    lines = [f"Capacity aimed at long waiters, end of {month_heading(month)} (median; difference: mean):"]
    for name, row in rows.iterrows():
        lever = f" [{row['long_waiters_lever']}]" if row["long_waiters_lever"] else ""
        line = (
            f"  {labels[name]}{lever}: {count_text(row['breaches_p50'])} over the target, "
            f"{count_text(row['within_target_p50'])} within it"
        )
        if name != baseline:
            line += (
                f" (over: {versus_baseline(row['breaches_diff_mean'])}; "
                f"within: {versus_baseline(row['within_target_diff_mean'])})"
            )
        lines.append(f"{line}; median wait {row['wait_p50_weeks_p50']:.1f} weeks")
    return lines


def long_waiter_html(table: pd.DataFrame, labels: dict[str, str], baseline: str, target: float) -> str:
    """The report section: breaches and patients within target at each board month."""
    months = list(dict.fromkeys(table["month"]))
    parts = []
    for column, title in (("breaches", f"Waiting over {target:g} weeks"), ("within_target",
                          f"Waiting {target:g} weeks or less")):
        rows = []
        for name in dict.fromkeys(table["scenario"]):
            mine = table[table["scenario"] == name].set_index("month")
            cells = [esc(labels[name])]
            for month in months:
                cell = count_text(mine.at[month, f"{column}_p50"])
                if name != baseline:
                    change = versus_baseline(mine.at[month, f"{column}_diff_mean"])
                    cell += f'<br><span class="small">{esc(change)}</span>'
                cells.append(cell)
            rows.append((cells, ""))
        parts.append(f"<h3>{esc(title)}</h3>" + table_html(["Scenario", *map(month_heading, months)], rows))
    levers = table.drop_duplicates("scenario")
    said = "".join(
        f"<li><b>{esc(labels[r.scenario])}</b>: {esc(r.long_waiters_lever)}</li>"
        for r in levers.itertuples()
        if r.long_waiters_lever
    )
    note = (
        '<p class="note">Reserved slots go to the longest waiter over N weeks; one with nobody that long '
        "bookable goes to the next patient in the usual order, so the same patients are seen, in a "
        "different order: breaches fall while patients within the target wait longer. Median; below it "
        f"the mean paired difference from the baseline. Every figure: long_waiters.csv.</p><ul>{said}</ul>"
    )
    return note + "".join(parts)
