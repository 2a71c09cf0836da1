"""Backtesting: held-out scoring by hand, interval coverage on synthetic histories, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from services import service_document
from test_fit import BOUNDS, LOADED, QUICK, TRUTH, loaded_config, synthetic_history
from typer.testing import CliRunner

from calibration.backtest import backtest
from calibration.fit import FitError, score
from sim.cli import app
from sim.engine.scenario import deep_merge


def test_score_by_hand():
    summary = pd.DataFrame(
        {
            "month": ["2024-04", "2024-05", "2024-06", "2024-07"],
            "breaches_p10": [0.0, 10.0, 20.0, 30.0],
            "breaches_p50": [5.0, 15.0, 25.0, 35.0],
            "breaches_p90": [10.0, 20.0, 30.0, 40.0],
        }
    )
    observed = pd.Series([9.0, 25.0, np.nan, 34.0], index=["2024-04", "2024-05", "2024-06", "2024-07"])
    result = score(summary, observed, "breaches")
    # errors of the median: 5-9=-4, 15-25=-10, 35-34=1 (June not observed)
    assert result == {
        "months": 3,
        "mae": pytest.approx(5.0),
        "bias": pytest.approx(-13 / 3),
        "coverage_80": pytest.approx(2 / 3),  # 25 is above May's 20
    }


def test_train_months_must_leave_months_to_fit_and_to_test():
    config = loaded_config()
    history = synthetic_history(config, 1)
    for k in (0, len(history)):
        with pytest.raises(FitError, match=rf"--train-months {k}: must leave at least one"):
            backtest(config, history, list(TRUTH), k, bounds=BOUNDS, **QUICK)


@pytest.mark.slow
def test_backtest_interval_coverage_is_near_nominal():
    """Pooled over three synthetic histories, about 80% of held-out figures fall in the 80% band.

    Threshold 0.6: the 54 held-out points (3 histories x 6 months x 3 series) are
    correlated within a history, so they carry roughly the information of 3 x 3 x 2
    independent ones; with 18 independent points at true coverage 0.8 the chance of seeing
    below 0.6 is under 2%. The band also carries parameter uncertainty, which can only widen
    it, so a correct forecast sits at or above 0.8 (offline: 0.90 pooled over 8 histories,
    144 held-out points, lowest single history 0.78).
    """
    config = loaded_config({"service": {"horizon_months": 15}})
    inside = []
    for seed in (1, 2, 3):
        history = synthetic_history(config, seed)
        result = backtest(config, history, list(TRUTH), 9, seed=seed, bounds=BOUNDS, **QUICK)
        assert result.test_months == [f"2025-{m:02d}" for m in range(1, 7)]
        held_out = result.detail[result.detail["held_out"]]
        assert len(held_out) == 6 * 3
        inside += list(held_out["inside"])
        assert set(result.scores["series"]) == {"breaches", "waiting", "first_contacts"}
        assert np.isfinite(result.scores[["mae", "bias", "coverage_80"]].to_numpy()).all()
    assert np.mean(inside) >= 0.6, np.mean(inside)


@pytest.mark.slow
def test_cli_backtest_writes_scores_and_chart(tmp_path):
    config = tmp_path / "service.yaml"
    document = deep_merge(deep_merge(service_document(), LOADED), {"service": {"horizon_months": 15}})
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    history = tmp_path / "history.csv"
    synthetic_history(loaded_config({"service": {"horizon_months": 15}}), 4).to_csv(history, index=False)
    out = tmp_path / "bt"
    args = ["backtest", str(config), "--data", str(history), "--fit", "job_plans.band6.non_clinical_share"]
    args += ["--train-months", "10", "--out", str(out), "--reps", "3", "--draws", "60"]
    args += ["--forecast-reps", "10", "--workers", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + result.stderr
    scores = pd.read_csv(out / "backtest_scores.csv")
    assert list(scores["months"]) == [5, 5, 5]  # 2025-02 .. 2025-06 for each series
    for name in (
        "backtest_breaches.png",
        "backtest_report.html",
        "backtest_detail.csv",
        "train_posterior.csv",
    ):
        assert (out / name).stat().st_size > 0
