"""The Python entry points: run and compare services, ask questions, write the results.

```python
from sim.api import compare, run, write

result = run("scenarios/example/baseline.yaml", reps=100, seed=1)
plan = compare(["scenarios/example/baseline.yaml", "scenarios/example/three_band6_posts.yaml"])
write(plan, "results/plan", actuals="scenarios/example/actuals.csv")
```
Each question returns a plain result (pandas tables and a manifest); ``write`` turns any of
them into the files of the output contract.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibration.data import read_monthly
from sim.engine.scenario import ConfigError, file_hash, load_config, validate
from sim.questions.compare import compare
from sim.questions.results import ComparisonResult, SensitivityResult, SolveResult
from sim.questions.sensitivity import sensitivity
from sim.questions.solve import solve
from sim.questions.trajectory import trajectory_tracking
from sim.reports.board import trajectory_columns
from sim.reports.comparison import comparison_board, write_comparison
from sim.reports.question_outputs import write_sensitivity, write_solve
from sim.reports.run_outputs import write_run
from sim.runs.result import RunResult, run

__all__ = [
    "ComparisonResult",
    "ConfigError",
    "RunResult",
    "SensitivityResult",
    "SolveResult",
    "as_actuals",
    "board_table",
    "compare",
    "load_config",
    "run",
    "sensitivity",
    "solve",
    "validate",
    "write",
]

Result = RunResult | ComparisonResult | SolveResult | SensitivityResult


def as_actuals(actuals: pd.DataFrame | str | Path | None, info: dict | None = None) -> pd.DataFrame | None:
    """Actuals as a table; a path is read (and recorded in the manifest ``info`` with its hash)."""
    if actuals is None or isinstance(actuals, pd.DataFrame):
        return actuals
    if info is not None:
        info["actuals"] = {"path": str(Path(actuals).resolve()), "sha256": file_hash(Path(actuals))}
    return read_monthly(actuals)


def board_table(
    result: ComparisonResult,
    actuals: pd.DataFrame | str | Path | None = None,
    months: list[str] | None = None,
) -> pd.DataFrame:
    """The board-paper table of a comparison ("median (p10-p90)" cells; default months: quarter
    ends), with the actuals and trajectory rows when given."""
    return comparison_board(result, as_actuals(actuals), months)


def tracking(result: ComparisonResult, actuals: pd.DataFrame | None) -> pd.DataFrame | None:
    """Actuals against their trajectories and each scenario's band, when actual breaches are given."""
    if actuals is None or "breaches" not in actuals or not actuals["breaches"].notna().any():
        return None
    return trajectory_tracking(result.summary, actuals, trajectory_columns(actuals))


def write(
    result: Result,
    out: str | Path,
    actuals: pd.DataFrame | str | Path | None = None,
    months: list[str] | None = None,
    every: int | None = None,
) -> list[Path]:
    """Write a result's files into ``out``; ``actuals`` is a table or the path of its CSV.

    ``months`` (YYYY-MM list) or ``every`` (every N-th month end) choose the board table's
    columns of a comparison; by default the quarter ends and the goal's month.
    """
    if isinstance(result, SensitivityResult):
        return write_sensitivity(result, out)
    observed = as_actuals(actuals, result.manifest)
    if isinstance(result, ComparisonResult):
        return write_comparison(result, out, observed, months, every, tracking(result, observed))
    if isinstance(result, SolveResult):
        return write_solve(result, out, observed)
    return write_run(result, out, observed)
