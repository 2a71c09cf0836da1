"""What the questions return: plain result types that reports and the browser read.

Kept apart from the modules that compute them, so that reports depend on these types and
never on the comparison, solve or sensitivity code itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.engine.sweep import Scenario
from sim.questions.goals import Goal
from sim.runs.result import RunResult


@dataclass(frozen=True)
class Aim:
    """What a goal asks of the list: at most ``allowed`` over ``target_weeks`` at the end of ``month``."""

    target_weeks: float
    allowed: float
    month: str
    mode: str  # "by" (that month end) or "from" (every month end from it)
    words: str  # the goal in words (``Goal.describe``)


@dataclass
class GoalCapacity:
    """One row per scenario (``summary``) and, per scenario, who must be seen (``bands``)."""

    aim: Aim
    summary: pd.DataFrame
    bands: pd.DataFrame


@dataclass
class ComparisonResult:
    """Monthly records of every scenario, their summaries, paired differences and P(goal)."""

    scenarios: list[Scenario]
    monthly: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    comparison: pd.DataFrame
    goals: pd.DataFrame | None
    goal: Goal | None
    manifest: dict
    breach_flow: pd.DataFrame | None = None  # why breaches move (questions.breach_flow)
    theory: pd.DataFrame | None = None  # Fong & Walton beside the simulation (questions.waiting_list_theory)
    goal_capacity: GoalCapacity | None = None  # what the goal takes (questions.goal_capacity)

    @property
    def baseline(self) -> str:
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]


# Words for the parts of the breach flow (``questions.breach_flow``), shared with reports.
FLOW_WORDS = {
    "opening": "Over the target at the start of the month",
    "crossing": "Passed the target during the month",
    "seen": "Seen (clock stopped)",
    "removed": "Removed from the list",
    "other": "Discharged, turned away or clock restarted",
    "closing": "Over the target at the month end",
}
# Statuses of trajectory tracking (``questions.trajectory`` defines them).
OUTSIDE = "outside the model's 80% band"
INSIDE = "inside the model's 80% band"
ON_TRACK, BEHIND = "on track", "behind"


@dataclass
class SolveResult:
    """The solved lever value (None if no value on the grid meets the goal) and every run made."""

    scenario: Scenario
    lever: str
    goal: Goal
    confidence: float
    value: float | None
    rising: bool
    evaluations: pd.DataFrame
    run: RunResult
    message: str
    manifest: dict = field(default_factory=dict)
    sentence: str = ""  # the answer in words, counting what the scenario already holds


@dataclass
class SensitivityResult:
    """The table of results at each field's low and high value, sorted by swing."""

    table: pd.DataFrame
    summary: pd.DataFrame
    measure: str
    manifest: dict
