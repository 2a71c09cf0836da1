"""``dcsim backtest HISTORY`` on a published waiting list: rolling origins, every method, no look-ahead.

On a real CHS series (skipped when the public CHS file is not beside the repository): the
published figures are read back with the csv module, not dcsim's reader, and carry-forward's
scores are computed here by hand; a wild month after the last scored month changes nothing, and
a changed month changes no forecast made before it.
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_track import chs_file
from typer.testing import CliRunner

from calibration.waits import read_waits
from calibration.waits.history import month_index
from calibration.waits_backtest import backtest_waits
from calibration.waits_backtest.panel import panel_histories
from sim.cli import app

CHS = chs_file()
needs_chs = pytest.mark.skipif(CHS is None,
                               reason="the public CHS file (../shared/data/chs) is not beside the repo")
PROVIDER, SERVICE = "RCU", "(CYP) Therapy interventions: Occupational therapy"  # every month usable
MEASURES = {"waiting": "waiting_total", "over_18_weeks": "over_18_weeks", "over_52_weeks": "over_52_weeks"}


def published() -> dict[str, dict[str, float]]:
    """month -> measure -> figure, straight from the CHS wide file."""
    with gzip.open(CHS, "rt", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["org_code"] == PROVIDER and r["service"] == SERVICE]
    assert all(r["banded_total"] == r["waiting_total"] for r in rows)  # every month usable: bands sum
    return {r["month"]: {m: float(r[c]) for m, c in MEASURES.items()} for r in rows}


def dcsim(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("backtest") / "out"
    result = dcsim("backtest", CHS, "--provider", PROVIDER, "--service", SERVICE, "--from", "2025-03",
                   "--to", "2025-05", "--horizon", "3", "--reps", "4", "--seed", "2", "--out", out)
    return result, out


@needs_chs
def test_carry_forward_scores_equal_a_hand_computation(cli_run):
    result, out = cli_run
    assert result.exit_code == 0, result.output
    figures = published()
    months = sorted(figures)
    rows = []
    for origin in ("2025-03", "2025-04", "2025-05"):
        for month in months:
            h = month_index(month) - month_index(origin)
            if 0 < h <= 3:
                for measure in MEASURES:
                    rows.append((measure, h, figures[origin][measure], figures[month][measure]))
    hand = pd.DataFrame(rows, columns=["measure", "horizon", "forecast", "actual"])
    hand["error"] = (hand["forecast"] - hand["actual"]).abs()
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == ["method", "measure", "horizon", "n", "coverage_50", "coverage_80",
                                    "interval_score_80", "mae", "mape"]
    flat = scores[scores["method"] == "carry_forward"].set_index(["measure", "horizon"])
    for (measure, h), group in hand.groupby(["measure", "horizon"]):
        row = flat.loc[(measure, h)]
        assert row["n"] == len(group)
        assert row["mae"] == pytest.approx(group["error"].mean(), rel=1e-5)
        inside = (group["error"] == 0).mean()  # a point band holds only the exact figure
        assert row["coverage_80"] == pytest.approx(inside) and row["coverage_50"] == pytest.approx(inside)
        assert row["interval_score_80"] == pytest.approx(10 * group["error"].mean(), rel=1e-5)
        positive = group[group["actual"] > 0]
        if len(positive):
            mape = (positive["error"] / positive["actual"]).mean()
            assert row["mape"] == pytest.approx(mape, rel=1e-4)
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert list(forecasts.columns)[:11] == ["origin", "method", "measure", "horizon", "month", "actual",
                                            "p10", "p25", "p50", "p75", "p90"]
    assert set(forecasts["method"]) >= {"dcsim", "carry_forward", "drift", "random_walk",
                                        "conformal_carry_forward", "compartmental"}
    # Every method is in scores.csv; seasonal naive only where a month a year before the target
    # was published by the origin (here none: Mar-Aug 2024 are not in the file), else n = 0.
    assert set(scores["method"]) == {"dcsim", "carry_forward", "drift", "seasonal_naive", "random_walk",
                                     "conformal_carry_forward", "compartmental"}
    assert (scores.loc[scores["method"] == "seasonal_naive", "n"] == 0).all()
    assert "seasonal_naive is not available at horizon 1, 2, 3" in result.stdout
    assert "Mar 2025 to May 2025" in result.stdout and "Waiting over 18 weeks:" in result.stdout


@needs_chs
def test_the_report_page_shows_every_measure_and_the_published_figures(cli_run):
    result, out = cli_run
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert page.count("<img ") == 4  # one track-record chart per measure, and the scores by horizon
    for measure in ("Waiting list", "Waiting over 18 weeks", "Waiting over 52 weeks"):
        assert f"<h3>{measure}:</h3>" in page
    assert PROVIDER in page and "Mar 2025 to May 2025" in page
    for name in ("track_waiting.png", "track_over_18_weeks.png", "track_over_52_weeks.png",
                 "scores_by_horizon.png"):
        assert (out / name).stat().st_size > 10_000  # a drawn chart, not an empty canvas
    manifest = json.loads((out / "manifest.json").read_text())
    assert "report.html" in manifest["files"]
    assert not [p for p in out.iterdir() if p.is_dir()]  # the staging folder is gone


@needs_chs
def test_no_month_after_an_origin_reaches_its_forecast():
    history = read_waits(CHS, PROVIDER, SERVICE)
    panel = panel_histories(CHS, history)
    mine = next(i for i, h in enumerate(panel) if h.provider_code == PROVIDER and h.service == SERVICE)
    options = {"first": "2025-03", "last": "2025-04", "horizon": 3, "reps": 4, "seed": 5}

    def run(changed):
        series = panel[:mine] + [changed.usable()] + panel[mine + 1:]
        return backtest_waits(changed, panel=series, **options).points

    base = run(history)
    # A wild month after the last origin + horizon (Jul 2025): Aug 2025, ten times the list.
    wild = replace(history, months=(*history.months[:-1], "2025-08", history.months[-1]),
                   counts=np.insert(history.counts, len(history.months) - 1, history.counts[-2] * 10, axis=0),
                   totals=np.insert(history.totals, len(history.months) - 1, history.totals[-2] * 10))
    pd.testing.assert_frame_equal(run(wild), base)
    # A changed month (Apr 2025, tripled): the forecast from March is unchanged (its
    # actual for April is what moves); the forecast from April itself does change.
    at = history.months.index("2025-04")
    counts = history.counts.copy()
    counts[at] *= 3
    changed = run(replace(history, counts=counts, totals=counts.sum(axis=1)))
    bands = ["origin", "method", "measure", "horizon", "month", "p10", "p25", "p50", "p75", "p90"]
    before = base["origin"] < "2025-04"
    pd.testing.assert_frame_equal(changed.loc[before, bands], base.loc[before, bands])
    assert not changed.loc[before & (changed["month"] == "2025-04"), "actual"].equals(
        base.loc[before & (base["month"] == "2025-04"), "actual"])
    assert not np.allclose(changed.loc[~before, "p50"], base.loc[~before, "p50"])


@needs_chs
@pytest.mark.parametrize(("extra", "message"), [
    (["--from", "2025-13"], "--from: '2025-13' is not a month as YYYY-MM"),
    (["--from", "2030-01"], "origins: no month from 2030-01 to the end has 3 consecutive usable months"),
    (["--target-weeks", "14"], "over 14.0 weeks cannot be read from these bands (14.0 lies between the 12"),
    (["--fit-months", "2"], "--fit-months: 2: give a whole number from 3 to 12"),
    (["--horizon", "7"], "--horizon: 7: give a whole number from 1 to 6"),
    (["--fit", "demand.referrals"], "--fit: only with --data (a YAML config)"),
    (["--no-model-error", "--model-error", "x.csv"], "--model-error: give a table or --no-model-error"),
])
def test_bad_requests_exit_2_with_the_reason_and_write_nothing(tmp_path, extra, message):
    out = tmp_path / "out"
    result = dcsim("backtest", CHS, "--provider", PROVIDER, "--service", SERVICE, *extra, "--out", out)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not out.exists()


@needs_chs
def test_an_unknown_provider_names_the_file_and_near_matches(tmp_path):
    result = dcsim("backtest", CHS, "--provider", "RCV", "--service", SERVICE, "--out", tmp_path / "o")
    assert result.exit_code == 2 and f"{CHS}: provider 'RCV' not found" in " ".join(result.output.split())
    assert not (tmp_path / "o").exists()


def test_a_bad_cell_names_its_row_and_column_and_the_forms_do_not_mix(tmp_path):
    bad = tmp_path / "waits.csv"
    bad.write_text("month,band_0_4,band_4_18,band_18_inf\n2024-01,10,20,5\n2024-02,1x,20,5\n")
    result = dcsim("backtest", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2 and f"{bad}: row 3, column band_0_4: not a number: '1x'" in result.output
    history = tmp_path / "history.csv"
    history.write_text("month,breaches\n2024-04,10\n2024-05,12\n")
    mixed = dcsim("backtest", "service.yaml", "--data", history, "--fit", "x", "--train-months", "1",
                  "--provider", "RP1", "--out", tmp_path / "out")
    assert mixed.exit_code == 2 and "--provider: only for a waits history (without --data)" in mixed.output
    config = dcsim("backtest", "service.yaml", "--out", tmp_path / "out")
    assert config.exit_code == 2 and "service.yaml: --data: give the monthly history CSV" in config.output
    assert not (tmp_path / "out").exists()


def test_a_plain_band_csv_is_its_own_panel_and_a_short_band_set_says_over_52_is_not_scored(tmp_path):
    path = tmp_path / "waits.csv"
    rows = [f"2024-{m:02d},{60 + m},{110 + 2 * m},{55 + m},{70 + 3 * m}" for m in range(1, 9)]
    path.write_text("month,band_0_4,band_4_12,band_12_18,band_18_inf\n" + "\n".join(rows) + "\n")
    from sim.api import backtest_waits as api_backtest

    result = api_backtest(path, tmp_path / "out", origins=2, horizon=2, reps=4, model_error=False)
    assert result.origins == ("2024-06", "2024-07")
    assert result.measures == ("waiting", "over_18_weeks")
    assert any("no 52-week edge" in note for note in result.notes)
    assert any("compartmental is not available" in note for note in result.notes)
    assert (tmp_path / "out" / "scores.csv").exists() and (tmp_path / "out" / "forecasts.csv").exists()
    scored = result.scores.set_index(["method", "measure", "horizon"])
    assert scored.loc[("carry_forward", "waiting", 1), "n"] == 2
    assert scored.loc[("compartmental", "waiting", 1), "n"] == 0
