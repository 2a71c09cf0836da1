"""The compartmental comparator reproduces lists known exactly, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import compartmental as cm

W = cm.MONTH_WEEKS
MONTH_EDGES = tuple([i * W for i in range(13)] + [float("inf")])  # one band per compartment
CHS_EDGES = (0.0, 1.0, 2.0, 4.0, 12.0, 18.0, 52.0, float("inf"))


def _history(start: np.ndarray, shares: np.ndarray, joiners: float, months: int) -> np.ndarray:
    rows = [start]
    for _ in range(months - 1):
        rows.append(cm.step(rows[-1], shares, joiners))
    return np.vstack(rows)


def test_bands_on_month_edges_are_the_compartments_and_chs_bands_are_conserved():
    counts = np.arange(1, 14, dtype=float)[None, :]
    assert np.allclose(cm.to_compartments(counts, MONTH_EDGES), counts)
    chs = np.array([[30.0, 25.0, 40.0, 90.0, 60.0, 120.0, 35.0]])
    rebuilt = cm.to_compartments(chs, CHS_EDGES)
    assert rebuilt.sum() == pytest.approx(chs.sum())
    assert rebuilt[0, -1] == 35.0  # over 52 weeks is compartment 12 exactly
    # Uniform within bands: compartment 0 (0-4.33 weeks) holds bands 0-4 and a third of 4-12's week.
    assert rebuilt[0, 0] == pytest.approx(30 + 25 + 40 + 90 * (W - 4) / 8)


def test_constant_referrals_and_shares_reach_the_steady_state_computed_by_hand():
    joiners = 100.0
    shares = np.array([0.0, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.25])
    start = np.array([80.0, 70, 60, 50, 40, 35, 30, 25, 20, 15, 10, 5, 40])
    history = _history(start, shares, joiners, 6)
    model = cm.fit(history, MONTH_EDGES)
    assert np.allclose(model.shares[1:], shares[1:])  # calibrated exactly from exact flows
    assert model.joiners == pytest.approx(joiners)
    # Steady state by hand: n0 = J, n_m = J * prod(1 - p_1..p_m), and the open compartment
    # n12 = (n11 + n12)(1 - p12), so n12 = n11 (1 - p12) / p12.
    steady = np.empty(13)
    steady[0] = joiners
    for m in range(1, 12):
        steady[m] = steady[m - 1] * (1 - shares[m])
    steady[12] = steady[11] * (1 - shares[12]) / shares[12]
    far = cm.project(model, 120)
    assert far["waiting"][-1] == pytest.approx(steady.sum(), rel=1e-9)
    assert far["over_52_weeks"][-1] == pytest.approx(steady[12], rel=1e-9)
    over_18 = cm.measures_of(steady)["over_18_weeks"][0]  # compartments from 18 weeks, 4 in part
    assert over_18 == pytest.approx(steady[5:].sum() + steady[4] * (5 * W - 18) / W)
    assert far["over_18_weeks"][-1] == pytest.approx(over_18, rel=1e-9)


def test_exact_flows_project_exactly_with_a_tight_band():
    joiners = 50.0
    shares = np.r_[0.0, np.full(11, 0.15), 0.3]
    history = _history(np.full(13, 20.0), shares, joiners, 10)
    found = cm.forecast(history[:6], MONTH_EDGES, 4)
    truth = cm.measures_of(history[6:])
    for measure in cm.MEASURES:
        assert np.allclose(found[measure]["q50"], truth[measure], rtol=1e-6)
        assert np.allclose(found[measure]["q90"], found[measure]["q10"], rtol=1e-6)


def test_band_widens_with_horizon_on_noisy_chs_bands():
    rng = np.random.default_rng(4)
    base = np.array([40.0, 35, 60, 200, 120, 300, 50])
    counts = base * rng.uniform(0.9, 1.1, (6, 7))
    found = cm.forecast(counts, CHS_EDGES, 6)
    width = found["waiting"]["q90"] - found["waiting"]["q10"]
    assert (np.diff(width) > 0).all()
    assert found["over_18_weeks"]["q50"][0] == pytest.approx(counts[-1, 5:].sum(), rel=0.3)
    # Over 18 weeks is matched to the published figure at the origin, then projected.
    model = cm.fit(counts, CHS_EDGES)
    rebuilt = cm.measures_of(model.start)["over_18_weeks"][0] * model.over_18_scale
    assert rebuilt == pytest.approx(counts[-1, 5:].sum())
