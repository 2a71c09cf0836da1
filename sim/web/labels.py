"""How the app writes months, numbers and measures: as the HTML report does, with its functions.

Months read "Mar 2027" (``sim.reports.board.month_heading``); counts are whole patients,
rounded half up with thousands separators (``count_text``); weeks keep one decimal and
differences their sign (``sim.reports.labels``). Measures have plain-words names.
"""

from __future__ import annotations

import re

import pandas as pd

from sim.reports.board import count_text, month_heading
from sim.reports.labels import plain, points, scenario_labels, signed
from sim.reports.setting_words import role_name as role_name  # "band6" -> "Band 6"

METRIC_NAMES = {
    "breaches": "Waiting over the target",
    "waiting": "Waiting list (clock running)",
    "followup_waiting": "Follow-up backlog",
    "followup_overdue": "Follow-ups overdue",
    "followup_overdue_p50_weeks": "Overdue follow-ups: median weeks past due",
    "followup_overdue_p92_weeks": "Overdue follow-ups: 92nd centile weeks past due",
    "followup_overdue_max_weeks": "Overdue follow-ups: longest weeks past due",
    "wait_p50_weeks": "Median wait (weeks)",
    "wait_p92_weeks": "92nd centile wait (weeks)",
    "max_wait_weeks": "Longest wait (weeks)",
    "referrals": "Referrals received",
    "accepted": "Referrals accepted",
    "first_contacts": "First contacts",
    "clinical_hours": "Clinical hours",
    "utilisation": "Utilisation",
}


def scenario_names(scenarios) -> dict[str, str]:
    """Scenario name -> how the pages name it, as the report, the board table and the workbook do:
    by its title, or, without one of its own, by its change (``sim.reports.labels.scenario_labels``;
    a baseline without a title keeps its name, "baseline")."""
    return scenario_labels(list(scenarios))


def named(frame: pd.DataFrame, shown: dict[str, str]) -> pd.DataFrame:
    """A table whose ``scenario`` column names each scenario as ``shown`` does."""
    return frame.assign(scenario=[shown.get(n, n) for n in frame["scenario"]])


def month(value: str) -> str:
    """2027-03 -> Mar 2027."""
    return month_heading(str(value))


def day(value: object) -> str:
    """2024-10-01 (a date or its text) -> 1 Oct 2024."""
    text = str(value)[:10]
    return f"{int(text[8:10])} {month_heading(text[:7])}" if len(text) == 10 else month(text[:7])


def goal_words(goal) -> str:
    """A goal in words with its measure named as the page names it ("Waiting over the target: none
    at the end of December 2025", not "breaches: ...")."""
    text = goal.describe()
    head = goal.metric.replace("_", " ")
    return metric_name(goal.metric) + text[len(head) :] if text.startswith(head) else text


def on_page(text: str) -> str:
    """A sentence the CLI shares, as the page shows it: no file names in brackets (the page is not
    a folder of outputs), months as "Apr 2023", and "+-" as the plus-minus sign."""
    text = re.sub(r"\(\s*[\w.-]+\.csv,\s*", "(", text)
    text = re.sub(r"\s*\([\w.-]+\.csv\)", "", text)
    text = re.sub(r"(?<![\d-])\d{4}-\d{2}(?![\d-])", lambda m: month(m.group(0)), text)
    return text.replace("+-", "±")


def band_words(text: str) -> str:
    """Which bands a chart or table shows (``sim.reports.error_bands.bands_words``) as the page says
    it: the page's own checkbox rather than the CLI option, measures by the page's names."""
    text = text.replace(
        "the model's real-world error was not included (--no-model-error)",
        "\"Include the model's real-world error\" is unticked (below)",
    )
    text = re.sub(
        r"no model-error table exists for ([\w ]+)\.",
        lambda m: f"how far forecasts miss is known only for the waiting list and those waiting over the "
        f"target, not for {metric_name(m.group(1).replace(' ', '_')).lower()}.",
        text,
    )
    return on_page(text)


def month_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A table whose columns are months (2024-06) with them written Jun 2024; other names capitalised."""
    return frame.rename(
        columns=lambda c: (
            month(c) if re.fullmatch(r"\d{4}-\d{2}", str(c)) else str(c)[:1].upper() + str(c)[1:]
        )
    )


def metric_name(metric: str) -> str:
    """A measure in plain words (new engine columns read as their name, spaced)."""
    return METRIC_NAMES.get(metric, metric.replace("_", " ").capitalize())


def digits(metric: str) -> int:
    """Counts are whole patients; weeks and shares keep a decimal, as in the report's tables."""
    return 1 if metric.endswith("_weeks") or metric == "utilisation" else 0


def number(value: float, metric: str = "breaches") -> str:
    """A value of ``metric`` as the report writes it ("1,234"; weeks "12.5")."""
    if pd.isna(value):
        return ""
    return count_text(value) if digits(metric) == 0 else plain(value, digits(metric))


def difference(value: float, metric: str = "breaches") -> str:
    """A paired difference with its sign ("+12", "-3.5"; no sign on zero)."""
    return "" if pd.isna(value) else signed(value, digits(metric))


def band(median: float, low: float, high: float, metric: str = "breaches") -> str:
    return f"median {number(median, metric)} (10-90%: {number(low, metric)} to {number(high, metric)})"


