"""``dcsim track``: a saved forecast scored against what was reported after it was made.

The forecasts are made here by ``dcsim from-waits`` (a band CSV written in the test) and
``dcsim run`` (the small test service); the newer figures are chosen from the forecast's own
summary, so which months must fall inside the band is known: one far outside, one at the
median, one not yet reported.
"""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from services import ROOT, service_document
from typer.testing import CliRunner

from calibration.from_waits.bands import DEFAULT_TABLE
from calibration.waits import read_waits
from sim.cli import app

BANDS = ["band_0_4", "band_4_12", "band_12_18", "band_18_52", "band_52_inf"]
HISTORY = [  # six months of a list of about 300, by weeks band (0-4, 4-12, 12-18, 18-52, 52+)
    ("2024-01", [60, 110, 55, 70, 6]),
    ("2024-02", [62, 108, 58, 72, 5]),
    ("2024-03", [58, 115, 54, 75, 6]),
    ("2024-04", [65, 112, 57, 73, 7]),
    ("2024-05", [61, 118, 60, 76, 6]),
    ("2024-06", [63, 114, 59, 78, 7]),
]


def chs_file() -> Path | None:
    """The public CHS wide file beside the repository (or a parent of it, as from a git worktree)."""
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent.parent / "shared" / "data" / "chs" / "chs_england_therapy_wide.csv.gz"
        if candidate.is_file():
            return candidate
    return None


CHS = chs_file()


def dcsim(*arguments: object):
    return CliRunner().invoke(app, [str(a) for a in arguments])


