"""benchmarks/real_panel.py end to end on three real CHS series, dcsim replaced by a tiny fake."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from services import ROOT

BENCH = ROOT / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


panel_series = _load("panel_series")
real_panel = _load("real_panel")
DATA = panel_series.default_data_dir()
needs_data = pytest.mark.skipif(
    DATA is None, reason="CHS panel not found (../shared/data/chs or $DCSIM_CHS_DATA)"
)


def fake_dcsim(counts: np.ndarray, months: list[str], horizon: int, seed: int, reps: int) -> dict:
    """Carry the last band snapshot forward with lognormal noise: a stand-in with a real band."""
    rng = np.random.default_rng(seed)
    last = panel_series.measures(counts[-1:])
    found = {}
    for measure, value in last.items():
        draws = value[0] * np.exp(rng.normal(0, 0.05 * np.sqrt(np.arange(1, horizon + 1)), (reps, horizon)))
        found[measure] = {k: np.quantile(draws, q, axis=0) for k, q in real_panel.naive.LEVELS.items()}
    return found


def test_origins_fit_at_most_six_months_and_stay_inside_the_run():
    series = panel_series.Series("X|s", tuple(f"2024-{m:02d}" for m in range(1, 11)), np.ones((10, 7)))
    found = real_panel.origins(series)
    assert found[0] == (0, 2, 6)  # first origin after three fitted months
    assert all(i - a + 1 <= 6 and i + h <= 9 for a, i, h in found)
    assert found[-1] == (3, 8, 1)


@needs_data
def test_three_series_end_to_end_with_a_fake_dcsim(tmp_path):
    chosen = [s for s in panel_series.panel_series(DATA) if len(s.runs(10)) == 2][:3]
    assert len(chosen) == 3
    methods = real_panel.ALL_METHODS
    table, points, notes = real_panel.run(DATA, methods, reps=50, forecaster=fake_dcsim, series=chosen)
    assert list(table.columns) == real_panel.SCORE_COLUMNS
    assert set(table["method"]) >= set(methods)
    assert set(table["measure"]) == set(real_panel.MEASURES)
    assert set(table["horizon"]) == set(range(1, 7))
    # Every method is scored on the same points, and only on origins from 2024.
    n = table.pivot_table(index=["measure", "horizon"], columns="method", values="n")
    assert (n.nunique(axis=1) == 1).all()
    dcsim = points[points["method"] == "dcsim"]
    assert (dcsim["origin"] < "2024").any()  # 2023 origins are forecast, to feed the layer...
    assert (
        table.loc[table["method"] == "dcsim", "n"].sum() == (dcsim["origin"] >= "2024").sum()
    )  # ...not scored
    assert any("share of squared half-width" in note for note in notes)
    for col in ("coverage_50", "coverage_80"):
        assert table[col].between(0, 1).all()
    ordered = points[list(real_panel.QCOLS)].to_numpy()
    assert (np.diff(ordered, axis=1) >= -1e-9).all()


@needs_data
def test_dcsim_is_skipped_with_a_reason_when_its_forecaster_is_absent():
    if real_panel.dcsim_available() is None:
        pytest.skip("calibration.from_waits exists now")
    chosen = [s for s in panel_series.panel_series(DATA) if s.months[-1] >= "2025"][:1]
    table, _, notes = real_panel.run(DATA, ("dcsim", "carry_forward"), series=chosen)
    assert any(note.startswith("dcsim skipped: calibration.from_waits is not importable") for note in notes)
    assert set(table["method"]) == {"carry_forward"}
