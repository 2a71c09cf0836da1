"""Coverage by randomised PIT: exact for a correct forecast of counts, where band coverage is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.scoring import QUANTILES, model_pit, normal_pit, pit_coverage


def test_pit_coverage_by_hand():
    low, high = np.array([0.2, 0.5, 0.8, 0.0]), np.array([0.4, 0.5, 0.8, 1.0])
    # 50% band is (0.25, 0.75): overlaps 0.15 of 0.2, a point inside, a point outside, 0.5 of 1
    assert pit_coverage(low, high, 0.5) == pytest.approx([0.75, 1.0, 0.0, 0.5])
    # 80% band is (0.1, 0.9)
    assert pit_coverage(low, high, 0.2) == pytest.approx([1.0, 1.0, 1.0, 0.8])


def test_model_pit_counts_replications_below_and_at_the_figure():
    months = ["2024-08"] * 4 + ["2024-09"] * 4
    forecast = pd.DataFrame({"month": months, "breaches": [0, 0, 1, 3, 5, 6, 6, 9]})
    found = model_pit(forecast, "breaches", ["2024-08", "2024-09"], [0.0, 6.0])
    assert found.to_dict("list") == {"pit_low": [0.0, 0.25], "pit_high": [0.5, 0.75]}


def test_normal_pit_of_a_naive_band():
    sd, z90 = 12.0, 1.2815516
    band = {name: np.array([50.0 + sd * z]) for name, z in {"p10": -z90, "p50": 0.0, "p90": z90}.items()}
    assert normal_pit(band, np.array([50.0]))[0] == pytest.approx(0.5)
    assert normal_pit(band, np.array([50.0 + z90 * sd]))[0] == pytest.approx(0.9)
    flat = {name: np.array([7.0]) for name in QUANTILES}  # no spread: a step at the value
    assert normal_pit(flat, np.array([6.0, 7.0]))[0] == 0.0


def test_a_correct_forecast_of_small_counts_covers_nominally_by_pit_but_not_by_band():
    """Forecast and figures from the same Poisson(1.5): ties at the band's edges inflate the
    share inside p25-p75 (0.59 = P(1) + P(2)) and p10-p90 (0.93 = P(0..3)); the PIT's is nominal."""
    rng = np.random.default_rng(7)
    forecast = pd.DataFrame({"month": "2024-08", "breaches": rng.poisson(1.5, 20_000)})
    figures = rng.poisson(1.5, 4_000).astype(float)
    pit = model_pit(forecast, "breaches", ["2024-08"] * len(figures), list(figures))
    values = forecast["breaches"]
    for name, alpha, share_inside in (("50", 0.5, 0.59), ("80", 0.2, 0.93)):
        low_q, high_q = alpha / 2, 1 - alpha / 2
        inside = (values.quantile(low_q) <= figures) & (figures <= values.quantile(high_q))
        assert inside.mean() == pytest.approx(share_inside, abs=0.03)
        by_pit = pit_coverage(pit["pit_low"].to_numpy(), pit["pit_high"].to_numpy(), alpha).mean()
        assert by_pit == pytest.approx(1 - alpha, abs=0.02), name
