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

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from calibration.data import read_monthly
from sim.engine.scenario import ConfigError, file_hash, load_config, validate
from sim.questions.compare import compare
from sim.questions.results import ComparisonResult, SensitivityResult, SolveResult
from sim.questions.sensitivity import sensitivity
from sim.questions.solve import solve
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
    "check_actuals",
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
    table = read_monthly(actuals)  # first: it refuses devices and oversized files before hashing
    if info is not None:
        info["actuals"] = {"path": str(Path(actuals).resolve()), "sha256": file_hash(Path(actuals))}
    return table


def check_actuals(actuals: pd.DataFrame | None, months: Iterable[str], source: str = "actuals") -> None:
    """Refuse actuals none of whose months are simulated: they would vanish from every output."""
    if actuals is None or actuals.empty:
        return
    horizon = sorted(set(map(str, months)))
    given = actuals["month"].astype(str)
    if horizon and not given.isin(horizon).any():
        raise ConfigError(
            f"{source}: column month: {given.min()} to {given.max()} lie wholly outside the simulated "
            f"months {horizon[0]} to {horizon[-1]}, so none of them could be shown"
        )


def result_months(result: Result) -> list[str]:
    """The months a result simulated."""
    monthly = result.run.monthly if isinstance(result, SolveResult) else result.monthly
    return list(monthly["month"].unique())


def board_table(result: ComparisonResult, actuals: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
    """The board-paper table of a comparison, with the actuals rows when given."""
    return comparison_board(result, as_actuals(actuals))


def write(result: Result, out: str | Path, actuals: pd.DataFrame | str | Path | None = None) -> list[Path]:
    """Write a result's files into ``out``; ``actuals`` is a table or the path of its CSV."""
    if isinstance(result, SensitivityResult):
        return write_sensitivity(result, out)
    observed = as_actuals(actuals, result.manifest)
    source = str(actuals) if isinstance(actuals, str | Path) else "actuals"
    check_actuals(observed, result_months(result), source)
    if isinstance(result, ComparisonResult):
        return write_comparison(result, out, observed)
    if isinstance(result, SolveResult):
        return write_solve(result, out, observed)
    return write_run(result, out, observed)
