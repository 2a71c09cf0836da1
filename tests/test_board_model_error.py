"""The board table, its workbook and the fan charts show the band including the model's real-world
error where the comparison has it (issues 24/25), the simulation's own band beside it, and say
which; with --no-model-error they show the simulation's band and say so.

Every expected number comes from the files `dcsim compare` wrote (comparison.csv's
``*_with_model_error`` columns, monthly.csv's quantiles), not from the functions that made them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sim.cli import app
from sim.reports import plots

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
TITLES = ["Do nothing (current service)", "Three funded Band 6 posts"]
LAST = "2027-03"


def compared(folder: Path, *extra: str) -> Path:
    args = ["compare", str(EXAMPLE / "baseline.yaml"), str(EXAMPLE / "three_band6_posts.yaml"),
            "--reps", "4", "--seed", "3", "--out", str(folder), *extra]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    return folder


@pytest.fixture(scope="module")
def with_error(tmp_path_factory) -> Path:
    return compared(tmp_path_factory.mktemp("with_error"))


@pytest.fixture(scope="module")
def without(tmp_path_factory) -> Path:
    return compared(tmp_path_factory.mktemp("without"), "--no-model-error")


def whole(value: float) -> int:
    return int(np.floor(value + 0.5))


def test_workbook_notes_say_which_band_and_the_share_from_model_error(with_error):
    wide = pd.read_csv(with_error / "comparison.csv").set_index(["scenario", "month"]).loc[("baseline", LAST)]
    low, high = wide["breaches_p10_with_model_error"], wide["breaches_p90_with_model_error"]
    share = 1 - (wide["breaches_p90"] - wide["breaches_p10"]) / (high - low)
    notes = [row[0].value for row in load_workbook(with_error / "board_table.xlsx")["Notes"].iter_rows()]
    said = next(n for n in notes if "simulation only" in n)
    assert "including how far dcsim's forecasts have missed real services" in said
    assert "real CHS months Apr 2023 to Oct 2023" in said
    assert (f"{TITLES[0]}, Mar 2027: {whole(low):,}-{whole(high):,} with model error, "
            f"{whole(wide['breaches_p10']):,}-{whole(wide['breaches_p90']):,} from the simulation alone: "
            f"model error is {share:.0%} of the band's width.") in said
    report = (with_error / "report.html").read_text()
    assert "model error is" in report and "simulation only" in report
    sheet = load_workbook(with_error / "board_table.xlsx")["Board table"]
    labels = [sheet.cell(row, 1).value for row in range(2, 6)]
    assert labels == [TITLES[0], f"{TITLES[0]}: simulation only", TITLES[1], f"{TITLES[1]}: simulation only"]
    assert sheet.cell(3, 1).font.italic and not sheet.cell(2, 1).font.italic


def test_without_model_error_the_board_is_the_simulations_and_says_so(without):
    board = pd.read_csv(without / "board_table.csv", dtype=str, keep_default_na=False).set_index("series")
    assert list(board.index) == TITLES
    monthly = pd.read_csv(without / "monthly.csv")
    at = monthly.loc[(monthly["scenario"] == "baseline") & (monthly["month"] == LAST), "breaches"]
    low, mid, high = (whole(at.quantile(q)) for q in (0.1, 0.5, 0.9))
    assert board.loc[TITLES[0], LAST] == f"{mid:,} ({low:,}-{high:,})"
    assert "with_model_error" not in pd.read_csv(without / "comparison.csv").columns.str.cat()
    notes = [row[0].value for row in load_workbook(without / "board_table.xlsx")["Notes"].iter_rows()]
    assert any("simulation only: the model's real-world error was not included" in n for n in notes)


def drawn(monkeypatch, **options) -> plt.Figure:
    """The figure ``plots.fan_chart`` draws, kept from being closed."""
    kept = []
    monkeypatch.setattr(plots.plt, "close", kept.append)
    plots.fan_chart(options.pop("summary"), "breaches", options.pop("path"), **options)
    return kept[0]


def test_fan_chart_outlines_the_band_with_model_error(with_error, without, tmp_path, monkeypatch):
    summary = pd.read_csv(with_error / "summary.csv")
    comparison = pd.read_csv(with_error / "comparison.csv")
    figure = drawn(monkeypatch, summary=summary, path=tmp_path / "fan.png", errors=comparison)
    axis = figure.axes[0]
    dotted = [line.get_ydata() for line in axis.lines if line.get_linestyle() == ":"]
    assert len(dotted) == 4  # each scenario's low and high edge
    base = comparison[comparison["scenario"] == "baseline"]
    assert np.allclose(dotted[0], base["breaches_p10_with_model_error"])
    assert np.allclose(dotted[1], base["breaches_p90_with_model_error"])
    shaded = axis.collections[0].get_paths()[0].vertices[:, 1]  # the simulation's own band
    assert np.isclose(shaded.max(), summary.loc[summary["scenario"] == "baseline", "breaches_p90"].max())
    assert "Dotted: middle 80% including how far" in axis.get_legend().get_title().get_text()
    plain = drawn(monkeypatch, summary=pd.read_csv(without / "summary.csv"), path=tmp_path / "plain.png")
    assert not [line for line in plain.axes[0].lines if line.get_linestyle() == ":"]
    assert "Dotted" not in plain.axes[0].get_legend().get_title().get_text()
