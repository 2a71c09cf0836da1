"""Files of the solve and sensitivity questions: their tables, charts and manifests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.questions.results import SensitivityResult, SolveResult
from sim.reports.plots import goal_probability_chart, tornado_chart
from sim.reports.run_outputs import write_run
from sim.reports.solve_report import write_solve_report
from sim.runs.files import write_figure, write_manifest, write_table


def write_solve(result: SolveResult, out: str | Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """solve.csv, goal_probability.png, solve.html and the trajectory at the solved value."""
    out = Path(out)
    result.run.manifest = result.manifest
    written = [write_table(result.evaluations, out / "solve.csv"), *write_run(result.run, out, actuals)]
    written.append(write_figure(
        lambda p: goal_probability_chart(result.evaluations, p, result.lever, result.confidence),
        out / "goal_probability.png",
    ))
    written.append(write_solve_report(result, out))
    return written


def write_sensitivity(result: SensitivityResult, out: str | Path) -> list[Path]:
    """sensitivity.csv, tornado.png, summary.csv of every run, manifest.json."""
    out = Path(out)
    return [
        write_table(result.table, out / "sensitivity.csv"),
        write_figure(lambda p: tornado_chart(result.table, p, result.measure), out / "tornado.png"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