def band_csv(path: Path, rows: list[tuple[str, list[int]]]) -> Path:
    lines = ["month," + ",".join(BANDS)] + [f"{m}," + ",".join(str(c) for c in counts) for m, counts in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def whole(value: float) -> int:
    return math.floor(value + 0.5)


@pytest.fixture(scope="module")
def forecast(tmp_path_factory) -> Path:
    """A from-waits forecast made at Jun 2024 for Jul-Sep 2024 (4 replications)."""
    folder = tmp_path_factory.mktemp("vintage")
    history = band_csv(folder / "waits.csv", HISTORY)
    done = dcsim("from-waits", history, "--provider", "R1", "--service", "Podiatry", "--up-to", "2024-06",
                 "--horizon", 3, "--reps", 4, "--seed", 1, "--out", folder / "forecast")
    assert done.exit_code == 0, done.output
    return folder / "forecast"


def at_median(row: pd.Series) -> list[int]:
    """Bands whose list, breaches (over 18 weeks) and over-52 count are the forecast's medians."""
    waiting, breaches, over_52 = (whole(row[f"{m}_p50"]) for m in ("waiting", "breaches", "over_52_weeks"))
    under = waiting - breaches
    return [under // 3, under // 3, under - 2 * (under // 3), breaches - over_52, over_52]


@pytest.fixture(scope="module")
def newer(forecast: Path) -> Path:
    """Published waits to Aug 2024: Jul ten times the June list (far outside), Aug at the median."""
    summary = pd.read_csv(forecast / "summary.csv", dtype={"month": str}).set_index("month")
    far = [10 * c for c in HISTORY[-1][1]]
    return band_csv(forecast.parent / "newer.csv", [*HISTORY, ("2024-07", far), ("2024-08", at_median(
        summary.loc["2024-08"]))])


def test_from_waits_saves_its_inputs_and_how_to_remake_it(forecast, monkeypatch, tmp_path):
    manifest = json.loads((forecast / "manifest.json").read_text())
    for key in ("provider", "service", "up_to", "seed", "replications", "target_weeks", "version", "commit"):
        assert key in manifest
    assert (manifest["provider"], manifest["service"], manifest["up_to"], manifest["seed"]) == (
        "R1", "Podiatry", "2024-06", 1)
    saved = read_waits(forecast / manifest["inputs"]["history"])
    assert list(saved.months) == manifest["fitted_months"] == [m for m, _ in HISTORY]
    assert saved.counts.tolist() == [c for _, c in HISTORY]
    # The remake line, run in the forecast folder, gives the same forecast.
    words = shlex.split(manifest["remake"].replace("NEW_FOLDER", str(tmp_path / "again")))
    monkeypatch.chdir(forecast)
    done = CliRunner().invoke(app, words[1:])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "again" / "summary.csv").read_bytes() == (forecast / "summary.csv").read_bytes()
    # The model-error table the bands used travels with the forecast.
    assert "--model-error inputs/model_error.csv" in manifest["remake"]
    assert (forecast / "inputs" / "model_error.csv").read_text() == DEFAULT_TABLE.read_text()


def test_a_forecast_without_model_error_is_remade_without_it(tmp_path, monkeypatch):
    history = band_csv(tmp_path / "waits.csv", HISTORY)
    done = dcsim("from-waits", history, "--up-to", "2024-06", "--horizon", 2, "--reps", 3,
                 "--no-model-error", "--out", tmp_path / "plain")
    assert done.exit_code == 0, done.output
    manifest = json.loads((tmp_path / "plain" / "manifest.json").read_text())
    assert manifest["remake"].split().count("--no-model-error") == 1
    assert not (tmp_path / "plain" / "inputs" / "model_error.csv").exists()
    words = shlex.split(manifest["remake"].replace("NEW_FOLDER", str(tmp_path / "again")))
    monkeypatch.chdir(tmp_path / "plain")
    assert CliRunner().invoke(app, words[1:]).exit_code == 0
    again, plain = (tmp_path / name / "summary.csv" for name in ("again", "plain"))
    assert again.read_bytes() == plain.read_bytes()


def test_track_scores_each_month_against_the_band(forecast, newer):
    done = dcsim("track", forecast, "--actuals", newer)
    assert done.exit_code == 0, done.output
    summary = pd.read_csv(forecast / "summary.csv", dtype={"month": str}).set_index("month")
    table = pd.read_csv(forecast / "track" / "track.csv", dtype={"month": str})
    assert set(table["measure"]) == {"waiting", "breaches", "over_52_weeks"}
    rows = table.set_index(["measure", "month"])
    for measure in ("waiting", "breaches", "over_52_weeks"):
        jul, aug = rows.loc[(measure, "2024-07")], rows.loc[(measure, "2024-08")]
        assert jul["actual"] > summary.loc["2024-07", f"{measure}_p90"]
        assert (jul["inside_80"], jul["inside_50"]) == ("no", "no")
        assert aug["actual"] == whole(summary.loc["2024-08", f"{measure}_p50"])
        low, high = summary.loc["2024-08", [f"{measure}_p10", f"{measure}_p90"]]
        assert low <= aug["actual"] <= high
        assert aug["inside_80"] == "yes"
        assert rows.loc[(measure, "2024-09"), "status"] == "not yet reported"
        assert pd.isna(rows.loc[(measure, "2024-09"), "actual"])
    out = done.stdout
    assert "Jul 2024" in out and "Aug 2024" in out and "Sep 2024  not yet reported" in out
    waiting = rows.loc["waiting"]
    relative = ((waiting["p50"] - waiting["actual"]) / waiting["actual"]).dropna().mean()
    assert f"1 of 2 months fell inside the 80% band and 1 inside the 50% band; the median was " \
           f"{abs(relative):.0%} low on average." in out
    assert "Waiting list" in out and "Waiting over 18 weeks" in out and "Waiting over 52 weeks" in out
    # Progress and notes on standard error, the answer on standard output.
    assert "wrote" in done.stderr and "wrote" not in out and "not yet reported: Sep 2024" in done.stderr
    assert (forecast / "track" / "track.png").read_bytes()[:4] == b"\x89PNG"
    manifest = json.loads((forecast / "track" / "manifest.json").read_text())
    assert manifest["command"] == "track" and manifest["forecast"]["origin"] == "2024-06"
    assert manifest["not_yet_reported"] == ["2024-09"]


def test_track_writes_where_asked(forecast, newer, tmp_path):
    done = dcsim("track", forecast, "--actuals", newer, "--out", tmp_path / "scored")
    assert done.exit_code == 0, done.output
    assert {"track.csv", "track.png", "manifest.json"} <= {p.name for p in (tmp_path / "scored").iterdir()}
    assert not list((tmp_path / "scored").glob(".staging*"))


def test_a_month_the_reader_flags_is_listed_not_scored(forecast, newer, tmp_path):
    lines = newer.read_text().splitlines()
    flagged = [lines[0] + ",total"] + [f"{line},{sum(map(int, line.split(',')[1:]))}" for line in lines[1:]]
    flagged[-2] = flagged[-2].rsplit(",", 1)[0] + ",5"  # Jul 2024: bands that do not sum to its total
    actuals = tmp_path / "flagged.csv"
    actuals.write_text("\n".join(flagged) + "\n")
    done = dcsim("track", forecast, "--actuals", actuals, "--out", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert "Jul 2024  not usable: bands add up to 3210, the total is 5" in done.stdout
    table = pd.read_csv(tmp_path / "out" / "track.csv", dtype={"month": str})
    assert table.loc[table["month"] == "2024-07", "status"].str.startswith("not usable").all()
    assert "1 of 1 month fell inside the 80% band" in done.stdout


def test_refusals_exit_2_and_write_nothing(forecast, newer, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("manifest.json", "monthly.csv"):
        (broken / name).write_bytes((forecast / name).read_bytes())
    old = band_csv(tmp_path / "old.csv", HISTORY)
    cases = [
        (["--service", "Audiology"], newer, forecast,
         "manifest.json: service: the forecast is for 'Podiatry', not 'Audiology'"),
        (["--provider", "R2"], newer, forecast, "manifest.json: provider: the forecast is for R1, not 'R2'"),
        ([], old, forecast,
         "old.csv: month: no reported month falls in the forecast's months 2024-07 to 2024-09"),
        ([], newer, broken, "summary.csv: file not found"),
        ([], newer, tmp_path / "absent", "absent: (folder): not found"),
    ]
    for options, actuals, folder, message in cases:
        out = tmp_path / "out"
        before = sorted(folder.rglob("*")) if folder.exists() else []
        done = dcsim("track", folder, "--actuals", actuals, *options, "--out", out)
        assert done.exit_code == 2, (options, done.output)
        assert message in " ".join(done.stderr.split()), done.stderr
        assert "Traceback" not in done.output
        assert not out.exists()
        assert (sorted(folder.rglob("*")) if folder.exists() else []) == before
    # Without --out the default, FORECAST/track, is not made either.
    done = dcsim("track", broken, "--actuals", newer)
    assert done.exit_code == 2 and not (broken / "track").exists()


def test_a_run_folder_is_tracked_against_monthly_actuals(tmp_path, monkeypatch):
    scenario = tmp_path / "service.yaml"
    scenario.write_text(yaml.safe_dump(service_document({"service": {"horizon_months": 4}}), sort_keys=False))
    done = dcsim("run", scenario, "--reps", 4, "--seed", 3, "--workers", 1, "--out", tmp_path / "run")
    assert done.exit_code == 0, done.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["inputs"]["scenario"] == "inputs/service.yaml" and "commit" in manifest
    assert manifest["rtt_target_weeks"] == 14
    monthly = pd.read_csv(tmp_path / "run" / "monthly.csv", dtype={"month": str})
    months = sorted(set(monthly["month"]))
    first = monthly[monthly["month"] == months[0]]
    median = whole(first["waiting"].median())
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(f"month,waiting\n{months[0]},{median}\n{months[1]},{10 * median + 100}\n")
    done = dcsim("track", tmp_path / "run", "--actuals", actuals)
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "run" / "track" / "track.csv", dtype={"month": str})
    assert set(table["measure"]) == {"waiting"}  # the actuals give no breaches
    assert table["status"].tolist() == ["reported", "reported", "not yet reported", "not yet reported"]
    assert table["inside_80"].tolist()[:2] == ["yes", "no"]
    assert "1 of 2 months fell inside the 80% band" in done.stdout
    # The run's inputs re-make it: the same replications from the copied scenario.
    monkeypatch.chdir(tmp_path / "run")
    words = shlex.split(manifest["remake"].replace("NEW_FOLDER", str(tmp_path / "again")))
    assert CliRunner().invoke(app, [*words[1:], "--workers", "1"]).exit_code == 0
    again = pd.read_csv(tmp_path / "again" / "monthly.csv", dtype={"month": str})
    assert again.drop(columns="scenario").equals(monthly.drop(columns="scenario"))


@pytest.mark.skipif(CHS is None, reason="the CHS panel is not beside the repository (../shared/data/chs)")
def test_a_real_chs_forecast_is_tracked_on_the_months_published_after_it(tmp_path):
    service = "(CYP) Therapy interventions: Speech and language"
    done = dcsim("from-waits", CHS, "--provider", "RLQ", "--service", service, "--up-to", "2025-01",
                 "--horizon", 3, "--reps", 4, "--out", tmp_path / "fc")
    assert done.exit_code == 0, done.output
    done = dcsim("track", tmp_path / "fc", "--actuals", CHS)  # provider and service from the manifest
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "fc" / "track" / "track.csv", dtype={"month": str})
    assert sorted(set(table["month"])) == ["2025-02", "2025-03", "2025-04"]
    assert (table["status"] == "reported").all()
    published = read_waits(CHS, "RLQ", service).frame().set_index("month")
    waiting = table[table["measure"] == "waiting"].set_index("month")["actual"]
    assert waiting.to_dict() == {m: published.loc[m, "total"] for m in waiting.index}
    assert done.stdout.count("of 3 months fell inside the 80% band") == 3
    assert "Feb 2025" in done.stdout and "WYE VALLEY NHS TRUST (RLQ)" in done.stdout
