"""The current position and the Start from waits page of the explorer.

Expected numbers are worked out here from the files themselves: the example YAML read with
``yaml.safe_load`` (not the config), band CSVs written in the test, and the CHS wide file read
with the csv module (``../shared/data/chs``, never copied; those tests skip without it).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from services import ROOT, service_document

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.engine.band_seeding import WaitBand, band_slopes, sloped_waits  # noqa: E402
from sim.web import position, waits  # noqa: E402
from sim.web.jobs import STORE  # noqa: E402
from sim.web.store import from_state, to_state  # noqa: E402
from sim.web.workspace import EXAMPLE, Workspace  # noqa: E402

PAGES = ROOT / "sim" / "web" / "pages"


def chs_folder() -> Path:
    """``$DCSIM_CHS_DIR``, else ``shared/data/chs`` beside the repository (from a worktree: further up)."""
    if os.environ.get("DCSIM_CHS_DIR"):
        return Path(os.environ["DCSIM_CHS_DIR"])
    beside = [parent.parent / "shared" / "data" / "chs" for parent in [ROOT, *ROOT.parents]]
    return next((p for p in beside if (p / "chs_england_therapy_wide.csv.gz").is_file()), beside[0])


CHS = chs_folder()
WIDE = CHS / "chs_england_therapy_wide.csv.gz"
needs_chs = pytest.mark.skipif(
    not WIDE.is_file(), reason=f"the public CHS panel is not at {WIDE} (set DCSIM_CHS_DIR to its folder)"
)
RLQ, SLT = "RLQ", "(CYP) Therapy interventions: Speech and language"

# Eight month ends of a list by weeks waited; February's bands do not add up to its total.
BANDS = """month,band_0_4,band_4_18,band_18_inf,total
2024-01,90,205,118,413
2024-02,88,210,121,400
2024-03,93,207,125,425
2024-04,91,212,127,430
2024-05,95,215,128,438
2024-06,92,219,131,442
2024-07,96,221,133,450
2024-08,94,224,136,454
"""


@pytest.fixture(autouse=True)
def workspaces_folder(tmp_path, monkeypatch):
    """Workspaces and draws go to the test's folder; no waits file unless a test names one."""
    from sim.web.session import workspace_store

    monkeypatch.setenv("DCSIM_APP_WORKSPACES", str(tmp_path / "workspaces"))
    monkeypatch.delenv(waits.WAITS_ENV, raising=False)
    workspace_store.clear()
    yield
    workspace_store.clear()


def example_bands() -> tuple[list[dict], float]:
    document = yaml.safe_load(EXAMPLE.read_text())
    return document["initial_state"]["waiting_list"], float(document["service"]["rtt_target_weeks"])


# --- the current position -----------------------------------------------------------------------
def test_the_starting_list_gives_the_number_waiting_and_over_the_target_in_words():
    bands, target = example_bands()
    total = sum(b["count"] for b in bands)
    over = sum(b["count"] for b in bands if b["from_weeks"] >= target)
    assert all(b["to_weeks"] <= target or b["from_weeks"] >= target for b in bands)  # an edge: counted
    lines = position.headline(position.current_position(Workspace.example()))
    # The example starts on 1 April 2024: its starting list is the list at the end of March.
    assert lines[0] == (
        f"**{total:,} waiting** at the end of Mar 2024, **{over:,} ({over / total:.0%})** of them over "
        f"the {target:g}-week target."
    )
    assert lines[1] == "From the starting list in the service (baseline.yaml)."
    assert "about" not in " ".join(lines)


def test_a_target_inside_a_band_is_estimated_with_the_models_spread_and_says_about():
    bands, _ = example_bands()
    document = yaml.safe_load(EXAMPLE.read_text())
    document["service"]["rtt_target_weeks"] = 16  # inside the 14-18 weeks band
    straddled = next(b for b in bands if b["from_weeks"] < 16 < b["to_weeks"])
    over = sum(b["count"] for b in bands if b["from_weeks"] >= 16)
    expected = over + straddled["count"] * (straddled["to_weeks"] - 16) / (
        straddled["to_weeks"] - straddled["from_weeks"]
    )  # uniform within the band, as the example seeds it
    lines = position.headline(position.current_position(Workspace(document, "baseline.yaml")))
    assert f"**about {math.floor(expected + 0.5):,} (" in lines[0]
    assert any("falls inside a band" in line for line in lines)


