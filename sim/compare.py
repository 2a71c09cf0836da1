"""Running several scenarios side by side on common random numbers.

Every scenario runs with the same seed, so replication ``r`` of each scenario sees the same
referrals, attendance draws and staff absences wherever the scenarios agree. The paired
difference ``scenario - baseline`` within a replication therefore carries only the effect
of the change, and its 10-90% interval is much narrower than the gap between two
independent fans. The first scenario is the baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import plots
from sim.api import run
from sim.board import board_table, write_board_xlsx
from sim.calendar import add_months
from sim.config import ServiceConfig
from sim.goals import Goal, as_goal
from sim.outputs import manifest, write_figure, write_manifest, write_table
from sim.results import QUANTILES, summarise
from sim.runner import Progress
from sim.scenario import file_hash, validate
from sim.sweep import Scenario, as_scenarios

COMPARED = ("breaches", "waiting", "wait_p92_weeks", "followup_overdue")


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

    def board_table(self, actuals: pd.DataFrame | None = None) -> pd.DataFrame:
        """The board-paper table: months as columns, actuals then each scenario's median breaches."""
        return board_table(self.summary, actuals, self.names)

    def write(self, out: str | Path, actuals: pd.DataFrame | str | Path | None = None) -> list[Path]:
        """Write tables, charts, the board table (CSV and xlsx) and report.html into ``out``.

        ``actuals`` is a table as read by ``calibration.data.read_monthly`` or the path of its CSV.
        """
        from sim.report import write_report  # the report reads this result; imported late

        out = Path(out)
        actuals = as_actuals(actuals, self.manifest)
        board = self.board_table(actuals)
        heading = f"Waiting over {self.scenarios[0].config.service.rtt_target_weeks:g} weeks"
        written = [
            write_table(self.monthly, out / "monthly.csv"),
            write_table(self.summary, out / "summary.csv"),
            write_manifest(self.manifest, out / "manifest.json"),
            write_table(self.comparison, out / "comparison.csv"),
            write_table(board, out / "board_table.csv"),
            write_board_xlsx(
                board, out / "board_table.xlsx", self.comparison, self.board_notes(actuals), heading
            ),
        ]
        if self.goals is not None:
            written.append(write_table(self.goals, out / "goals.csv"))
        written += self.write_charts(out, actuals)
        written.append(write_report(self, out, actuals))
        return written

    def board_notes(self, actuals: pd.DataFrame | None) -> list[str]:
        """Footnotes under the board table: what the numbers are and how to reproduce them."""
        target = self.scenarios[0].config.service.rtt_target_weeks
        notes = [
            f"Patients waiting over {target:g} weeks at month end. Scenario rows: median of "
            f"{self.manifest['replications']} simulated replications (seed {self.manifest['seed']}), "
            "rounded to whole patients.",
            f"Simulated with dcsim {self.manifest['version']} on {self.manifest['finished'][:10]}.",
        ]
        if actuals is not None:
            notes.append("Actual breaches as reported; blank where not yet reported.")
        return notes

    def write_charts(self, out: Path, actuals: pd.DataFrame | None = None) -> list[Path]:
        """Overlay fan charts of breaches and waiting list (actuals as points), capacity per scenario."""
        observed = actuals.set_index("month") if actuals is not None else None
        paths = []
        for metric in ("breaches", "waiting"):
            series = observed[metric] if observed is not None and metric in observed else None
            line = self.goal.threshold if self.goal is not None and self.goal.metric == metric else None
            paths.append(
                write_figure(
                    lambda p, m=metric, s=series, t=line: plots.fan_chart(
                        self.summary, m, p, actuals=s, target_line=t
                    ),
                    out / f"{metric}_fan.png",
                )
            )
        for name in self.names:
            paths.append(
                write_figure(
                    lambda p, n=name: plots.capacity_demand_chart(self.summary, p, n),
                    out / f"capacity_demand_{safe_name(name)}.png",
                )
            )
        return paths


def as_actuals(actuals: pd.DataFrame | str | Path | None, info: dict | None = None) -> pd.DataFrame | None:
    """Actuals as a table; a path is read (and recorded in the manifest ``info`` with its hash)."""
    if actuals is None or isinstance(actuals, pd.DataFrame):
        return actuals
    from calibration.data import read_monthly  # history readers live in the calibration package

    if info is not None:
        info["actuals"] = {"path": str(Path(actuals).resolve()), "sha256": file_hash(Path(actuals))}
    return read_monthly(actuals)


