"""``dcsim from-waits``: flows inferred from band snapshots, against a simulator written here.

The synthetic histories come from a plain day-by-day compartment simulation (not dcsim's
engine; ``benchmarks/compartment_waits.py``): Poisson referrals, and each waiting patient
leaving each day with a hazard set by how long they have waited. Its month-end lists, cut into
the CHS weeks bands, are what a provider would publish; the inferred referrals and exits must
hold the truth inside their 90% ranges.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from compartment import Waits, compartment_history, simulate
from typer.testing import CliRunner

from calibration.from_waits.estimate import estimate
from sim.cli import app
from sim.engine.scenario import load_config

CHS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chs"
CHS = CHS / "chs_england_therapy_wide.csv.gz"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_referrals_and_exits_are_recovered_from_an_independent_simulator(seed):
    rates = (0.3, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05)
    synthetic = simulate(Waits(200.0, rates, months=8), seed)
    history = synthetic.history
    fitted = estimate(history, history.months[-1], seed=seed)
    ranges = fitted.ranges()
    # The truth is what the simulator counted in the months the estimate used, not its Poisson rate.
    months = fitted.months[1:]
    low, high = ranges["referrals a month"][1:]
    assert low <= synthetic.mean("referrals", months) <= high
    low, high = ranges["exits a month (seen or removed)"][1:]
    assert low <= synthetic.mean("removed", months) <= high
    # The long waiters leave more slowly than the short: the profile, not just the level.
    assert ranges["monthly exit rate, 4-12 weeks"][0] > ranges["monthly exit rate, over 52 weeks"][0]


def test_the_built_service_keeps_a_steady_list_steady_with_the_stated_removal_share():
    """A list in steady state (the compartment simulator after its burn-in) stays level when the
    inferred service runs on from its last snapshot, and removals are the stated share of exits
    (the cohort rates give only their shape; their level once removed the list three times over)."""
    from calibration.from_waits.forecast import simulate

    rates = [0.3, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05]
    history, _ = compartment_history(200.0, rates, months=7, seed=4)
    monthly, _, _, fitted = simulate(history, history.months[-1], horizon=6, reps=8, seed=4)
    level = history.counts.sum(axis=1).mean()
    by_month = monthly.groupby("month").mean(numeric_only=True)
    assert abs(by_month["waiting"].iloc[-1] - level) < 0.1 * level
    removed = by_month["removed"].sum() / (by_month["removed"].sum() + by_month["clock_stops"].sum())
    assert removed == pytest.approx(float(np.median(fitted.removal_share)), abs=0.06)


def test_too_few_months_are_refused_with_the_reason():
    history, _ = compartment_history(50.0, [0.3] * 7, months=2, seed=1)
    with pytest.raises(Exception, match="at least 3 consecutive usable months"):
        estimate(history, history.months[-1])


@pytest.mark.skipif(not CHS.exists(), reason=f"the CHS panel is not beside the repo ({CHS})")
def test_from_waits_writes_a_runnable_service(tmp_path):
    out = tmp_path / "fw"
    args = ["from-waits", str(CHS), "--provider", "RLQ", "--service",
            "(CYP) Therapy interventions: Speech and language", "--up-to", "2025-01", "--out", str(out),
            "--horizon", "3", "--reps", "20"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("service.yaml", "parameter_draws.csv", "summary.csv", "fit_report.html", "manifest.json"):
        assert (out / name).exists(), name
    config = load_config(out / "service.yaml")
    assert config.service.start_date.isoformat() == "2025-02-01"
    assert sum(b.count for b in config.initial_state.waiting_list) == 311  # the Jan 2025 list as published
    text = (out / "summary.csv").read_text()
    assert text.startswith("month,waiting_mean,waiting_p10,waiting_p25,waiting_p50")
    # The band carries model error from the shipped table, and says where its width came from.
    manifest = json.loads((out / "manifest.json").read_text())
    error = manifest["uncertainty"]["model_error"]
    assert "model error" in manifest["uncertainty"]["sources"]
    assert error["estimated_from_months"] and max(error["estimated_from_months"]) < "2024-08"
    sources = (out / "band_sources.csv").read_text().splitlines()
    assert sources[0].startswith("month,measure,horizon,band")


@pytest.mark.skipif(not CHS.exists(), reason=f"the CHS panel is not beside the repo ({CHS})")
def test_model_error_band_is_at_least_the_simulations_own_and_a_bad_table_is_refused(tmp_path):
    args = ["from-waits", str(CHS), "--provider", "RLQ", "--service",
            "(CYP) Therapy interventions: Speech and language", "--up-to", "2025-01",
            "--horizon", "3", "--reps", "10"]
    own, full = tmp_path / "own", tmp_path / "full"
    assert CliRunner().invoke(app, [*args, "--out", str(own), "--no-model-error"]).exit_code == 0
    assert CliRunner().invoke(app, [*args, "--out", str(full)]).exit_code == 0
    a = pd.read_csv(own / "summary.csv")
    b = pd.read_csv(full / "summary.csv")
    assert (b["breaches_p90"] - b["breaches_p10"] >= a["breaches_p90"] - a["breaches_p10"] - 1e-6).all()
    bad = tmp_path / "bad.csv"
    bad.write_text("measure,horizon\nwaiting,one\n")
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "x"), "--model-error", str(bad)])
    assert result.exit_code == 2 and "model-error table" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not CHS.exists(), reason=f"the CHS panel is not beside the repo ({CHS})")
@pytest.mark.parametrize(
    "extra, message",
    [
        (["--up-to", "2025-13"], "--up-to"),
        (["--up-to", "2025-01", "--target-weeks", "14"], "14"),
        (["--up-to", "2024-09"], "at least 3 consecutive"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(tmp_path, extra, message):
    out = tmp_path / "fw"
    args = ["from-waits", str(CHS), "--provider", "RLQ", "--service",
            "(CYP) Therapy interventions: Speech and language", "--out", str(out), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
