"""Files of the solve and sensitivity questions: their tables, charts and manifests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.questions.results import SensitivityResult, SolveResult
from sim.reports.plots import tornado_chart
from sim.reports.run_outputs import write_run
from sim.runs.files import write_figure, write_manifest, write_table


def write_solve(result: SolveResult, out: str | Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """solve.csv, and the trajectory at the solved value (monthly, summary, charts, manifest)."""
    out = Path(out)
    result.run.manifest = result.manifest
    return [write_table(result.evaluations, out / "solve.csv"), *write_run(result.run, out, actuals)]


def write_sensitivity(result: SensitivityResult, out: str | Path) -> list[Path]:
    """sensitivity.csv, tornado.png, summary.csv of every run, manifest.json."""
    out = Path(out)
    return [
        write_table(result.table, out / "sensitivity.csv"),
        write_figure(lambda p: tornado_chart(result.table, p, result.measure), out / "tornado.png"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