def safe_name(name: str) -> str:
    """A scenario name usable in a file name."""
    return "".join(c if c.isalnum() or c in "-_.=[]" else "_" for c in name)


def paired_differences(
    monthly: pd.DataFrame, baseline: str, metrics: Iterable[str] = COMPARED
) -> pd.DataFrame:
    """``<metric>_diff`` = scenario minus baseline in the same replication and month."""
    metrics = list(metrics)
    keys = ["replication", "month"]
    base = monthly.loc[monthly["scenario"] == baseline, keys + metrics]
    paired = monthly[["scenario", *keys, *metrics]].merge(base, on=keys, suffixes=("", "_baseline"))
    for metric in metrics:
        paired[f"{metric}_diff"] = paired[metric] - paired[f"{metric}_baseline"]
    return paired[["scenario", *keys, *(f"{m}_diff" for m in metrics)]]


def comparison_table(summary: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """Per scenario x month: mean and p10/p50/p90 of each metric, and its paired difference."""
    keys = ["scenario", "month"]
    diffs = differences.groupby(keys, sort=False)[[f"{m}_diff" for m in COMPARED]]
    spread = pd.concat(
        [diffs.mean().add_suffix("_mean"), diffs.quantile(0.1).add_suffix("_p10"),
         diffs.quantile(0.9).add_suffix("_p90")],
        axis=1,
    ).reset_index()
    table = summary.merge(spread, on=keys, how="left")
    columns = [
        f"{m}{part}_{s}"
        for m in COMPARED
        for part, stats in (("", ("mean", *QUANTILES)), ("_diff", ("mean", "p10", "p90")))
        for s in stats
    ]
    return table[keys + columns]


def month_labels(config: ServiceConfig) -> list[str]:
    """The month-end labels (YYYY-MM) a run of this service reports."""
    start = config.service.start_date
    return [add_months(start, m).strftime("%Y-%m") for m in range(config.service.horizon_months)]


def check_goal(goal: Goal, config: ServiceConfig, seed: int = 0) -> None:
    """Fail before a long run if the goal names a metric or month the run will not have.

    The metric names come from a one-month, one-replication run of the same service.
    """
    document = config.model_dump(mode="json")
    document["service"]["horizon_months"] = 1
    probe = run(validate(document, "goal check"), reps=1, seed=seed, workers=1).monthly
    frame = pd.DataFrame({"month": month_labels(config)})
    for column in probe.columns:
        if column not in frame and pd.api.types.is_numeric_dtype(probe[column]):
            frame[column] = 0.0
    goal.months(frame.assign(scenario="probe", replication=0))


def compare(
    scenarios: Iterable[Any] | Mapping[str, Any],
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    goal: Goal | str | None = None,
    progress: Progress | None = None,
) -> ComparisonResult:
    """Run scenarios on common random numbers and compare each with the first (the baseline).

    ``scenarios`` are YAML paths (a sweep file stands for several), ``ServiceConfig``s or
    ``Scenario``s, or a mapping of names to them. ``goal`` (e.g. ``"breaches<=0 by 2025-03"``)
    adds P(goal) per scenario.
    """
    started = dt.datetime.now(dt.timezone.utc)
    scenarios = as_scenarios(scenarios)
    goal = as_goal(goal)
    if goal is not None:
        check_goal(goal, scenarios[0].config, seed)
    frames = [run(s.config, reps, seed, workers, s.name, progress).monthly for s in scenarios]
    monthly = pd.concat(frames, ignore_index=True)
    summary = summarise(monthly)
    differences = paired_differences(monthly, scenarios[0].name)
    goals = goal_table(goal, monthly, scenarios[0].name) if goal is not None else None
    extra = {
        "workers": workers,
        "baseline": scenarios[0].name,
        "goal": goal.text if goal else None,
        "changes": {s.name: s.changes for s in scenarios if s.changes},
    }
    info = manifest({s.name: s.path for s in scenarios}, seed, reps, started, extra)
    return ComparisonResult(
        scenarios, monthly, summary, differences, comparison_table(summary, differences), goals, goal, info
    )


def goal_table(goal: Goal, monthly: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """P(goal) per scenario, and its change from the baseline's."""
    table = goal.probability(monthly)
    base = table.loc[table["scenario"] == baseline, "probability"].iloc[0]
    table["change_from_baseline"] = table["probability"] - base
    return table
