"""The fit's forecast continues the weighted trajectories and starts from the reported figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import ranges
from calibration.coverage_study import BOUNDS, TARGETS, synthetic_service
from calibration.history import align
from calibration.parameters import describe
from calibration.predictive import conditioned_forecast
from calibration.problem import Problem
from calibration.simulate import Simulator
from sim.engine.model import ServiceModel
from sim.runs.conditioning import Observations, level_correct

K = 6  # months fitted; the forecast runs 3 more


@pytest.fixture(scope="module")
def fitted():
    config = synthetic_service(K + 3)
    history = pd.DataFrame(ServiceModel(config, 4242, 0).run())[["month", *TARGETS]].head(K)
    observed = align(config, history, TARGETS, "history")
    parameters = describe(config, list(BOUNDS), BOUNDS, "synthetic")
    with Simulator(config.model_dump(mode="python"), 3, workers=1) as simulator:
        problem = Problem(simulator, parameters, observed, 2, 3)
        scale = problem.scale(np.full(len(parameters), 0.5))
        _, sample = ranges.posterior(problem, scale, 60, 0.2)
        forecast = conditioned_forecast(problem, sample, 20, K + 3)
    return history, sample, forecast


def test_each_forecast_replication_continues_the_draw_it_was_picked_from(fitted):
    history, sample, forecast = fitted
    months = list(history["month"])
    row_of = {int(r): i for i, r in enumerate(sample.replications)}
    for _, rows in forecast.monthly.groupby("replication"):
        draw = row_of[int(rows["candidate"].iloc[0])]
        before = rows.set_index("month").loc[months[:-1], list(TARGETS)].to_numpy(float)
        np.testing.assert_array_equal(before, sample.runs[draw, :-1, :])  # the months it was weighted on
    assert len(forecast.monthly["replication"].unique()) == 20


def test_the_band_at_the_last_fitted_month_is_the_reported_figure(fitted):
    history, _, forecast = fitted
    last = forecast.monthly[forecast.monthly["month"] == history["month"].iloc[-1]]
    for metric in TARGETS:
        assert (last[metric] == history[metric].iloc[-1]).all()
    assert forecast.info["level_corrected_from"] == {m: history["month"].iloc[-1] for m in TARGETS}


def test_forecast_parameters_are_those_of_the_picked_draws(fitted):
    _, sample, forecast = fitted
    row_of = {int(r): i for i, r in enumerate(sample.replications)}
    path = next(iter(BOUNDS))
    low, high = BOUNDS[path]
    for row in forecast.draws.to_dict("records"):
        unit = sample.units[row_of[row["candidate"]], 0]
        assert row[path] == pytest.approx(low + unit * (high - low))


def test_level_correction_shifts_stocks_from_their_last_reported_month_only():
    monthly = pd.DataFrame(
        {
            "replication": [0, 0, 0, 1, 1, 1],
            "month": ["2024-01", "2024-02", "2024-03"] * 2,
            "breaches": [10, 12, 15, 20, 3, 1],
            "waiting": [50, 55, 60, 70, 75, 80],
            "referrals": [5, 6, 7, 8, 9, 10],
        }
    )
    values = np.array([[np.nan, 50.0, 6.0], [8.0, np.nan, np.nan]])  # breaches, waiting, referrals
    obs = Observations(("2024-01", "2024-02"), ("breaches", "waiting", "referrals"), values)
    corrected = level_correct(monthly, obs)
    assert corrected == {"breaches": "2024-02", "waiting": "2024-01"}
    # breaches from February: replication 0 shifted by 8 - 12 = -4, replication 1 by 8 - 3 = +5
    assert monthly["breaches"].tolist() == [10, 8, 11, 20, 8, 6]
    # waiting from January (its last reported month): shifts 0 and -20
    assert monthly["waiting"].tolist() == [50, 55, 60, 50, 55, 60]
    assert monthly["referrals"].tolist() == [5, 6, 7, 8, 9, 10]  # a flow: never shifted


def test_level_correction_never_goes_below_zero():
    monthly = pd.DataFrame({"replication": [0, 0], "month": ["2024-01", "2024-02"], "breaches": [30, 5]})
    obs = Observations(("2024-01",), ("breaches",), np.array([[10.0]]))
    level_correct(monthly, obs)
    assert monthly["breaches"].tolist() == [10, 0]


def test_the_forecast_records_its_regression_adjustment(fitted):
    _, _, forecast = fitted
    adjustment = forecast.info["regression_adjustment"]
    distinct = forecast.monthly["candidate"].nunique()
    assert adjustment["distinct_replications"] == distinct
    assert set(adjustment["regressors"]) <= set(TARGETS)  # a miss the same everywhere is dropped
    assert adjustment["applied"] == (distinct >= 5 * (len(adjustment["regressors"]) + 1)), adjustment
