"""Goals a board sets for a waiting list, and the probability a scenario meets them.

A goal is written as a board paper would say it, e.g. ``breaches<=0 by 2025-03`` (no child
waiting over the target at the end of March 2025) or ``breaches<=50 from 2025-03`` (at most
50 at every month end from March 2025 to the end of the horizon). The metric is any
numeric column of the monthly table (``breaches``, ``waiting``, ``wait_p92_weeks``, ...).
A replication meets the goal or not; P(goal) is the share of replications that meet it.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from dataclasses import dataclass

import pandas as pd

from sim.engine.scenario import ConfigError

OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
GOAL_PATTERN = re.compile(
    r"\s*(?P<metric>[a-z][a-z0-9_]*)\s*(?P<op><=|>=|<|>)\s*(?P<threshold>[-+]?\d+(?:\.\d*)?)"
    r"\s+(?P<mode>by|from)\s+(?P<month>\d{4}-\d{2})\s*"
)
EXAMPLES = "e.g. 'breaches<=0 by 2025-03' or 'breaches<=50 from 2025-03'"


class GoalError(ConfigError):
    """Goal text that cannot be read, or that names a metric or month the run does not have."""


@dataclass(frozen=True)
class Goal:
    """``metric op threshold`` at the end of ``month`` (``by``) or of every month from it (``from``)."""

    metric: str
    op: str
    threshold: float
    mode: str
    month: str
    text: str
    option: str = "--goal"  # how the user gave it, for messages

    def __str__(self) -> str:
        return self.text

    def describe(self) -> str:
        """The goal in words, for reports."""
        words = {"<=": "at most", "<": "fewer than", ">=": "at least", ">": "more than"}[self.op]
        month = dt.datetime.strptime(self.month, "%Y-%m").strftime("%B %Y")
        when = f"at the end of {month}" if self.mode == "by" else f"at every month end from {month} on"
        amount = "none" if self.op == "<=" and self.threshold == 0 else f"{words} {self.threshold:g}"
        return f"{self.metric.replace('_', ' ')}: {amount} {when}"

    def months(self, monthly: pd.DataFrame) -> list[str]:
        """The simulated months the goal is judged on."""
        simulated = sorted(set(monthly["month"]))
        if self.metric not in monthly.columns or not pd.api.types.is_numeric_dtype(monthly[self.metric]):
            known = ", ".join(c for c in ("breaches", "waiting", "wait_p92_weeks") if c in monthly.columns)
            raise GoalError(f"{self.option}: {self.text!r}: no metric {self.metric!r} (for example {known})")
        if self.month not in simulated:
            raise GoalError(
                f"{self.option}: {self.text!r}: {self.month} is outside the simulated months "
                f"({simulated[0]} to {simulated[-1]})"
            )
        return [self.month] if self.mode == "by" else [m for m in simulated if m >= self.month]

    def met(self, monthly: pd.DataFrame) -> pd.Series:
        """Whether each scenario x replication meets the goal (index: scenario, replication)."""
        months = self.months(monthly)
        rows = monthly[monthly["month"].isin(months)]
        holds = OPERATORS[self.op](rows[self.metric], self.threshold)
        by = ["scenario", "replication"] if "scenario" in rows.columns else ["replication"]
        return holds.groupby([rows[c] for c in by], sort=False).all()

    def probability(self, monthly: pd.DataFrame) -> pd.DataFrame:
        """P(goal) per scenario with the count of replications and a 90% Wilson interval."""
        met = self.met(monthly)
        table = met.groupby(level="scenario", sort=False).agg(["sum", "count"])
        table.columns = ["met", "replications"]
        table["probability"] = table["met"] / table["replications"]
        pairs = zip(table["met"], table["replications"], strict=True)
        bounds = [wilson_interval(int(m), int(n)) for m, n in pairs]
        table["p_low"] = [low for low, _ in bounds]
        table["p_high"] = [high for _, high in bounds]
        table.insert(0, "goal", self.text)
        return table.reset_index()


def wilson_interval(met: int, total: int, z: float = 1.6449) -> tuple[float, float]:
    """90% Wilson score interval for a proportion (sensible at 0 and 1, unlike p +/- 1.64 se)."""
    if total == 0:
        return (math.nan, math.nan)
    p = met / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def parse_goal(text: str) -> Goal:
    """Read goal text such as ``breaches<=0 by 2025-03``; raise ``GoalError`` if it does not fit."""
    match = GOAL_PATTERN.fullmatch(text or "")
    if not match:
        raise GoalError(f"--goal: {text!r}: expected '<metric><op><number> by|from YYYY-MM', {EXAMPLES}")
    month_number = int(match["month"][5:])
    if not 1 <= month_number <= 12:
        raise GoalError(f"--goal: {text!r}: {match['month']} is not a month (use YYYY-MM)")
    return Goal(
        metric=match["metric"],
        op=match["op"],
        threshold=float(match["threshold"]),
        mode=match["mode"],
        month=match["month"],
        text=" ".join(text.split()),
    )


def as_goal(goal: Goal | str | None) -> Goal | None:
    """A goal from text or a ``Goal`` (``None`` stays ``None``)."""
    return parse_goal(goal) if isinstance(goal, str) else goal
