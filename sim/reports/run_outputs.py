"""Files of one scenario run: monthly and summary tables, the manifest and the fan charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.reports import plots
from sim.runs.files import write_figure, write_manifest, write_table
from sim.runs.result import RunResult


def write_run(result: RunResult, out: str | Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """Write monthly.csv, summary.csv, manifest.json and the charts into ``out``."""
    out = Path(out)
    written = [
        write_table(result.monthly, out / "monthly.csv"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
    written += write_charts(result.summary, out, actuals)
    return written


def write_charts(summary: pd.DataFrame, out: Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """Breach and waiting-list fan charts (actuals overlaid) and capacity against demand."""
    observed = actuals.set_index("month") if actuals is not None else None
    paths = []
    for metric, name in (("breaches", "breaches_fan.png"), ("waiting", "waiting_fan.png")):
        series = observed[metric] if observed is not None and metric in observed else None
        paths.append(
            write_figure(lambda p, m=metric, s=series: plots.fan_chart(summary, m, p, actuals=s), out / name)
        )
    for scenario in dict.fromkeys(summary["scenario"]):
        name = (
            "capacity_demand.png" if summary["scenario"].nunique() == 1 else f"capacity_demand_{scenario}.png"
        )
        paths.append(
            write_figure(lambda p, s=scenario: plots.capacity_demand_chart(summary, p, s), out / name)
        )
    return paths
