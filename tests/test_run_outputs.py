"""`dcsim run` and `sim.api.run`: the output contract and reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from services import EXAMPLE

from sim.api import run
from sim.runs.runner import run_replications
from sim.runs.summary import CONTRACT_COLUMNS


def test_same_seed_same_numbers_whatever_the_worker_count(small_config):
    serial = run_replications(small_config, reps=4, seed=21, workers=1)
    parallel = run_replications(small_config, reps=4, seed=21, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    other_seed = run_replications(small_config, reps=4, seed=22, workers=1)
    assert not serial["waiting"].equals(other_seed["waiting"])


def test_api_returns_contract_tables(small_config):
    result = run(small_config, reps=3, seed=1, workers=1, scenario="small")
    assert list(result.monthly.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert len(result.monthly) == 3 * small_config.service.horizon_months
    summary = result.summary
    assert len(summary) == small_config.service.horizon_months
    by_month = result.monthly.groupby("month", sort=False)["breaches"]
    assert (summary["breaches_mean"].to_numpy() == by_month.mean().to_numpy()).all()
    assert (summary["breaches_p90"].to_numpy() >= summary["breaches_p10"].to_numpy()).all()


def test_cli_run_writes_the_output_contract(tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(EXAMPLE / "baseline.yaml"),
        "--reps",
        "4",
        "--seed",
        "3",
        "--out",
        str(out),
        "--workers",
        "2",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    for name in (
        "monthly.csv",
        "summary.csv",
        "manifest.json",
        "breaches_fan.png",
        "waiting_fan.png",
        "capacity_demand.png",
    ):
        assert (out / name).stat().st_size > 0, name
    monthly = pd.read_csv(out / "monthly.csv")
    assert set(CONTRACT_COLUMNS) <= set(monthly.columns)
    assert len(monthly) == 4 * 36 and monthly["replication"].nunique() == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["replications"] == 4
    assert manifest["scenarios"]["baseline"][0]["sha256"]
    assert not list(out.glob(".*.tmp"))
