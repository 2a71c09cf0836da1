"""Staff cost beside effect in words, in the board table and in report.html (``questions.costs``).

Shown only when costs were asked for (``compare --costs``): without them every output stays
as it was.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from sim.engine.sweep import Scenario
from sim.questions.results import Costs
from sim.reports.board import month_heading

COST_ROW = "Extra staff cost to date: "


def money(value: float) -> str:
    """£ with thousands separators, whole pounds; "-£1,200" for a saving."""
    return f"-£{-value:,.0f}" if value < -0.5 else f"£{max(value, 0):,.0f}"


def _per_words(value: float, what: str, none: str) -> str:
    return none if pd.isna(value) else f"{money(value)} per {what}"


def scenario_cost_words(row: pd.Series, baseline: bool) -> str:
    """One scenario's cost in words: total, and against the baseline what each gain costs."""
    words = f"{money(row['staff_cost'])}"
    if baseline:
        return words + " (baseline)"
    extra = row["extra_cost"]
    if abs(extra) < 0.5:
        return words + ", the same as the baseline"
    change = f"{money(extra)} more" if extra > 0 else f"{money(-extra)} less"
    words += f", {change} than the baseline"
    if extra > 0:
        words += "; " + _per_words(row["cost_per_breach_avoided"], "breach avoided", "no breaches avoided")
        words += "; " + _per_words(
            row["cost_per_extra_first_contact"], "extra first contact", "no extra first contacts"
        )
    if row.get("not_costed"):
        words += f" (not costed: {row['not_costed']})"
    return words


def cost_lines(result: Costs, scenarios: list[Scenario], labels: dict[str, str]) -> list[str]:
    """The console's cost lines, after the answer."""
    costs = result.table
    first = costs.iloc[0]
    config = scenarios[0].config
    start = month_heading(config.service.start_date.strftime("%Y-%m"))
    lines = [
        f"Staff cost over the run ({config.service.horizon_months} months from {start}; funded posts at "
        f"{first['pay_year']} pay plus {first['on_cost_share']:.0%} on-costs; breaches avoided at the end "
        f"of {month_heading(first['month'])}, mean paired difference):"
    ]
    for index, (_, row) in enumerate(costs.iterrows()):
        lines.append(f"  {labels[row['scenario']]}: {scenario_cost_words(row, index == 0)}")
    lines.append(f"  Pay: {first['pay_basis']}.")
    return lines


def cost_rows(result: Costs, months: list[str], labels: dict[str, str]) -> dict[str, list[str]]:
    """The board table's optional rows: each scenario's cumulative extra staff cost at each month end."""
    extra = result.extra_by_month
    return {
        f"{COST_ROW}{labels[name]}": [money(v) for v in extra[name].reindex(months)] for name in extra.columns
    }


def with_cost_rows(board: pd.DataFrame, rows: dict[str, list[str]]) -> pd.DataFrame:
    """The board table with the cost rows below the scenarios."""
    label = board.columns[0]
    extra = pd.DataFrame([[name, *values] for name, values in rows.items()], columns=board.columns)
    return pd.concat([board, extra.rename(columns={extra.columns[0]: label})], ignore_index=True)


def cost_html(result: Costs, labels: dict[str, str]) -> str:
    """The report's cost section: a table per scenario and the stated assumptions."""
    costs = result.table
    head = ("<tr><th>Scenario</th><th>Staff cost over the run</th><th>Extra cost</th>"
            "<th>Breaches avoided</th><th>Cost per breach avoided</th><th>Extra first contacts</th>"
            "<th>Cost per extra first contact</th></tr>")
    body = []
    for index, (_, row) in enumerate(costs.iterrows()):
        baseline = index == 0
        cells = [
            labels[row["scenario"]],
            money(row["staff_cost"]),
            "" if baseline else money(row["extra_cost"]),
            "" if baseline else f"{row['breaches_avoided']:,.0f}",
            "" if baseline else _per_words(row["cost_per_breach_avoided"], "breach", "no breaches avoided"),
            "" if baseline else f"{row['extra_first_contacts']:,.0f}",
            "" if baseline else _per_words(row["cost_per_extra_first_contact"], "contact", "none"),
        ]
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    first = costs.iloc[0]
    note = (
        f'<p class="note">Funded posts as each file states them (posts added from the day they are filled, '
        f"after any recruitment lag), at {escape(str(first['pay_year']))} pay plus "
        f"{first['on_cost_share']:.0%} employer on-costs: {escape(str(first['pay_basis']))}. "
        "Turnover vacancies are not subtracted (a post stays funded while it is recruited to); extra "
        f"sessions are not costed. Breaches avoided: the mean paired fall at the end of "
        f"{month_heading(first['month'])}; extra first contacts: the mean paired difference over the run. "
        "Also in costs.csv.</p>"
    )
    return f"<table>{head}{''.join(body)}</table>{note}"
