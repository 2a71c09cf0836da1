"""What the questions return: plain result types that reports and the browser read.

Kept apart from the modules that compute them, so that reports depend on these types and
never on the comparison, solve or sensitivity code itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.engine.sweep import Scenario
from sim.questions.goals import Goal
from sim.runs.portfolio import PortfolioResult
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
class Costs:
    """Staff cost beside effect (``questions.costs``): one row per scenario (``table``, as
    costs.csv) and the cumulative extra cost to each month end (``extra_by_month``: months as
    rows, a column per scenario after the baseline)."""

    table: pd.DataFrame
    extra_by_month: pd.DataFrame


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
    rests_on: pd.DataFrame | None = None  # the assumptions the answer moves with most (questions.rests_on)
    costs: Costs | None = None  # staff cost beside effect, when asked for (questions.costs)

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


# Words for the model error in P(goal) (``questions.model_error_draws``), shared with reports.
# monthly metric -> the model-error table's measure: breaches at the service's target borrow the
# over-18-week row (the only one estimated for breaches).
ERROR_MEASURES = {"breaches": "over_18_weeks", "waiting": "waiting"}
GROWTH_RULE = "beyond the table's last horizon the error's spread grows as the square root of months ahead"


def covers(metric: str) -> bool:
    """Whether the model error is applied to ``metric``."""
    return metric in ERROR_MEASURES


def note(record: dict | None, metric: str, target_weeks: float) -> str:
    """What the headline P(goal) includes, in words, from the manifest's ``model_error`` record."""
    if not record or not record.get("included"):
        return "Model error is not included (--no-model-error): the futures are the simulation's alone."
    if not covers(metric):
        return f"No model-error table exists for {metric}; its futures are the simulation's alone."
    months = record.get("estimated_on")
    what = f"from {Path(record['table']).name}"
    what += f", estimated on real CHS months {months}" if months else ""
    text = (f"Each future counts only if it still meets the goal with the model's real-world error for "
            f"{metric} added ({what}); {GROWTH_RULE}.")
    if metric == "breaches" and target_weeks != 18:
        text += (" The table was estimated for counts over 18 weeks on English CHS; the "
                 f"{target_weeks:g}-week target uses it as an approximation.")
    return text


def error_share(sim_low: float, sim_high: float, low: float, high: float) -> float:
    """Model error's share of the 80% band's width: 1 - simulation-only width / width with error."""
    width = high - low
    return max(0.0, 1.0 - (sim_high - sim_low) / width) if width > 0 else 0.0


def futures_words(met: int, total: int, with_error: bool, alone: int | None = None) -> str:
    """``in N of M futures ...``: with the model's error when it was included, and saying so."""
    if not with_error:
        return f"in {met} of {total} simulated futures (the model's real-world error not included)"
    text = f"in {met} of {total} futures once the model's real-world error is included"
    return text if alone is None or alone == met else f"{text} ({alone} of {total} in the simulation alone)"


def rests_on_words(table: pd.DataFrame | None, top: int = 3) -> str | None:
    """``This rests on: ...``: the assumptions that move the answer most (none that do not move it)."""
    if table is None or table.empty:
        return None
    moving = table[table["swing"] > 0].head(top)
    if moving.empty:
        return None
    metric = str(table["metric"].iloc[0]).replace("_", " ")
    parts = [f"{r.assumption} (+-{r.margin} moves the baseline's median {metric} by {r.swing:,.0f})"
             for r in moving.itertuples()]
    return ("This rests on: " + "; ".join(parts)
            + f" (measured at {int(table['replications'].iloc[0])} replications on common random numbers).")


@dataclass
class PortfolioComparison:
    """Each scenario's portfolio run (the base first), the paired differences and the comparison."""

    names: list[str]
    labels: dict[str, str]
    results: dict[str, PortfolioResult]
    paired: pd.DataFrame  # scenario, service, replication, month, <metric>, <metric>_diff
    comparison: pd.DataFrame  # scenario, service, month: medians, bands and paired differences
    manifest: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.names[0]