def test_the_sloped_estimate_is_the_share_the_engine_seeds_over_the_target():
    bands = [WaitBand(0, 4, 90), WaitBand(4, 18, 205), WaitBand(18, 36, 118)]
    found, exact = position.over_target(bands, 12, "sloped")
    slope = band_slopes(bands)[1]
    days = sloped_waits(4 * 7, 18 * 7, slope, np.random.default_rng(1).random(400_000))
    assert not exact
    assert found == pytest.approx(118 + 205 * np.mean(days > 12 * 7), rel=0.01)


def test_a_service_without_a_starting_list_says_so():
    space = Workspace(service_document({"initial_state": {"waiting_list": []}}), "empty.yaml")
    [line] = position.headline(position.current_position(space))
    assert line.startswith("This service has no starting list")


def test_newer_reported_figures_come_first_with_their_trend():
    # The small service's list: 60 waiting 0-10 weeks and 80 waiting 10-30, so 80 over 10 weeks.
    space = Workspace(service_document({"service": {"rtt_target_weeks": 10}}), "small.yaml")
    space.actuals = pd.DataFrame(
        {"month": ["2024-04", "2024-07", "2024-10"], "waiting": [150.0, 170, 200], "breaches": [80.0, 70, 60]}
    )
    found = position.current_position(space)
    lines = position.headline(found)
    assert lines == [
        "**200 waiting** at the end of Oct 2024, **60 (30%)** of them over the 10-week target.",
        "From the reported figures uploaded on the Run page.",
        "The simulation starts from the list at the end of Mar 2024: 140 waiting, 80 over the target.",
    ]
    assert position.trend_sentence(found) == (
        "From Apr 2024 to Oct 2024 the list grew by 50 (+33%) and those over the target fell by 20 (-25%)."
    )


def test_the_service_page_opens_with_where_the_list_stands():
    bands, target = example_bands()
    total = sum(b["count"] for b in bands)
    test = AppTest.from_file(str(PAGES / "service.py"), default_timeout=120)
    test.session_state["workspace"] = Workspace.example()
    test.run()
    assert not test.exception
    assert test.subheader[0].value == "Where the list stands"
    assert test.markdown[0].value.startswith(f"**{total:,} waiting** at the end of Mar 2024")


# --- the Start from waits page --------------------------------------------------------------------
def waits_page(monkeypatch, path: Path | None, space: Workspace | None = None) -> AppTest:
    if path is not None:
        monkeypatch.setenv(waits.WAITS_ENV, str(path))
    test = AppTest.from_file(str(PAGES / "waits.py"), default_timeout=120)
    test.session_state["workspace"] = space or Workspace(service_document(), "small.yaml")
    return test.run()


def build(test: AppTest, reps: int = 10, horizon: int = 3) -> AppTest:
    test.number_input(key="waits-reps").set_value(reps)
    test.number_input(key="waits-horizon").set_value(horizon)
    next(b for b in test.button if b.label == "Build the service from these waits").click().run()
    assert STORE.get(test.session_state["waits_pending"]["key"]).wait(600)
    return test.run()


def texts(test: AppTest) -> str:
    return "\n".join(m.value for m in [*test.markdown, *test.caption, *test.error, *test.success])


