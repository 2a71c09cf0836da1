"""The explorer's Run and compare page shows what `dcsim compare` says (issues 24/25): the bands
including the model's real-world error beside the simulation's own, on its charts and board table,
and the "This rests on:" line.

Expected numbers and words come from the CLI run on the workspace's exported YAML files
(comparison.csv, board_table.csv, rests_on.csv and the console), not from the page's functions.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_web_pages import POST, charts, finished_run_page, shown_table, workspaces_folder  # noqa: F401
from typer.testing import CliRunner

pytest.importorskip("streamlit")
from services import service_document  # noqa: E402

from sim.cli import app  # noqa: E402
from sim.reports.board import count_text  # noqa: E402
from sim.web.labels import month_columns, on_page  # noqa: E402
from sim.web.workspace import Workspace  # noqa: E402

REPS, SEED = 4, 3
TITLE = "Waiting over the target"  # the breaches chart's title (questions.TRAJECTORY_METRICS)


@pytest.fixture(scope="module")
def space() -> Workspace:
    # More referrals than the small service's staff see: breaches grow, so the assumptions move them.
    space = Workspace(service_document({"demand": {"monthly_rate": 150}}), "small.yaml")
    space.add_scenario("plan")
    space.add_change("plan", POST)
    return space


@pytest.fixture(scope="module")
def cli(space, tmp_path_factory):
    """`dcsim compare` on the scenarios the page exports, as an analyst would re-run them."""
    folder = tmp_path_factory.mktemp("cli")
    files = []
    for name in ("baseline", "plan"):
        files.append(folder / f"{name}.yaml")
        files[-1].write_text(space.scenario_yaml(name, REPS, SEED))
    out = folder / "out"
    outcome = CliRunner().invoke(app, ["compare", *map(str, files), "--reps", str(REPS), "--seed", str(SEED),
                                       "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    return out, outcome.output


@pytest.fixture(scope="module")
def shown(space):
    return finished_run_page(space, REPS, SEED)


def breaches_chart(test) -> list[dict]:
    return next(traces for title, traces in charts(test).items() if title.startswith(TITLE))


def test_the_breaches_chart_outlines_comparison_csvs_bands_with_model_error(shown, cli):
    comparison = pd.read_csv(cli[0] / "comparison.csv")
    traces = breaches_chart(shown)
    for name in ("baseline", "plan"):
        rows = comparison[comparison["scenario"] == name]
        own = [t for t in traces if t.get("legendgroup") == name]
        dotted = [t["y"] for t in own if t.get("line", {}).get("dash") == "dot"]
        wide = [rows[f"breaches_{q}_with_model_error"].tolist() for q in ("p10", "p90")]
        assert dotted == [pytest.approx(values) for values in wide]
        shaded = [t["y"] for t in own if t.get("line") == {"width": 0}]
        assert shaded == [pytest.approx(rows[f"breaches_{q}"].tolist()) for q in ("p90", "p10")]
    last = comparison[comparison["month"] == comparison["month"].max()].set_index("scenario")
    low, mid, high, wide_low, wide_high = (
        count_text(last.loc["plan", f"breaches_{q}"])
        for q in ("p10", "p50", "p90", "p10_with_model_error", "p90_with_model_error")
    )
    lines = [m.value for m in shown.markdown if m.value.startswith("**plan**: median ")]
    assert lines == [f"**plan**: median {mid} (10-90%: {low} to {high}); {wide_low} to {wide_high} with the "
                     "model's real-world error"]  # as the CLI's answer line
    captions = [c.value for c in shown.caption]
    assert any("including how far dcsim's forecasts have missed real services" in c
               and "of the band's width" in c for c in captions)


def test_the_board_table_and_rests_on_are_the_clis(shown, cli):
    out, printed = cli
    board = shown_table(shown, "Series").set_index("Series")
    written = pd.read_csv(out / "board_table.csv", dtype=str, keep_default_na=False)
    expected = month_columns(written).set_index("Series")  # the page heads months "Jun 2024"
    assert "plan: simulation only" in board.index
    assert board.loc[expected.index].equals(expected.loc[:, list(board.columns)])
    rests = pd.read_csv(out / "rests_on.csv")
    moving = rests[rests["swing"] > 0].head(3)
    parts = [f"{r.assumption} (+-{r.margin} moves the baseline's median breaches by {r.swing:,.0f})"
             for r in moving.itertuples()]
    line = ("This rests on: " + "; ".join(parts)
            + f" (measured at {int(rests['replications'].iloc[0])} replications on common random numbers).")
    assert moving.shape[0] >= 2 and line in printed.splitlines()
    assert on_page(line) in [m.value for m in shown.markdown]  # "+-" as "±"


def test_unticking_model_error_shows_the_simulations_bands_and_says_so(space):
    test = finished_run_page(space, REPS, SEED)
    test.checkbox(key="goal_model_error").uncheck().run()
    assert not test.exception
    traces = breaches_chart(test)
    assert not [t for t in traces if t.get("line", {}).get("dash") == "dot"]
    assert not [m.value for m in test.markdown if "with the model's real-world error" in m.value]
    board = shown_table(test, "Series")
    assert list(board["Series"]) == ["baseline", "plan"]
    said = "simulation only: \"Include the model's real-world error\" is unticked"  # the page's control
    assert any(said in c.value for c in test.caption)