def medians_table(table: pd.DataFrame, metric: str = "breaches") -> pd.DataFrame:
    """``sim.web.questions.medians`` as shown: numbers as text, differences signed."""
    shown = table.copy()
    for column in shown.columns[1:]:
        write = difference if column.startswith("vs baseline") else number
        shown[column] = [write(v, metric) for v in shown[column]]
    return shown


def goal_table(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """P(goal) per scenario as the report's goal table writes it (percentages, points)."""
    return pd.DataFrame(
        {
            "scenario": table["scenario"],
            "P(goal)": [f"{p:.0%}" for p in table["probability"]],
            "90% interval": [
                f"{a:.0%} to {b:.0%}" for a, b in zip(table["p_low"], table["p_high"], strict=True)
            ],
            "simulated futures meeting it": [
                f"{m} of {r}" for m, r in zip(table["met"], table["replications"], strict=True)
            ],
            "in the simulation alone": [
                f"{m} of {r}"
                for m, r in zip(
                    table.get("met_simulation_only", table["met"]), table["replications"], strict=True
                )
            ],
            "vs baseline": [
                "" if s == baseline else points(c)
                for s, c in zip(table["scenario"], table["change_from_baseline"], strict=True)
            ],
        }
    )


def months_table(frame: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    """A table with a month column shown as "Mar 2027" and whole counts (e.g. uploaded figures)."""
    shown = frame.copy()
    shown[column] = [month(m) for m in shown[column]]
    for name in shown.columns:
        if name != column and pd.api.types.is_numeric_dtype(shown[name]):
            shown[name] = [number(v, name) for v in shown[name]]
    return shown.rename(columns=lambda c: str(c).replace("_", " ").capitalize())


def goal_capacity_table(summary: pd.DataFrame) -> pd.DataFrame:
    """What the goal takes per scenario, as the report's table writes it (whole first contacts a
    month, loads as percentages, months to clear; "never" when demand exceeds capacity)."""

    def clear(row: pd.Series) -> str:
        months = row["time_to_clear_months"]
        if row["excess_list"] <= 0:
            return "0"
        return "never" if months == float("inf") else plain(months)

    def short(value: float) -> str:
        return count_text(value) if value >= 0 or count_text(-value) == "0" else f"{count_text(-value)} spare"

    return pd.DataFrame(
        {
            "scenario": summary["scenario"],
            "demand a month": [count_text(v) for v in summary["demand_per_month"]],
            "needed a month": [count_text(v) for v in summary["needed_per_month"]],
            "of which long waiters": [count_text(v) for v in summary["needed_long_waiters_per_month"]],
            "offered a month": [count_text(v) for v in summary["offered_per_month"]],
            "adds a month": [signed(v) for v in summary["adds_per_month"]],
            "short a month": [short(v) for v in summary["short_per_month"]],
            "load after the changes": [f"{v:.0%}" for v in summary["load_settled"]],
            "load warning": ["demand exceeds capacity" if w else "" for w in summary["load_warning"]],
            "months to clear": [clear(row) for _, row in summary.iterrows()],
            "sustainable list": [count_text(v) for v in summary["sustainable_list"]],
            "steady-state capacity a month": [
                count_text(v) for v in summary["steady_state_capacity_per_month"]
            ],
        }
    )


def goal_bands_table(
    bands: pd.DataFrame, scenario: str, target_weeks: float, goal_month: str
) -> pd.DataFrame:
    """Who must be seen by the goal month, by weeks waited at the start, for one scenario."""
    rows = bands[bands["scenario"] == scenario]
    return pd.DataFrame(
        {
            "weeks waited at the start": rows["group"],
            "waiting now": [count_text(v) for v in rows["waiting_now"]],
            f"over {target_weeks:g} weeks by {month(goal_month)} unless seen": [
                "" if k == "others" else count_text(v)
                for k, v in zip(rows["kind"], rows["over_target"], strict=True)
            ],
            "must be seen a month": [count_text(v) for v in rows["needed_per_month"]],
            "extra a month beyond what the service offers": [count_text(v) for v in rows["extra_per_month"]],
            "short a month after this scenario": [count_text(v) for v in rows["short_per_month"]],
        }
    )


def tries_table(evaluations: pd.DataFrame, role: str) -> pd.DataFrame:
    """Each number of posts the capacity search tried, in words (chances as percentages)."""
    rows = evaluations.sort_values("value")
    table = {
        f"{role} WTE added": [plain(v, 2).rstrip("0").rstrip(".") for v in rows["value"]],
        "chance of meeting the goal": [f"{p:.0%}" for p in rows["probability"]],
        "90% interval": [f"{a:.0%} to {b:.0%}" for a, b in zip(rows["p_low"], rows["p_high"], strict=True)],
        "simulated futures meeting it": [
            f"{m} of {r}" for m, r in zip(rows["met"], rows["replications"], strict=True)
        ],
    }
    if "met_simulation_only" in rows:
        table["in the simulation alone"] = [
            f"{m} of {r}" for m, r in zip(rows["met_simulation_only"], rows["replications"], strict=True)
        ]
    table["confident enough"] = ["yes" if v else "no" for v in rows["meets_confidence"]]
    table["answer"] = ["this one" if v else "" for v in rows["solution"]]
    return pd.DataFrame(table)
