"""``dcsim calibrate --waits``: the unknowns fitted to band snapshots, list size and breaches.

Truth is built without dcsim's engine: the compartment simulator of ``tests/compartment.py``
(Poisson referrals, exit hazards by weeks band). The fitted referral rate and capacity must hold
what made the history; on a real CHS series the fit must run and its replications from the
snapshot must cover the list size of the fitted months.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from compartment import compartment_history
from typer.testing import CliRunner

from calibration.from_waits.service import slots_per_wte_month
from calibration.waits import read_waits
from calibration.waits_fit import CAPACITY, REFERRALS, calibrate_waits, prepare
from sim.cli import app
from sim.engine.scenario import load_config

CHS = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chs" / "chs_england_therapy_wide.csv.gz"
)
needs_panel = pytest.mark.skipif(not CHS.exists(), reason=f"the public CHS panel is not at {CHS}")
RATES = [0.3, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05]


def _band_csv(tmp_path: Path, referrals: float = 60.0, seed: int = 4) -> Path:
    history, _ = compartment_history(referrals, RATES, months=5, seed=seed)
    path = tmp_path / "bands.csv"
    history.frame()[["month", "total", *history.band_names]].to_csv(path, index=False)
    return path


def test_the_fit_starts_from_the_first_snapshot_and_targets_every_band():
    history, _ = compartment_history(60.0, RATES, months=5, seed=2)
    prepared = prepare(history, history.months[-1])
    assert prepared.months == history.months
    config = prepared.config
    assert config.service.start_date.isoformat() == f"{history.months[1]}-01"
    seeded = sum(band.count for band in config.initial_state.waiting_list)
    assert seeded == history.counts[0].sum()
    assert list(prepared.frame["month"]) == list(history.months[1:])
    assert set(prepared.targets()) == {"waiting", "breaches", *history.band_names}
    np.testing.assert_array_equal(prepared.frame["breaches"], history.over(18)[1:])
    low, high = prepared.defaults[REFERRALS]
    assert low < 60 < high


def test_no_month_after_up_to_is_read():
    history, _ = compartment_history(60.0, RATES, months=6, seed=3)
    prepared = prepare(history, history.months[-2])
    assert history.months[-1] not in set(prepared.frame["month"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_referrals_and_capacity_hold_the_independent_truth(seed):
    history, true_exits = compartment_history(200.0, RATES, months=8, seed=seed)
    result, prepared = calibrate_waits(
        history, history.months[-1], reps=4, draws=400, forecast_reps=20, seed=seed, workers=2
    )
    table = result.table.set_index("parameter")
    assert table.loc[REFERRALS, "low"] <= 200 <= table.loc[REFERRALS, "high"]
    # Snapshots cannot tell a clock stop from a removal: capacity is checked as the exits it
    # allows, first contacts (slots) plus the removals the fitted service made.
    config = prepared.config
    per_wte = slots_per_wte_month(config.service.start_date, config.service.horizon_months, "england")
    removed = result.start_summary.set_index("month")["removed_p50"].reindex(prepared.frame["month"]).mean()
    low, high = (table.loc[CAPACITY, side] * per_wte + removed for side in ("low", "high"))
    assert low <= true_exits <= high


@needs_panel
def test_a_real_chs_series_is_fitted_and_covers_its_list_size():
    history = read_waits(CHS, "RLQ", "(CYP) Therapy interventions: Speech")
    result, _ = calibrate_waits(history, "2025-04", reps=4, draws=200, forecast_reps=40, seed=1, workers=2)
    checks = result.checks.set_index("series")
    assert checks.loc["waiting", "months"] >= 6
    assert checks.loc["waiting", "coverage_80"] >= 0.6
    assert result.info["months_fitted"][-1] == "2025-04"


def test_the_command_writes_a_runnable_fitted_service(tmp_path):
    data, out = _band_csv(tmp_path), tmp_path / "fit"
    args = ["calibrate", "--waits", str(data), "--up-to", "2022-04", "--reps", "2", "--draws", "20"]
    args += ["--forecast-reps", "10", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    fitted = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert fitted["extends"] == "service.yaml"
    draws = pd.read_csv(out / "parameter_draws.csv")
    assert {REFERRALS, CAPACITY} <= set(draws.columns)
    config = load_config(out / "calibrated.yaml")
    assert config.parameter_draws is not None and config.service.start_date.isoformat() == "2022-02-01"
    assert "--waits" in (out / "calibrated.yaml").read_text()
    checked = set(pd.read_csv(out / "fit_checks.csv")["series"])
    assert {"waiting", "breaches", "band_0_1", "band_52_inf"} <= checked


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--up-to", "2022-04", "--data", "x.csv"], "not both"),
        ([], "--up-to: required"),
        (["--up-to", "2022-04", "--target-weeks", "14"], "between the 12 and 18 week edges"),
        (["--up-to", "2022-04", "--from", "2021-01"], "--from 2021-01"),
        (["--up-to", "2022-04", "--fit", "demand.nonsense"], "demand.nonsense"),
        (["--up-to", "2022-04", "--bounds", "access_policy.reneging_rate=0,0.1,log"], "log-uniform"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(tmp_path, extra, message):
    data, out = _band_csv(tmp_path), tmp_path / "fit"
    args = ["calibrate", "--waits", str(data), "--reps", "2", "--draws", "20", "--out", str(out), *extra]
    if "--fit" not in extra and "--bounds" in extra:
        args += ["--fit", "access_policy.reneging_rate"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists() or not any(out.iterdir())
