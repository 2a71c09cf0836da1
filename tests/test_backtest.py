"""Backtesting: held-out scoring by hand, interval coverage on synthetic histories, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm
from services import service_document
from test_fit import BOUNDS, LOADED, NCS, QUICK, TRUTH, loaded_config, synthetic_history
from typer.testing import CliRunner

from calibration.backtest import backtest
from calibration.coverage_study import study, summary
from calibration.fit import FitError, score
from calibration.scoring import interval_score, naive_forecasts, scores
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


def test_band_scores_by_hand():
    points = pd.DataFrame(
        {"observed": [10.0, 30.0], "p10": [0.0, 0.0], "p25": [5.0, 5.0], "p50": [9.0, 20.0],
         "p75": [15.0, 15.0], "p90": [20.0, 20.0]}
    )  # fmt: skip
    found = scores(points)
    assert found["points"] == 2
    assert found["coverage_50"] == 0.5 and found["coverage_80"] == 0.5
    assert found["width_50"] == 10 and found["width_80"] == 20
    # 80%: widths 20 + misses 0 and (30 - 20) x 2 / 0.2 = 100 -> mean (20 + 120) / 2
    assert found["interval_score_80"] == pytest.approx(70.0)
    # 50%: widths 10 + misses 0 and (30 - 15) x 2 / 0.5 = 60 -> mean (10 + 70) / 2
    assert found["interval_score_50"] == pytest.approx(40.0)
    assert found["mae"] == pytest.approx(5.5) and found["bias"] == pytest.approx(-5.5)
    assert interval_score(np.array([0.0]), np.array([1.0]), np.array([-1.0]), 0.2)[0] == pytest.approx(11.0)


def test_naive_forecasts_by_hand():
    y = np.array([10.0, 12.0, 11.0, 15.0])
    found = naive_forecasts(y, np.array([1, 2]))
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))  # differences 2, -1, 4
    carry = found["carry_forward"]
    assert carry["p50"] == pytest.approx([15, 15])
    assert carry["p90"] - carry["p50"] == pytest.approx(norm.ppf(0.9) * sigma * np.sqrt([1, 2]))
    drift = found["drift"]
    assert drift["p50"] == pytest.approx([15 + 5 / 3, 15 + 10 / 3])
    residual_sd = np.sqrt(np.sum((np.diff(y) - 5 / 3) ** 2) / 2)
    expected = norm.ppf(0.75) * residual_sd * np.sqrt(np.array([1, 2]) * (1 + np.array([1, 2]) / 3))
    assert drift["p75"] - drift["p50"] == pytest.approx(expected)
    assert "seasonal_naive" not in found  # needs 13 months
    year = np.arange(14.0) + np.tile([0.0, 5.0], 7)
    seasonal = naive_forecasts(year, np.array([1, 12, 13]))["seasonal_naive"]
    assert seasonal["p50"] == pytest.approx([year[2], year[13], year[2]])


def test_train_months_must_leave_months_to_fit_and_to_test():
    config = loaded_config()
    history = synthetic_history(config, 1)
    for k in (0, len(history)):
        with pytest.raises(FitError, match=rf"--train-months {k}: must leave at least one"):
            backtest(config, history, list(TRUTH), k, bounds=BOUNDS, **QUICK)


def test_only_the_requested_targets_are_scored_over_rolling_origins():
    config = loaded_config()
    history = synthetic_history(config, 2, months=7)
    options = {"reps": 2, "draws": 40, "forecast_reps": 10, "workers": 1, "bounds": {NCS: BOUNDS[NCS]}}
    result = backtest(config, history, [NCS], 4, targets={"breaches": "breaches"}, horizon=2, **options)
    assert result.origins == ["2024-07", "2024-08", "2024-09"]  # 4, 5 and 6 months fitted
    assert len(result.fits) == 3 and result.fits[1].info["months_fitted"] == ["2024-04", "2024-08"]
    assert set(result.detail["target"]) == {"breaches"}
    model = result.detail[result.detail["method"] == "model"]
    assert list(zip(model["origin"], model["month"], model["horizon"], strict=True)) == [
        ("2024-07", "2024-08", 1), ("2024-07", "2024-09", 2), ("2024-08", "2024-09", 1),
        ("2024-08", "2024-10", 2), ("2024-09", "2024-10", 1),
    ]  # fmt: skip
    table = result.scores.set_index("method")
    assert list(table.index) == ["model", "carry_forward", "drift"]  # seasonal naive needs 13 months
    assert (table["points"] == 5).all()
    carry = result.detail[result.detail["method"] == "carry_forward"]
    last = history.set_index("month")["breaches"]
    assert list(carry["p50"]) == [last[o] for o in carry["origin"]]  # the last training figure
    for column in ("coverage_50", "coverage_80", "pit_coverage_80", "width_80", "interval_score_80", "mae"):
        assert np.isfinite(table[column]).all()
    assert (table["width_80"] > table["width_50"]).all()
    # the model's PIT is the share of its replications below (at or below) each held-out figure
    first = model.iloc[0]
    values = result.fits[0].forecast.set_index("month").loc[first["month"], "breaches"]
    assert first["pit_low"] == (values < first["observed"]).mean()
    assert first["pit_high"] == (values <= first["observed"]).mean()


@pytest.mark.slow
def test_backtest_interval_coverage_is_near_nominal():
    """Pooled over three synthetic histories, about 80% of held-out figures fall in the 80% band.

    Threshold 0.6: the 54 held-out points (3 histories x 2 origins x 3 months x 3 series)
    are correlated within a history, so they carry roughly the information of 3 x 3 x 2
    independent ones; with 18 independent points at true coverage 0.8 the chance of seeing
    below 0.6 is under 2%. (The many-trial study is benchmarks/calibration_coverage.py.)
    """
    config = loaded_config({"service": {"horizon_months": 15}})
    inside = []
    for seed in (1, 2, 3):
        history = synthetic_history(config, seed)
        result = backtest(config, history, list(TRUTH), 9, seed=seed, bounds=BOUNDS, origins=2, **QUICK)
        assert result.origins == ["2024-12", "2025-01"]
        model = result.detail[result.detail["method"] == "model"]
        assert len(model) == 2 * 3 * 3
        inside += list((model["p10"] <= model["observed"]) & (model["observed"] <= model["p90"]))
        assert set(result.scores["target"]) == {"breaches", "waiting", "first_contacts"}
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
    args += ["--train-months", "13", "--out", str(out), "--reps", "3", "--draws", "60"]
    args += ["--forecast-reps", "10", "--workers", "2", "--target", "breaches=breaches"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + result.stderr
    scores = pd.read_csv(out / "backtest_scores.csv")
    assert list(scores["method"]) == ["model", "carry_forward", "drift", "seasonal_naive"]
    assert set(scores["target"]) == {"breaches"} and list(scores["points"]) == [3, 3, 3, 3]
    assert "seasonal_naive" in result.stdout and "IS80" in result.stdout  # the answer, on standard output
    for name in (
        "backtest_breaches.png",
        "backtest_report.html",
        "backtest_detail.csv",
        "train_posterior.csv",
    ):
        assert (out / name).stat().st_size > 0


@pytest.fixture(scope="module")
def study_points() -> pd.DataFrame:
    return study(4, reps=3, draws=120, forecast_reps=30, workers=2)


@pytest.mark.slow
def test_bands_cover_near_nominal_on_synthetic_truth(study_points):
    """Few-trial version of benchmarks/calibration_coverage.py (true parameters from the prior).

    4 trials x 3 held-out months x 2 targets = 24 points, correlated within a trial (about 8
    independent). Thresholds are loose for that: pooled 80% coverage >= 0.6 and 50% coverage
    within 0.2-0.85. (80 trials measured 0.82 and 0.82 for the 80% band, 0.64 and 0.51 for
    the 50% band, breaches and waiting; held-out zeros make the breaches figures high.)
    """
    model = study_points[study_points["method"] == "model"]
    y = model["observed"]
    assert len(model) == 4 * 3 * 2
    assert ((model["p10"] <= y) & (y <= model["p90"])).mean() >= 0.6
    assert ((model["p25"] <= y) & (y <= model["p75"])).mean() >= 0.2
    table = summary(study_points)
    assert set(table["target"]) == {"breaches", "waiting"} and (table["trials"] == 4).all()


@pytest.mark.slow
def test_half_bands_are_not_too_wide_on_synthetic_truth(study_points):
    """At most 85% of the 24 points inside the 50% bands (nominal 50%; about 8 independent points)."""
    model = study_points[study_points["method"] == "model"]
    y = model["observed"]
    assert ((model["p25"] <= y) & (y <= model["p75"])).mean() <= 0.85


@pytest.mark.slow
def test_median_beats_carry_forward_on_synthetic_truth(study_points):
    """The forecast continues from the last fitted month, so its median should be nearer than the
    last value carried forward (80 trials of the benchmark: MAE 6.2 vs 11.1 breaches, 12.2 vs
    18.4 waiting)."""
    model = study_points[study_points["method"] == "model"]
    carry = study_points[study_points["method"] == "carry_forward"]
    assert (model["p50"] - model["observed"]).abs().mean() < (carry["p50"] - carry["observed"]).abs().mean()