def test_a_band_csv_builds_the_workspaces_service_from_the_month_picked(tmp_path, monkeypatch):
    path = tmp_path / "my_waits.csv"
    path.write_text(BANDS)
    space = Workspace(service_document(), "small.yaml")
    space.add_scenario("kept")  # nothing in it names what the new service lacks
    space.add_scenario("a post")
    space.add_change("a post", {"date": "2024-10-01", "add_staff": {"role": "band6", "wte": 1.0}})
    test = waits_page(monkeypatch, path, space)
    assert not test.exception and not test.error
    shown = texts(test)
    assert "**8 months** published, Jan 2024 to Aug 2024" in shown
    assert "Feb 2024: bands add up to 419, the total is 400" in shown  # the reader's problem, in months
    assert test.selectbox(key="waits-month").value == "2024-08"
    test.selectbox(key="waits-month").set_value("2024-03").run()  # after February's unusable month
    assert "needs at least 3 consecutive usable months ending at Mar 2024" in texts(test)
    assert "--up-to" not in texts(test)
    assert not [b for b in test.button if b.label.startswith("Build")]  # refused where it is chosen
    test.selectbox(key="waits-month").set_value("2024-07").run()
    test = build(test)
    assert not test.exception, test.exception
    new = test.session_state["workspace"]
    config = new.config()
    rows = list(csv.DictReader(BANDS.splitlines()))
    july = next(r for r in rows if r["month"] == "2024-07")
    assert [b.count for b in config.initial_state.waiting_list] == [
        int(july[c]) for c in ("band_0_4", "band_4_18", "band_18_inf")
    ]
    assert config.service.start_date.isoformat() == "2024-08-01"
    assert config.parameter_draws is not None and Path(config.parameter_draws.file).is_file()
    assert new.names() == ["baseline", "kept"]  # the scenario adding a Band 6 post is left out
    assert "Scenarios left out, as they name what this service lacks: a post." in texts(test)
    assert "About " in texts(test) and "referrals join the list each month" in texts(test)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in test.get("plotly_chart")]
    assert {"Waiting list: forecast", "Waiting over 18 weeks: forecast"} <= set(titles)
    # The page's bands are the CLI's: the same request through `from_waits` writes the same summary.
    from calibration.from_waits.outputs import from_waits
    from calibration.waits import read_waits

    asked = new.origin
    from_waits(read_waits(path), asked["up_to"], tmp_path / "cli", horizon=asked["horizon"],
               reps=asked["reps"], seed=asked["seed"], target_weeks=asked["target_weeks"])
    cli = pd.read_csv(tmp_path / "cli" / "summary.csv", dtype={"month": str})
    page = waits.summary_of(asked)
    for column in ("waiting_p10", "waiting_p50", "waiting_p90", "breaches_p10", "breaches_p90"):
        assert np.allclose(page[column].to_numpy(float), cli[column].to_numpy(float)), column
    assert "model error is" in texts(test)  # and it says how much of the band is model error
    # Each fan's y axis reaches above its band's top (p90) and the published figures: not cut off.
    specs = [json.loads(c.proto.spec)["layout"] for c in test.get("plotly_chart")]
    layouts = {layout["title"]["text"]: layout for layout in specs}
    fans = {"Waiting list: forecast": "waiting", "Waiting over 18 weeks: forecast": "breaches"}
    for title, metric in fans.items():
        low, high = layouts[title]["yaxis"]["range"]
        assert high > cli[f"{metric}_p90"].max() and 0 <= low < cli[f"{metric}_p10"].min(), title
    # Beside the fan, the same track record the CLI prints.
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert manifest["track_record"]["sentences"] and all(
        line in texts(test) for line in manifest["track_record"]["sentences"])

    # The built service is saved as any edit: it comes back from the state, draws and all.
    again, _ = from_state(to_state(new))
    assert again.document == new.document and again.origin == new.origin
    august = next(r for r in rows if r["month"] == "2024-08")
    lines = position.headline(position.current_position(again))
    over = int(august["band_18_inf"])
    total = int(august["total"])
    assert lines[0] == (
        f"**{total:,} waiting** at the end of Aug 2024, **{over} ({over / total:.0%})** of them over the "
        "18-week target."
    )
    assert lines[1] == "From the published waits in my_waits.csv."


def test_the_waits_page_refuses_a_file_in_a_sentence(tmp_path, monkeypatch):
    path = tmp_path / "gappy.csv"
    path.write_text("month,band_0_4,band_18_inf\n2024-01,1,2\n")
    test = waits_page(monkeypatch, path)
    assert not test.exception
    assert test.error[0].value == (
        "gappy.csv: column band_18_inf: leaves a gap before (from 4 weeks) the band band_0_4"
    )
    assert str(tmp_path) not in test.error[0].value


def test_an_upload_is_kept_under_its_own_name_and_read_once(tmp_path):
    first = waits.keep_upload("../../my waits.csv", BANDS.encode(), root=tmp_path)
    assert first.name == "my_waits.csv" and first.parent.parent == tmp_path
    assert waits.keep_upload("other.csv", BANDS.encode(), root=tmp_path).parent == first.parent
    with pytest.raises(waits.WaitsError, match="file too large"):
        waits.keep_upload("big.csv", b"x" * 6_000_000, root=tmp_path)


def test_without_a_waits_file_the_page_asks_for_an_upload(monkeypatch):
    test = waits_page(monkeypatch, None)
    assert not test.exception
    assert test.info[0].value == "Upload a waits file to begin."


