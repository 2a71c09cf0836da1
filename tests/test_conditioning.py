"""Conditioning on observed months, checked against synthetic truth from a known seed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from services import service_config, service_document
from typer.testing import CliRunner

from sim.api import run
from sim.cli import app
from sim.engine.model import ServiceModel
from sim.engine.scenario import ConfigError
from sim.questions.compare import compare
from sim.runs.conditioning import (
    LowEffectiveSampleSize,
    ModelMissesReport,
    Observations,
    Settings,
    condition,
    effective_sample_size,
    systematic_resample,
)
from sim.runs.replication_plan import BandedModel

K = 4  # observed months; the service runs K + 3
GROWING = {  # breaches grow by ~15 a month with a spread of ~20 by month 4
    "service": {"horizon_months": K + 3},
    "demand": {"monthly_rate": 90},
    "workforce": [{"role": "band6", "wte": 2.0}, {"role": "band4", "wte": 0.6}],
    "initial_state": {
        "waiting_list": [
            {"from_weeks": 0, "to_weeks": 10, "count": 120},
            {"from_weeks": 10, "to_weeks": 20, "count": 120},
        ]
    },
}


def truth(config, seed: int) -> pd.DataFrame:
    """One synthetic history: a replication of the same service on a seed the runs never use."""
    return pd.DataFrame(ServiceModel(config, seed, 0).run())


def band_width(summary: pd.DataFrame, month: str) -> float:
    row = summary.set_index("month").loc[month]
    return float(row["breaches_p90"] - row["breaches_p10"])


def test_band_at_the_last_observed_month_is_narrow_around_the_observation():
    config = service_config(GROWING)
    history = truth(config, 4242)
    observed = history[["month", "breaches", "waiting"]].head(K)
    month, value = observed["month"].iloc[-1], observed["breaches"].iloc[-1]
    plain = run(config, 30, seed=1, workers=1).summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowEffectiveSampleSize)
        result = run(config, 30, seed=1, workers=1, observed=observed, conditioning=Settings(candidates=150))
    row = result.summary.set_index("month").loc[month]
    # The band is of the simulated count; the report carries Poisson-or-wider noise on top,
    # so the observation must sit within the band widened by two of its standard deviations.
    noise = 2 * value**0.5
    assert row["breaches_p10"] - noise <= value <= row["breaches_p90"] + noise
    assert band_width(result.summary, month) < 0.6 * band_width(plain, month)
    info = result.manifest["conditioning"]
    assert info["cut_off"] == month and info["metrics"] == ["breaches", "waiting"] and info["cells"] == 2 * K
    assert 1 <= info["effective_sample_size"] <= 150
    assert set(result.monthly["candidate"]) <= set(range(150))


@pytest.mark.slow
def test_forecast_bands_cover_held_out_truth_near_nominal():
    """Across synthetic histories, the 50% and 80% bands of the next 3 months cover at about their rates."""
    config = service_config(GROWING)
    inside = {"50": [], "80": []}
    for trial in range(12):
        history = truth(config, 10_000 + trial)
        observed = history[["month", "breaches", "waiting"]].head(K)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LowEffectiveSampleSize)
            result = run(
                config, 30, seed=trial, workers=1, observed=observed, conditioning=Settings(candidates=200)
            )
        ahead = result.monthly[~result.monthly["month"].isin(observed["month"])]
        for month, values in ahead.groupby("month")["breaches"]:
            actual = history.set_index("month").at[month, "breaches"]
            for name, (low, high) in {"50": (0.25, 0.75), "80": (0.1, 0.9)}.items():
                inside[name].append(values.quantile(low) <= actual <= values.quantile(high))
    coverage = {name: np.mean(hits) for name, hits in inside.items()}
    # 36 forecasts, correlated within a trial: allow about two standard errors. Measured:
    # 0.58 and 0.78 (0.64 and 0.86 before the regression adjustment; 0.50 and 0.83 before the
    # settled snapshot caseload; with 100 candidates, 0.50 and 0.69: too few distinct
    # replications).
    assert 0.3 <= coverage["50"] <= 0.7, coverage
    assert 0.65 <= coverage["80"] <= 0.95, coverage


def test_conditioning_on_nothing_reproduces_the_unconditioned_run():
    config = service_config(GROWING)
    plain = run(config, 6, seed=5, workers=1).monthly
    again = run(config, 6, seed=5, workers=1, observed=None).monthly
    assert again.equals(plain)
    empty = Observations(("2024-04",), ("breaches",), np.array([[np.nan]]))
    chosen, info = condition(plain.drop(columns="scenario"), empty, 6, 5, Settings())
    assert chosen.drop(columns="candidate").equals(plain.drop(columns="scenario"))
    assert info["effective_sample_size"] == 6


def test_systematic_resampling_keeps_each_share_within_one_copy():
    rng = np.random.default_rng(1)
    weights = rng.dirichlet(np.ones(17))
    for u in (0.0, 0.37, 0.999):
        picks = systematic_resample(np.log(weights), 50, u)
        counts = np.bincount(picks, minlength=17)
        expected = 50 * weights
        assert np.all(counts >= np.floor(expected)) and np.all(counts <= np.ceil(expected))
        assert np.all(np.diff(picks) >= 0)


def test_effective_sample_size():
    assert effective_sample_size(np.zeros(40)) == pytest.approx(40)
    assert effective_sample_size(np.array([0.0, -np.inf, -np.inf])) == pytest.approx(1)
    assert effective_sample_size(np.log([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


def test_scenarios_agreeing_up_to_the_cut_off_resample_the_same_replications(tmp_path):
    document = service_document(GROWING)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(document))
    (tmp_path / "posts.yaml").write_text(
        "extends: base.yaml\nevents:\n  - {date: 2024-08-05, add_staff: {role: band6, wte: 2}}\n"
    )
    history = truth(service_config(GROWING), 77)
    observed = history[["month", "breaches"]].head(K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowEffectiveSampleSize)
        result = compare(
            [tmp_path / "base.yaml", tmp_path / "posts.yaml"],
            reps=6,
            seed=3,
            workers=1,
            observed=observed,
            conditioning=Settings(candidates=24),
        )
    frames = [result.monthly[result.monthly["scenario"] == n].reset_index(drop=True) for n in result.names]
    assert frames[0]["candidate"].equals(frames[1]["candidate"])
    assert result.manifest["conditioning"]["posts"]["same_candidates_as_baseline"] is True
    before = frames[0]["month"].isin(observed["month"])
    assert frames[0].loc[before, "breaches"].equals(frames[1].loc[before, "breaches"])


def test_band_counts_add_up_to_the_waiting_list():
    config = service_config(GROWING)
    bands = (("band_0_14", 0.0, 14.0), ("band_14_plus", 14.0, math.inf))
    records = pd.DataFrame(BandedModel(config, 2, 0, bands).run())
    assert (records["band_0_14"] + records["band_14_plus"]).equals(records["waiting"])
    plain = pd.DataFrame(ServiceModel(config, 2, 0).run())
    assert records.drop(columns=["band_0_14", "band_14_plus"]).equals(plain)


def test_low_effective_sample_size_warns():
    config = service_config(GROWING)
    observed = truth(config, 99)[["month", "breaches", "waiting"]].head(K)
    with pytest.warns(LowEffectiveSampleSize, match="effective sample size"):
        run(
            config,
            5,
            seed=1,
            workers=1,
            observed=observed,
            conditioning=Settings(dispersion=1e6, candidates=5),
        )


def test_a_model_that_misses_every_report_one_way_warns_and_is_not_regression_adjusted():
    """Reported lists 150 longer than any replication's: a zero miss is far outside the misses."""
    config = service_config(GROWING)
    observed = truth(config, 99)[["month", "waiting"]].head(K)
    observed["waiting"] += 150
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowEffectiveSampleSize)
        with pytest.warns(ModelMissesReport, match="standard deviations"):
            settings = Settings(candidates=150)
            result = run(config, 30, seed=1, workers=1, observed=observed, conditioning=settings)
    adjustment = result.manifest["conditioning"]["regression_adjustment"]
    assert not adjustment["applied"] and adjustment["distance_of_reported_figures_sd"] > 3
    last = result.monthly[result.monthly["month"] == observed["month"].iloc[-1]]
    assert (last["waiting"] == observed["waiting"].iloc[-1]).all()  # still level-corrected


