"""The model-error layer: no look-ahead, nominal coverage on a known error law, and its table file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import model_error
from calibration.naive import LEVELS


def _past(
    n: int, origin: str, target: str, sd: float, rng, bias: float = 0.0, series: str = "s"
) -> pd.DataFrame:
    median = np.full(n, 200.0)
    level = np.full(n, 250.0)  # the measure at the origin: errors are shares of it
    actual = median + level * (bias + rng.normal(0, sd, n))
    return pd.DataFrame(
        {
            "series": series,
            "origin": origin,
            "target": target,
            "horizon": 1,
            "measure": "waiting",
            "median": median,
            "actual": actual,
            "level": level,
        }
    )


def test_rows_whose_target_is_not_before_the_origin_are_not_used():
    rng = np.random.default_rng(0)
    before = _past(400, "2024-01", "2024-02", 0.1, rng)
    # Origin 2024-05 forecasting 2024-06: its target is after the current origin 2024-03.
    future = _past(400, "2024-05", "2024-06", 2.0, rng)
    # The current origin's own month is not "before" it either.
    same = _past(400, "2024-02", "2024-03", 2.0, rng)
    table = model_error.estimate(pd.concat([before, future, same]), "2024-03")
    row = table.quantiles.iloc[0]
    assert row["n"] == 400
    assert table.months == ("2024-02",)
    assert row["q90"] - row["q10"] == pytest.approx(2 * 1.2816 * 0.1, rel=0.15)


@pytest.mark.parametrize("bias, shift", [(0.0, False), (0.05, True)])
def test_widened_band_covers_at_nominal_rates_on_a_known_error_law(bias, shift):
    rng = np.random.default_rng(7)
    sd = 0.15
    table = model_error.estimate(_past(4000, "2023-01", "2023-02", sd, rng, bias), "2024-01")
    # A method with a band far too narrow (its own spread 1% of its median), made at level 400.
    centre, level = np.full(5000, 300.0), 400.0
    own = {k: centre * (1 + 0.01 * (q - 0.5)) for k, q in LEVELS.items()}
    actual = centre + level * (bias + rng.normal(0, sd, 5000))
    for combine in model_error.COMBINE:
        hits = {"50": 0.0, "80": 0.0}
        # One horizon per call, so widen each point as its own 1-horizon forecast (vectorised via lookup).
        errors = table.lookup("waiting", 1)
        assert errors is not None
        bands, parts = model_error.widen(
            {k: v[:1] for k, v in own.items()}, table, "waiting", level, combine, shift
        )
        low80, high80 = bands["q10"][0], bands["q90"][0]
        low50, high50 = bands["q25"][0], bands["q75"][0]
        hits["80"] = np.mean((actual >= low80) & (actual <= high80))
        hits["50"] = np.mean((actual >= low50) & (actual <= high50))
        assert hits["80"] == pytest.approx(0.8, abs=0.03)
        assert hits["50"] == pytest.approx(0.5, abs=0.03)
        share = parts.set_index("band").loc["80", "model_error_share"]
        assert share > 0.99  # the method's own spread is negligible here


def test_a_wide_own_band_is_kept_by_max_and_added_by_quadrature():
    rng = np.random.default_rng(3)
    table = model_error.estimate(_past(2000, "2023-01", "2023-02", 0.1, rng), "2024-01")
    # Own 80% half-width 60 against model error's 1.28 * 0.1 * 100 = 13 at level 100.
    own = {k: np.array([100.0 + 60 * (q - 0.5) / 0.4]) for k, q in LEVELS.items()}
    wide_max, parts = model_error.widen(own, table, "waiting", 100.0, "max")
    wide_quad, _ = model_error.widen(own, table, "waiting", 100.0, "quadrature")
    assert wide_max["q90"][0] - wide_max["q50"][0] == pytest.approx(60.0, rel=1e-6)
    assert wide_quad["q90"][0] > wide_max["q90"][0]
    row = parts.set_index("band").loc["80"]
    assert row["own_share"] + row["model_error_share"] == pytest.approx(1.0)
    assert row["own_share"] > 0.5


def test_own_errors_are_blended_when_there_are_enough():
    rng = np.random.default_rng(5)
    pool = _past(1000, "2023-01", "2023-02", 0.05, rng, series="other")
    own = _past(40, "2023-01", "2023-02", 0.05, rng, bias=0.5, series="mine")
    both = pd.concat([pool, own])
    pooled = model_error.estimate(both, "2024-01").lookup("waiting", 1)
    blended = model_error.estimate(both, "2024-01", series="mine").lookup("waiting", 1)
    assert blended["q50"] > pooled["q50"] + 0.2  # weight 40/60 on its own errors, biased by 0.5


def test_table_round_trips_with_its_months(tmp_path):
    rng = np.random.default_rng(2)
    table = model_error.estimate(_past(100, "2023-01", "2023-02", 0.1, rng), "2023-06")
    path = tmp_path / "errors.csv"
    model_error.write_table(table, path)
    assert path.read_text().startswith("# model-error table; origin 2023-06; months 2023-02")
    back = model_error.read_table(path)
    assert back.months == ("2023-02",) and back.origin == "2023-06"
    pd.testing.assert_frame_equal(back.quantiles, table.quantiles, check_dtype=False)
    assert "estimated_from" in pd.read_csv(path, comment="#").columns
