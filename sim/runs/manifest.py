"""The run manifest: enough to reproduce a run exactly (files and hashes, seed, versions)."""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.scenario import file_hash, scenario_files
from sim.runs.files import package_version, source_commit


def manifest(
    scenarios: dict[str, str | Path | None],
    seed: int,
    reps: int,
    started: dt.datetime,
    extra: dict | None = None,
) -> dict:
    """What is needed to reproduce a run: files and hashes, seed, replications, versions."""
    files = {}
    for name, path in scenarios.items():
        chain = scenario_files(path) if path else []
        files[name] = [{"path": str(p), "sha256": file_hash(p)} for p in chain]
    finished = dt.datetime.now(dt.timezone.utc)
    return {
        "tool": "dcsim",
        "version": package_version(),
        "commit": source_commit(),
        "scenarios": files,
        "seed": seed,
        "replications": reps,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 2),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        **(extra or {}),
    }
