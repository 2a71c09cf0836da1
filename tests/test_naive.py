"""Naive forecasters and the band scores they are judged by, on cases worked by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from calibration import naive
from calibration.scoring import interval_score, scores


def test_interval_score_by_hand():
    # Band 10-20, alpha 0.2 (80%): inside costs the width; 5 below costs 10 + 2/0.2 * 5 = 60;
    # 3 above costs 10 + 10 * 3 = 40.
    low, high = np.array([10.0, 10.0, 10.0]), np.array([20.0, 20.0, 20.0])
    y = np.array([15.0, 5.0, 23.0])
    assert interval_score(low, high, y, 0.2).tolist() == [10.0, 60.0, 40.0]


def test_coverage_and_scores_by_hand():
    points = pd.DataFrame(
        {
            "observed": [15.0, 5.0, 23.0, 12.0],
            "p10": [10.0] * 4,
            "p25": [13.0] * 4,
            "p50": [15.0] * 4,
            "p75": [17.0] * 4,
            "p90": [20.0] * 4,
        }
    )
    found = scores(points)
    assert found["coverage_80"] == pytest.approx(0.5)  # 15 and 12 inside 10-20
    assert found["coverage_50"] == pytest.approx(0.25)  # only 15 inside 13-17
    assert found["interval_score_80"] == pytest.approx((10 + 60 + 40 + 10) / 4)
    assert found["mae"] == pytest.approx((0 + 10 + 8 + 3) / 4)


def test_carry_forward_and_random_walk():
    y = np.array([100.0, 110.0, 130.0])  # changes 10, 20: mean 15, sample sd sqrt(25 + 25)
    cf = naive.carry_forward(y, 3)
    assert all(np.array_equal(cf[k], [130.0] * 3) for k in naive.LEVELS)
    rw = naive.random_walk(y, 4)
    assert rw["q50"].tolist() == [130.0] * 4
    assert rw["q90"][3] - rw["q50"][3] == pytest.approx(norm.ppf(0.9) * np.sqrt(50) * 2)


def test_drift_extends_the_line_with_the_textbook_variance():
    y = np.array([10.0, 12.0, 15.0, 16.0])  # slope 2; change residuals 0, 1, -1 -> sigma 1
    found = naive.drift(y, 2)
    assert found["q50"].tolist() == [18.0, 20.0]
    sd = np.sqrt(2 * (1 + 2 / 3))
    assert found["q90"][1] - found["q50"][1] == pytest.approx(norm.ppf(0.9) * sd)


def test_seasonal_naive_uses_a_year_back_and_falls_back_with_a_warning():
    y = np.arange(13, dtype=float) * 10  # 0..120
    found = naive.seasonal_naive(y, 2)
    assert found["q50"].tolist() == [10.0, 20.0]  # months 13 and 14 -> months 1 and 2
    with pytest.warns(UserWarning, match="carrying the last value forward"):
        short = naive.seasonal_naive(y[:6], 2)
    assert short["q50"].tolist() == [50.0, 50.0]


def test_lower_quantiles_never_go_below_zero():
    found = naive.random_walk(np.array([0.0, 50.0, 0.0, 40.0]), 3)
    assert (found["q10"] >= 0).all()


def _past(rows):
    return pd.DataFrame(rows, columns=["origin", "horizon", "measure", "target", "forecast", "actual"])


def test_conformal_band_is_the_empirical_relative_error_and_ignores_the_future():
    rng = np.random.default_rng(1)
    rel = rng.uniform(-0.2, 0.2, 200)
    rows = [("2024-01", 1, "waiting", "2024-02", 100.0, 100.0 * (1 + r)) for r in rel]
    # A future origin whose target is not yet published at 2024-06: wildly wrong, must be ignored.
    rows += [("2024-06", 1, "waiting", "2024-07", 100.0, 10_000.0)] * 200
    past = _past(rows)
    found = naive.conformal_carry_forward(np.array([50.0, 200.0]), 1, past, "2024-06", "waiting")
    assert found["q50"][0] == pytest.approx(200 * (1 + np.quantile(rel, 0.5)))
    assert found["q90"][0] == pytest.approx(200 * (1 + np.quantile(rel, 0.9)))
    assert found["q90"][0] < 300


def test_conformal_band_borrows_a_shorter_horizon_scaled():
    errors = {1: np.linspace(-0.1, 0.1, 101)}
    found = naive.conformal_band(100.0, errors, 4)
    assert found["q90"][3] - 100 == pytest.approx(100 * np.quantile(errors[1], 0.9) * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert naive.conformal_band(100.0, {}, 2)["q10"].tolist() == [100.0, 100.0]
