"""Regression adjustment of conditioned forecasts, checked against constructed ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.runs.conditioning import Observations, level_correct
from sim.runs.regression_adjustment import adjust, misses

MONTHS = ("2024-01", "2024-02")
REPORTED = {"breaches": 100.0, "waiting": 400.0}


def replications(n: int, slope: float, noise: float, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` replications that miss the reported February figures by known amounts.

    In March each moves on by 10, plus ``slope`` times its breaches miss (a replication
    that ended high clears faster when ``slope`` < 0), plus independent noise of sd
    ``noise``: so the forecast a replication passing exactly through the report would give
    is 110 + noise, whatever its miss.
    """
    rng = np.random.default_rng(seed)
    miss = rng.normal(0, 20, n)
    waiting_miss = rng.normal(0, 30, n)
    march = REPORTED["breaches"] + miss + 10 + slope * miss + rng.normal(0, noise, n)
    rows = []
    for r in range(n):
        rows.append({"replication": r, "candidate": r, "month": "2024-01", "breaches": 90, "waiting": 390})
        feb = {
            "breaches": round(REPORTED["breaches"] + miss[r]),
            "waiting": round(REPORTED["waiting"] + waiting_miss[r]),
        }
        rows.append({"replication": r, "candidate": r, "month": "2024-02", **feb})
        rows.append(
            {
                "replication": r,
                "candidate": r,
                "month": "2024-03",
                "breaches": round(march[r]),
                "waiting": 420,
            }
        )
    return pd.DataFrame(rows), miss


def observations() -> Observations:
    values = np.array([[90.0, 390.0], [REPORTED["breaches"], REPORTED["waiting"]]])
    return Observations(MONTHS, ("breaches", "waiting"), values)


def forecast(monthly: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    obs = observations()
    miss = misses(monthly, obs.months, obs.metrics, obs.values)
    info = adjust(monthly, miss, level_correct(monthly, obs))
    return monthly, info


def march(monthly: pd.DataFrame) -> np.ndarray:
    return monthly.loc[monthly["month"] == "2024-03", "breaches"].to_numpy(float)


def test_misses_are_taken_in_the_last_reported_month_before_correction():
    monthly, miss = replications(5, slope=0.0, noise=1.0)
    obs = observations()
    found = misses(monthly, obs.months, obs.metrics, obs.values)
    expected = monthly[monthly["month"] == "2024-02"].set_index("replication")["breaches"] - 100
    pd.testing.assert_series_equal(found["breaches"], expected.astype(float), check_names=False)


def test_adjustment_removes_the_spread_the_misses_explain():
    monthly, _ = replications(400, slope=-0.6, noise=4.0)
    level_only = monthly.copy()
    level_correct(level_only, observations())
    adjusted, info = forecast(monthly)
    assert info["applied"] and info["regressors"] == ["breaches", "waiting"]
    # Level correction alone leaves 110 + (slope) x miss + noise: sd sqrt(0.36 x 400 + 16) = 12.6.
    assert march(level_only).std() == pytest.approx(np.sqrt(0.36 * 400 + 16), rel=0.1)
    # Adjusted: 110 + noise (sd 4, inflated by sqrt(399 / 397); rounding adds 1/12 variance).
    assert march(adjusted).std() == pytest.approx(np.sqrt(16 + 1 / 12), rel=0.1)
    assert march(adjusted).mean() == pytest.approx(110, abs=0.6)


def test_adjustment_leaves_a_forecast_the_misses_do_not_explain():
    monthly, _ = replications(400, slope=0.0, noise=6.0)
    level_only = monthly.copy()
    level_correct(level_only, observations())
    adjusted, _ = forecast(monthly)
    assert march(adjusted).std() == pytest.approx(march(level_only).std(), rel=0.05)
    assert march(adjusted).mean() == pytest.approx(110, abs=1.0)


def test_months_up_to_the_cut_off_do_not_move():
    monthly, _ = replications(60, slope=-0.6, noise=4.0)
    adjusted, _ = forecast(monthly)
    february = adjusted[adjusted["month"] == "2024-02"]
    assert (february["breaches"] == 100).all() and (february["waiting"] == 400).all()
    assert (adjusted.loc[adjusted["month"] == "2024-01", "breaches"] == 90).all()


def test_too_few_distinct_replications_skip_the_adjustment_and_say_why():
    monthly, _ = replications(60, slope=-0.6, noise=4.0)
    monthly["candidate"] = monthly["replication"] % 12  # 12 distinct: below 5 x (2 + 1)
    level_only = monthly.copy()
    level_correct(level_only, observations())
    adjusted, info = forecast(monthly)
    assert not info["applied"] and "12 distinct replications" in info["why"]
    pd.testing.assert_frame_equal(adjusted, level_only)


def test_a_miss_the_same_in_every_replication_is_not_a_regressor():
    monthly, _ = replications(60, slope=-0.6, noise=4.0)
    monthly.loc[monthly["month"] == "2024-02", "waiting"] = 410
    _, info = forecast(monthly)
    assert info["regressors"] == ["breaches"]


def test_adjusted_counts_stay_whole_and_never_negative():
    monthly, _ = replications(200, slope=-0.6, noise=4.0)
    observed = observations()
    values = observed.values.copy()
    values[1, 0] = 2.0  # reported two breaches: level-corrected values fall towards zero
    low = Observations(MONTHS, observed.metrics, values)
    miss = misses(monthly, low.months, low.metrics, low.values)
    adjust(monthly, miss, level_correct(monthly, low))
    after = march(monthly)
    assert (after >= 0).all() and (after == np.round(after)).all()


def test_replications_that_all_miss_one_way_are_not_extrapolated_to_a_zero_miss():
    """Misses of 100 +- 20 put a zero miss 5 sd out: a straight line would be extrapolated
    that far, so the forecast stays level-corrected only and the manifest says why."""
    monthly, _ = replications(200, slope=-0.6, noise=4.0)
    february = monthly["month"] == "2024-02"
    monthly.loc[february, "breaches"] += 100
    monthly.loc[monthly["month"] == "2024-03", "breaches"] += 100
    level_only = monthly.copy()
    level_correct(level_only, observations())
    adjusted, info = forecast(monthly)
    assert not info["applied"] and "standard deviations" in info["why"]
    assert info["distance_of_reported_figures_sd"] == pytest.approx(5, rel=0.15)
    pd.testing.assert_frame_equal(adjusted, level_only)
