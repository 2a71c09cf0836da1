"""`dcsim run` states the band including the model's real-world error as `dcsim compare` does
(issue 24 item 4): summary.csv gains the band, the fan charts outline it, the manifest records it
and the console gives both bands and model error's share of the width.

The expected band is rebuilt here by hand from the documented rule (sim/questions/model_error_draws.py:
value + e_h(u) x level, u one uniform per replication from the "model_error" stream, e piecewise
linear between the table's quantiles and a normal tail beyond q10/q90, spread x sqrt(h / 6) past the
table's last horizon, rounded and clipped at zero; never narrower than the simulation's own band)
from monthly.csv and a table written in the test, not from the functions that made it.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.engine.streams import stream
from sim.reports import plots

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
SEED, REPS = 5, 8
NEW = [
    "breaches_p10_with_model_error",
    "waiting_p10_with_model_error",
    "breaches_p90_with_model_error",
    "waiting_p90_with_model_error",
]
# A table whose error is u - 0.5 between q10 and q90 (so e(u) is easy to write down by hand).
SPREAD = {"q10": -0.4, "q25": -0.25, "q50": 0.0, "q75": 0.25, "q90": 0.4}


def error_table(path: Path) -> Path:
    """A model-error table with the same relative spread at every horizon, for both measures."""
    rows = [{"measure": m, "horizon": h, "n": 50, **SPREAD} for m in ("over_18_weeks", "waiting")
            for h in range(1, 7)]
    path.write_text("# model-error table; origin 2024-01; months 2023-04,2023-10\n"
                    + pd.DataFrame(rows).to_csv(index=False))
    return path


def error_by_hand(u: float, horizon: int) -> float:
    inside = u - 0.5
    tail = 0.4 * NormalDist().inv_cdf(u) / NormalDist().inv_cdf(0.9)
    return (inside if 0.1 <= u <= 0.9 else tail) * np.sqrt(max(horizon, 6) / 6)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("run_error")
    short = folder / "short.yaml"
    short.write_text(f"extends: {EXAMPLE / 'baseline.yaml'}\nservice: {{horizon_months: 9}}\n")
    table = error_table(folder / "table.csv")
    drawn: list = []
    original = plots.fan_chart

    def watched(summary, metric, path, **options):
        drawn.append((metric, options.get("errors")))
        return original(summary, metric, path, **options)

    found = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "fan_chart", watched)
        for name, extra in (("with", ["--model-error", str(table)]), ("without", ["--no-model-error"])):
            out = folder / name
            done = CliRunner().invoke(
                app,
                ["run", str(short), "--reps", str(REPS), "--seed", str(SEED), "--workers", "1",
                 "--out", str(out), *extra],
            )
            assert done.exit_code == 0, done.output
            found[name] = (out, done.stdout, list(drawn))
            drawn.clear()
    return found


def test_summary_band_is_the_documented_rule_computed_by_hand(runs):
    out = runs["with"][0]
    monthly = pd.read_csv(out / "monthly.csv")
    summary = pd.read_csv(out / "summary.csv").set_index("month")
    months = sorted(monthly["month"].unique())
    first = monthly[monthly["month"] == months[0]]
    for part, (metric, level_column) in enumerate((("breaches", "breaches_opening"), ("waiting", "waiting"))):
        level = max(first[level_column].mean(), 1.0)
        u = {r: stream(SEED, r, "model_error", part).random() for r in range(REPS)}
        for h, month in enumerate(months, start=1):
            rows = monthly[monthly["month"] == month]
            own = rows[metric].to_numpy(float)
            honest = [
                max(0.0, np.rint(x + error_by_hand(u[r], h) * level))
                for x, r in zip(own, rows["replication"], strict=True)
            ]
            low = min(np.quantile(honest, 0.1), np.quantile(own, 0.1))
            high = max(np.quantile(honest, 0.9), np.quantile(own, 0.9))
            got = summary.loc[month]
            assert got[f"{metric}_p10_with_model_error"] == pytest.approx(low), (metric, month)
            assert got[f"{metric}_p90_with_model_error"] == pytest.approx(high), (metric, month)
            assert got[f"{metric}_p90_with_model_error"] - got[f"{metric}_p10_with_model_error"] >= (
                got[f"{metric}_p90"] - got[f"{metric}_p10"]
            )
        last = summary.loc[months[-1]]  # the error, not the clamp, makes the band at the end
        assert last[f"{metric}_p90_with_model_error"] - last[f"{metric}_p10_with_model_error"] > 1.5 * (
            last[f"{metric}_p90"] - last[f"{metric}_p10"]
        )


def test_existing_summary_columns_are_kept_and_the_band_is_added_after_them(runs):
    with_error = pd.read_csv(runs["with"][0] / "summary.csv")
    without = pd.read_csv(runs["without"][0] / "summary.csv")
    assert list(with_error.columns) == [*without.columns, *NEW]
    pd.testing.assert_frame_equal(with_error[without.columns], without)


def test_console_gives_both_bands_and_the_share_of_the_width(runs):
    out, printed, _ = runs["with"]
    last = pd.read_csv(out / "summary.csv").iloc[-1]
    low, high = last["breaches_p10_with_model_error"], last["breaches_p90_with_model_error"]
    share = 1 - (last["breaches_p90"] - last["breaches_p10"]) / (high - low)

    def whole(value: float) -> str:
        return f"{int(np.floor(value + 0.5)):,}"

    assert (
        f"{whole(low)}-{whole(high)} with model error, {whole(last['breaches_p10'])}-"
        f"{whole(last['breaches_p90'])} from the simulation alone: model error is {share:.0%} of the "
        "band's width."
    ) in printed
    assert "(table.csv, real CHS months Apr 2023 to Oct 2023)" in printed
    assert f"{whole(low)}-{whole(high)} with the model's real-world error" in printed
    manifest = json.loads((out / "manifest.json").read_text())["model_error"]
    assert manifest["included"] is True and manifest["table"].endswith("table.csv")
    answer = manifest["answer"]
    assert (answer["p10_with_model_error"], answer["p90_with_model_error"]) == (low, high)
    assert (answer["p10_simulation_only"], answer["p90_simulation_only"]) == (
        last["breaches_p10"],
        last["breaches_p90"],
    )
    assert answer["model_error_share_of_width"] == pytest.approx(share, abs=1e-4)


def test_fan_charts_outline_the_band_with_model_error_only_when_it_is_included(runs):
    drawn = dict(runs["with"][2])
    summary = pd.read_csv(runs["with"][0] / "summary.csv")
    for metric in ("breaches", "waiting"):
        assert drawn[metric] is not None
        assert drawn[metric][f"{metric}_p90_with_model_error"].tolist() == pytest.approx(
            summary[f"{metric}_p90_with_model_error"].tolist()
        )
    assert all(errors is None for _, errors in runs["without"][2])
    out, printed, _ = runs["without"]
    assert "with the model's real-world error" not in printed
    assert "simulation only: the model's real-world error was not included (--no-model-error)" in printed
    assert json.loads((out / "manifest.json").read_text())["model_error"] == {"included": False}


def test_the_remake_line_keeps_the_table_and_gives_the_same_band(runs, tmp_path, monkeypatch):
    import shlex

    out = runs["with"][0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "--model-error inputs/model_error.csv" in manifest["remake"]
    without = json.loads((runs["without"][0] / "manifest.json").read_text())
    assert without["remake"].split().count("--no-model-error") == 1
    monkeypatch.chdir(out)
    words = shlex.split(manifest["remake"].replace("NEW_FOLDER", str(tmp_path / "again")))
    done = CliRunner().invoke(app, [*words[1:], "--workers", "1"])
    assert done.exit_code == 0, done.output
    again = pd.read_csv(tmp_path / "again" / "summary.csv")
    pd.testing.assert_frame_equal(again[NEW], pd.read_csv(out / "summary.csv")[NEW])
