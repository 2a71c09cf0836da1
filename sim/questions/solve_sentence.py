"""The answer of ``solve`` in a board paper's words, counting what the scenario already holds.

``events.0.add_staff.wte = 2.5`` on a scenario that also recruits 1 WTE Band 6 later means
3.5 WTE Band 6 in total, 0.5 more than the 3 already planned; the sentence says so.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sim.engine.sweep import Scenario, format_value, get_field
from sim.questions.goals import Goal
from sim.questions.results import futures_words

EVENT_STAFF = re.compile(r"events\.(\d+)\.add_staff\.wte")
WORKFORCE = re.compile(r"workforce\.(\d+)\.wte")


def role_name(role: str) -> str:
    """band6 -> Band 6."""
    match = re.fullmatch(r"band(\d+)", role)
    return f"Band {match[1]}" if match else role


def month_words(day: dt.date) -> str:
    return day.strftime("%B %Y")


def goal_phrase(goal: Goal, target_weeks: float) -> str:
    """ "reaches zero breaches by December 2025" and the like."""
    month = month_words(dt.datetime.strptime(goal.month, "%Y-%m").date())
    if goal.metric == "breaches" and goal.op in ("<=", "<"):
        amount = (
            "zero breaches"
            if goal.threshold == 0 and goal.op == "<="
            else (
                f"{'at most' if goal.op == '<=' else 'fewer than'} {goal.threshold:g} waiting over "
                f"{target_weeks:g} weeks"
            )
        )
        return (
            f"reaches {amount} by the end of {month}"
            if goal.mode == "by"
            else (f"keeps {amount} at every month end from {month}")
        )
    return f"meets the goal '{goal.text}'"


def _change(delta: float) -> str:
    if abs(delta) < 1e-9:
        return "and no more"
    return (
        f"plus {format_value(round(delta, 10))} more"
        if delta > 0
        else f"less {format_value(round(-delta, 10))}"
    )


def holdings(scenario: Scenario, lever: str, value: float) -> tuple[str, float, float] | None:
    """(what is counted, total with the lever at ``value``, total as the scenario stands)."""
    config = scenario.config
    if match := EVENT_STAFF.fullmatch(lever):
        event = config.events[int(match[1])]
        if event.add_staff is None:
            return None
        role = event.add_staff.role
        planned = sum(e.add_staff.wte for e in config.events if e.add_staff and e.add_staff.role == role)
        return role, planned - event.add_staff.wte + value, planned
    if match := WORKFORCE.fullmatch(lever):
        role = config.workforce[int(match[1])].role
        in_post = sum(g.wte for g in config.workforce if g.role == role)
        return role, in_post - config.workforce[int(match[1])].wte + value, in_post
    return None


def solve_sentence(
    scenario: Scenario, lever: str, value: Any, goal: Goal, met: int, reps: int, confidence: float,
    with_error: bool = False, alone: int | None = None,
) -> str:
    """One sentence: the lever's total, what the scenario holds already, the goal and how often it is met."""
    target = scenario.config.service.rtt_target_weeks
    odds = f"{futures_words(met, reps, with_error, alone)} ({met / reps:.0%}; {confidence:.0%} was asked for)"
    what = goal_phrase(goal, target)
    held = holdings(scenario, lever, float(value))
    if held is None:
        current = get_field(scenario.document, lever)
        now = f" (the scenario has {format_value(current)})" if current is not None else ""
        return f"{lever} = {format_value(value)}{now} {what} {odds}."
    role, total, planned = held
    delta = total - planned
    if EVENT_STAFF.fullmatch(lever):
        event = scenario.config.events[int(EVENT_STAFF.fullmatch(lever)[1])]
        return (
            f"{format_value(round(total, 10))} WTE {role_name(role)} in total: the {format_value(planned)} "
            f"already planned {_change(delta)} from {month_words(event.date)} {what} {odds}."
        )
    start = month_words(scenario.config.service.start_date)
    return (
        f"{format_value(round(total, 10))} WTE {role_name(role)} in post in total: "
        f"the {format_value(planned)} in post now {_change(delta)} from the start ({start}) {what} {odds}."
    )