def test_the_app_started_with_waits_opens_on_the_waits_page(tmp_path, monkeypatch):
    path = tmp_path / "my_waits.csv"
    path.write_text(BANDS)
    monkeypatch.setenv(waits.WAITS_ENV, str(path))
    test = AppTest.from_file(str(ROOT / "sim" / "web" / "app.py"), default_timeout=120).run()
    assert not test.exception
    assert test.title[0].value == "Start from waits"


def test_dcsim_app_refuses_a_waits_file_the_reader_refuses(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    bad = tmp_path / "bad.csv"
    bad.write_text("month,colour\n2024-01,red\n")
    result = CliRunner().invoke(app, ["app", "--waits", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: no band columns" in result.output and "Traceback" not in result.output


# --- the real CHS panel ---------------------------------------------------------------------------
def raw_month(code: str, service: str, month: str) -> dict[str, str]:
    with gzip.open(WIDE, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return next(r for r in rows if (r["org_code"], r["service"], r["month"]) == (code, service, month))


@needs_chs
def test_a_chs_provider_and_service_build_the_service_from_the_published_list(monkeypatch):
    test = waits_page(monkeypatch, WIDE)
    assert not test.exception
    test.selectbox(key="waits-provider").set_value(RLQ).run()
    test.selectbox(key=f"waits-service-{RLQ}").set_value(SLT).run()
    assert "Nov 2023 to Jul 2024 missing (9 months)" in texts(test)
    assert test.selectbox(key="waits-month").value == "2025-07"  # Oct 2025 has no months before it
    test = build(test, reps=10, horizon=2)
    assert not test.exception, test.exception
    config = test.session_state["workspace"].config()
    july = raw_month(RLQ, SLT, "2025-07")
    assert sum(b.count for b in config.initial_state.waiting_list) == int(july["waiting_total"])
    october = raw_month(RLQ, SLT, "2025-10")
    over = int(october["over_18_weeks"])
    total = int(october["waiting_total"])
    lines = position.headline(position.current_position(test.session_state["workspace"]))
    assert lines[0] == (
        f"**{total:,} waiting** at the end of Oct 2025, **{over:,} ({over / total:.0%})** of them over the "
        "18-week target."
    )
    assert "WYE VALLEY NHS TRUST" in lines[1] and "chs_england_therapy_wide.csv.gz" in lines[1]
    # The take-away file names its draws beside it, as a fit's does.
    assert "file: parameter_draws.csv" in test.session_state["workspace"].scenario_yaml("baseline")


def test_a_workspace_carries_its_draws_so_it_runs_after_their_file_is_gone(tmp_path):
    from sim.web.store import draws_folder

    path = tmp_path / "fits" / "parameter_draws.csv"
    path.parent.mkdir()
    path.write_text("draw,demand.monthly_rate\n1,55\n2,65\n")
    document = {**service_document(), "parameter_draws": {"file": str(path), "use": True}}
    state = to_state(Workspace(document, "small.yaml"))
    same, _ = from_state(state)
    assert same.document["parameter_draws"]["file"] == str(path)  # unchanged: answers stay current
    path.unlink()  # the temporary folder a fit wrote to was cleared
    moved, _ = from_state(state)
    kept = Path(moved.document["parameter_draws"]["file"])
    assert kept.parent == draws_folder() and kept.read_text() == "draw,demand.monthly_rate\n1,55\n2,65\n"
    assert moved.config().parameter_draws.file == str(kept)


def test_a_drawn_setting_is_refused_on_the_service_page_in_words(tmp_path, monkeypatch):
    path = tmp_path / "my_waits.csv"
    path.write_text(BANDS)
    test = build(waits_page(monkeypatch, path))
    space = test.session_state["workspace"]
    service = AppTest.from_file(str(PAGES / "service.py"), default_timeout=120)
    service.session_state["workspace"] = space
    service.run()
    assert any("drawn from their fitted ranges" in c.value for c in service.caption)
    before = space.document["demand"]["monthly_rate"]
    service.number_input(key="kv-demand.monthly_rate").set_value(before + 20)
    next(b for b in service.button if b.label == "Apply changes").click().run()
    assert [e.value for e in service.error] == [
        "Referrals a month is drawn from its fitted range in every simulated future, so it cannot be set "
        "here; plan a change to it as a scenario instead."
    ]
    assert space.document["demand"]["monthly_rate"] == before