def test_observed_month_outside_the_run_is_refused():
    config = service_config(GROWING)
    observed = pd.DataFrame({"month": ["2024-03", "2024-04"], "breaches": [50.0, 60.0]}, index=[2, 3])
    with pytest.raises(ConfigError, match="row 2, column month: 2024-03 is outside the simulated months"):
        run(config, 2, seed=1, workers=1, observed=observed)
    fractional = pd.DataFrame({"month": ["2024-04"], "breaches": [2.5]}, index=[7])
    with pytest.raises(ConfigError, match="row 7, column breaches: not a count: 2.5"):
        run(config, 2, seed=1, workers=1, observed=fractional)
    useless = pd.DataFrame({"month": ["2024-04"], "wte": [3.0]})
    with pytest.raises(ConfigError, match="no column to condition on"):
        run(config, 2, seed=1, workers=1, observed=useless)


def test_cli_run_observed_records_what_it_conditioned_on(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(service_document(GROWING)))
    history = truth(service_config(GROWING), 5)
    csv = tmp_path / "observed.csv"
    history[["month", "breaches"]].head(K).assign(wte=2.0).to_csv(csv, index=False)
    out = tmp_path / "out"
    args = ["run", str(tmp_path / "base.yaml"), "--reps", "4", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--observed", str(csv), "--candidates", "12"])
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((out / "manifest.json").read_text())
    assert manifest["conditioning"]["observed"]["sha256"]
    assert manifest["conditioning"]["ignored_columns"] == ["wte"]
    assert manifest["conditioning"]["candidates"] == 12
    traced = CliRunner().invoke(app, [*args, "--observed", str(csv), "--trace"])
    assert traced.exit_code == 2 and "--trace: cannot be combined with --observed" in traced.output
    bad = CliRunner().invoke(app, [*args, "--observed", str(csv), "--dispersion", "-1"])
    assert bad.exit_code == 2 and "--dispersion" in bad.output


def test_cli_compare_observed_conditions_every_scenario(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(service_document(GROWING)))
    (tmp_path / "posts.yaml").write_text(
        "extends: base.yaml\nevents:\n  - {date: 2024-08-05, add_staff: {role: band6, wte: 2}}\n"
    )
    csv = tmp_path / "observed.csv"
    truth(service_config(GROWING), 8)[["month", "breaches"]].head(K).to_csv(csv, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(tmp_path / "base.yaml"),
            str(tmp_path / "posts.yaml"),
            "--reps",
            "3",
            "--workers",
            "1",
            "--out",
            str(out),
            "--observed",
            str(csv),
            "--candidates",
            "9",
            "--dispersion",
            "inf",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((out / "manifest.json").read_text())
    assert set(manifest["conditioning"]) == {"base", "posts"}
    assert manifest["conditioning"]["posts"]["dispersion"] == "Poisson (k = inf)"
    assert manifest["conditioning"]["posts"]["same_candidates_as_baseline"] is True
