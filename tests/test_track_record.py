"""The from-waits track record: earlier origins' bands against what the service then reported.

The published figures are read back from the band CSV with the csv module, not dcsim's reader,
and the yardstick's errors are computed by hand, so the record is checked against the file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_track import BANDS, band_csv, dcsim

from calibration.from_waits.bands import load_table
from calibration.from_waits.track_record import score, sentences, track_record
from calibration.waits import read_waits

MONTHS = [f"2024-{m:02d}" for m in range(1, 11)]
# Ten months of a list of about 300 that grows a little, by weeks band (0-4, 4-12, 12-18, 18-52, 52+).
COUNTS = [[60 + i, 110 + 2 * i, 55 + i, 70 + 3 * i, 6 + i % 2] for i in range(len(MONTHS))]


def raw(path: Path) -> dict[str, tuple[int, int]]:
    """month -> (total, over 18 weeks) straight from the CSV."""
    with path.open() as handle:
        return {r["month"]: (sum(int(r[b]) for b in BANDS), int(r["band_18_52"]) + int(r["band_52_inf"]))
                for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    path = band_csv(tmp_path_factory.mktemp("record") / "waits.csv", list(zip(MONTHS, COUNTS, strict=True)))
    return path, track_record(read_waits(path), "2024-10", origins=4, reps=6, seed=3, model_error=False)


def test_each_earlier_origin_is_scored_on_the_months_after_it_up_to_the_forecast_origin(record):
    path, found = record
    assert found.origins == ("2024-06", "2024-07", "2024-08", "2024-09")
    published = raw(path)
    points = found.points
    for origin in found.origins:
        rows = points[(points["origin"] == origin) & (points["method"] == "dcsim")]
        months = sorted(set(rows["month"]))
        assert months == [m for m in MONTHS if origin < m <= "2024-10"]
        for r in rows.itertuples():
            assert r.actual == published[r.month][0 if r.measure == "waiting" else 1]


def test_carry_forward_is_the_origins_figure_and_its_error_is_computed_by_hand(record):
    path, found = record
    published = raw(path)
    flat = found.points[found.points["method"] == "carry_forward"]
    for r in flat.itertuples():
        assert r.p10 == r.p50 == r.p90 == published[r.origin][0 if r.measure == "waiting" else 1]
    table = score(found).set_index(["measure", "method"])
    waiting = flat[flat.measure == "waiting"]
    errors = [abs(published[r.month][0] - published[r.origin][0]) for r in waiting.itertuples()]
    assert table.at[("waiting", "carry_forward"), "mae"] == pytest.approx(np.mean(errors))
    dcsim_rows = found.points[(found.points["method"] == "dcsim") & (found.points["measure"] == "breaches")]
    inside = sum(r.p10 <= published[r.month][1] <= r.p90 for r in dcsim_rows.itertuples())
    assert table.at[("breaches", "dcsim"), "inside_80"] == inside
    assert table.at[("breaches", "dcsim"), "months"] == len(dcsim_rows) == 4 + 3 + 2 + 1


def test_months_after_the_origin_are_never_used(tmp_path, record):
    _, found = record
    wild = [*zip(MONTHS, COUNTS, strict=True), ("2024-11", [900, 900, 900, 900, 900])]
    later = track_record(read_waits(band_csv(tmp_path / "later.csv", wild)), "2024-10", origins=4, reps=6,
                         seed=3, model_error=False)
    pd.testing.assert_frame_equal(later.points, found.points)


def test_months_the_model_error_table_was_estimated_from_are_left_out(tmp_path):
    shipped = set(load_table()[0].months)
    # A history over the shipped table's months, a gap, then 2024: an origin in the table's months
    # whose band reaches 2024 is kept and scored on 2024 only; one reaching no 2024 month is skipped.
    months = sorted(shipped)
    series = list(zip(months + MONTHS, COUNTS + COUNTS, strict=False))
    found = track_record(read_waits(band_csv(tmp_path / "over.csv", series)), series[-1][0], origins=12,
                         reps=4, seed=0)
    assert set(found.left_out) <= shipped
    assert not found.points[found.points["month"].isin(shipped)]["scored"].any()
    assert found.points[~found.points["month"].isin(shipped)]["scored"].all()
    assert found.left_out and any("left out of these scores" in line for line in sentences(found, 18))
    assert min(found.origins) == "2023-07"  # its six months reach Jan 2024; Jun 2023's reach no scored month


def test_from_waits_prints_its_track_record_and_writes_it(tmp_path):
    path = band_csv(tmp_path / "waits.csv", list(zip(MONTHS, COUNTS, strict=True)))
    done = dcsim("from-waits", path, "--up-to", "2024-10", "--horizon", 2, "--reps", 4, "--track-record", 3,
                 "--out", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert "Track record on this service: the same forecast made from 3 earlier months (Jul 2024 to Sep " \
           "2024)" in done.stdout
    assert "Waiting over 18 weeks: " in done.stdout and "'same as the last month' by" in done.stdout
    points = pd.read_csv(tmp_path / "out" / "track_record.csv", dtype={"month": str, "origin": str})
    assert set(points["origin"]) == {"2024-07", "2024-08", "2024-09"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["track_record"]["origins"] == ["2024-07", "2024-08", "2024-09"]
    assert "--track-record 3" in manifest["remake"]
    assert "Track record on this service" in (tmp_path / "out" / "fit_report.html").read_text()

    none = dcsim("from-waits", path, "--up-to", "2024-10", "--horizon", 2, "--reps", 4, "--track-record", 0,
                 "--out", tmp_path / "none")
    assert none.exit_code == 0, none.output
    assert "Track record" not in none.stdout and not (tmp_path / "none" / "track_record.csv").exists()


def test_the_python_api_gives_the_clis_track_record(tmp_path):
    from sim.api import from_waits

    path = band_csv(tmp_path / "waits.csv", list(zip(MONTHS, COUNTS, strict=True)))
    manifest = from_waits(path, "2024-10", tmp_path / "api", horizon=2, reps=4, track_origins=3)
    done = dcsim("from-waits", path, "--up-to", "2024-10", "--horizon", 2, "--reps", 4, "--track-record", 3,
                 "--out", tmp_path / "cli")
    assert done.exit_code == 0, done.output
    for line in manifest["track_record"]["sentences"]:
        assert line in done.stdout
    api, cli = ((tmp_path / name / "track_record.csv").read_bytes() for name in ("api", "cli"))
    assert api == cli
