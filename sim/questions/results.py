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

    @property
    def baseline(self) -> str:
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]


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


@dataclass
class SensitivityResult:
    """The table of results at each field's low and high value, sorted by swing."""

    table: pd.DataFrame
    summary: pd.DataFrame
    measure: str
    manifest: dict
