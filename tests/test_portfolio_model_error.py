"""A portfolio's total and each service carry the band including the model's real-world error
(issue 26 item 2 with issue 24 item 4): summary CSVs, the league table, the roll-up board, the
console, report.html and the API, and say how much of the band is model error.

Expected bands are rebuilt by hand from the written monthly CSVs and a table written here, by the
documented rule (tests/test_run_model_error.py ``error_by_hand``) with the documented choice for a
portfolio: every service and the total draw u from the portfolio's own seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_run_model_error import error_by_hand, error_table
from typer.testing import CliRunner

from sim.api import run_portfolio
from sim.cli import app
from sim.engine.streams import stream

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "example" / "baseline.yaml"
REPS, SEED = 6, 3


def whole(value: float) -> str:
    return f"{int(np.floor(value + 0.5)):,}"


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("portfolio_error")
    (folder / "short.yaml").write_text(f"extends: {BASELINE}\nservice: {{horizon_months: 8}}\n")
    (folder / "more.yaml").write_text(
        "extends: short.yaml\nevents:\n  - {date: 2024-05-01, add_staff: {role: band6, wte: 1}}\n"
    )
    two = folder / "two.yaml"
    two.write_text(
        "portfolio:\n  title: Two localities\n  services:\n    - {name: a, file: short.yaml}\n"
        "    - {name: b, file: more.yaml}\n"
    )
    one = folder / "one.yaml"
    one.write_text("portfolio:\n  services:\n    - {name: a, file: short.yaml}\n")
    table = error_table(folder / "table.csv")
    found = {"table": table, "two": two}
    runs = {
        "with": [str(two), "--model-error", str(table)],
        "without": [str(two), "--no-model-error"],
        "one": [str(one), "--model-error", str(table)],
        "alone": [str(folder / "short.yaml"), "--model-error", str(table)],
    }
    for name, (path, *extra) in runs.items():
        out = folder / name
        done = CliRunner().invoke(
            app,
            ["run", path, "--reps", str(REPS), "--seed", str(SEED), "--workers", "1",
             "--out", str(out), *extra],
        )
        assert done.exit_code == 0, done.output
        found[name] = (out, done.stdout)
    return found


def band_by_hand(monthly: pd.DataFrame) -> pd.DataFrame:
    """Breaches' 80% band with model error per month, u from the portfolio's seed."""
    months = sorted(monthly["month"].unique())
    level = max(monthly.loc[monthly["month"] == months[0], "breaches_opening"].mean(), 1.0)
    u = {r: stream(SEED, r, "model_error", 0).random() for r in range(REPS)}
    rows = []
    for h, month in enumerate(months, start=1):
        at = monthly[monthly["month"] == month]
        own = at["breaches"].to_numpy(float)
        honest = [
            max(0.0, np.rint(x + error_by_hand(u[r], h) * level))
            for x, r in zip(own, at["replication"], strict=True)
        ]
        rows.append(
            {
                "month": month,
                "low": min(np.quantile(honest, 0.1), np.quantile(own, 0.1)),
                "high": max(np.quantile(honest, 0.9), np.quantile(own, 0.9)),
            }
        )
    return pd.DataFrame(rows).set_index("month")


def test_each_service_and_the_total_follow_the_rule_with_the_portfolios_draws(made):
    out = made["with"][0]
    parts = {"Total": (out / "total_monthly.csv", out / "total_summary.csv")}
    for name in ("a", "b"):
        parts[name] = (out / "services" / name / "monthly.csv", out / "services" / name / "summary.csv")
    for name, (monthly, summary) in parts.items():
        expected = band_by_hand(pd.read_csv(monthly))
        got = pd.read_csv(summary).set_index("month")
        np.testing.assert_allclose(got["breaches_p10_with_model_error"], expected["low"], err_msg=name)
        np.testing.assert_allclose(got["breaches_p90_with_model_error"], expected["high"], err_msg=name)
    last = pd.read_csv(out / "total_summary.csv").iloc[-1]
    assert last["breaches_p90_with_model_error"] - last["breaches_p10_with_model_error"] > 1.5 * (
        last["breaches_p90"] - last["breaches_p10"]
    )


def test_a_portfolio_of_one_service_gives_that_service_run_alone_with_its_band(made):
    together = pd.read_csv(made["one"][0] / "services" / "a" / "summary.csv").drop(columns="scenario")
    alone = pd.read_csv(made["alone"][0] / "summary.csv").drop(columns="scenario")
    pd.testing.assert_frame_equal(together, alone)


def test_league_board_console_and_report_state_both_bands_and_the_share(made):
    out, printed = made["with"]
    league = pd.read_csv(out / "league_table.csv").set_index("service")
    board = pd.read_csv(out / "board_table.csv", dtype=str, keep_default_na=False)
    for name, summary in (
        ("Total", out / "total_summary.csv"),
        ("a", out / "services/a/summary.csv"),
        ("b", out / "services/b/summary.csv"),
    ):
        last = pd.read_csv(summary).iloc[-1]
        low, high = last["breaches_p10_with_model_error"], last["breaches_p90_with_model_error"]
        share = 1 - (last["breaches_p90"] - last["breaches_p10"]) / (high - low)
        row = league.loc[name]
        assert (row["breaches_p10_with_model_error"], row["breaches_p90_with_model_error"]) == (low, high)
        assert row["model_error_share"] == pytest.approx(share, abs=1e-6)
        shown = board.columns[-1]  # the board's last quarter end
        at = pd.read_csv(summary).set_index("month").loc[shown]
        rows = board[board["service"] == name].set_index("measure")[shown]
        assert rows["Waiting over target"] == (
            f"{whole(at['breaches_p50'])} ({whole(at['breaches_p10_with_model_error'])}-"
            f"{whole(at['breaches_p90_with_model_error'])})"
        )
        assert rows["Waiting over target: simulation only"] == (
            f"{whole(at['breaches_p10'])}-{whole(at['breaches_p90'])}"
        )
        assert f"{whole(low)}-{whole(high)} with the model's real-world error" in printed
        if name == "Total":
            sentence = (
                f"Two localities, all services, Nov 2024: {whole(low)}-{whole(high)} with model error, "
                f"{whole(last['breaches_p10'])}-{whole(last['breaches_p90'])} from the simulation alone: "
                f"model error is {share:.0%} of the band's width."
            )
            assert sentence in printed
            report = (out / "report.html").read_text()
            assert sentence.replace("'", "&#x27;") in report
            assert "simulation only" in report and "the same model-error draw" in report
    assert "not assumed to cancel" in printed


def test_without_model_error_the_tables_are_the_simulations_and_say_so(made):
    out, printed = made["without"]
    assert "with_model_error" not in pd.read_csv(out / "league_table.csv").columns.str.cat()
    board = pd.read_csv(out / "board_table.csv")
    assert not board["measure"].str.contains("simulation only").any()
    assert "the model's real-world error was not included (--no-model-error)" in printed
    assert "with the model's real-world error" not in printed


def test_the_api_gives_the_cli_numbers(made):
    result = run_portfolio(made["two"], REPS, SEED, workers=1, model_error=made["table"])
    written = pd.read_csv(made["with"][0] / "total_summary.csv")
    columns = ["breaches_p10_with_model_error", "breaches_p90_with_model_error"]
    np.testing.assert_allclose(
        result.total_summary[columns].to_numpy(float), written[columns].to_numpy(float)
    )
    assert (
        result.manifest["model_error"]["answer"]["Total"]["p90_with_model_error"]
        == written[columns[1]].iloc[-1]
    )


def test_a_portfolio_comparison_states_both_bands_at_the_bases_level(tmp_path):
    out = tmp_path / "compared"
    files = [str(ROOT / "scenarios" / "portfolio" / f) for f in ("portfolio.yaml", "move_one_post.yaml")]
    done = CliRunner().invoke(
        app, ["compare", *files, "--reps", "3", "--seed", "2", "--workers", "1", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out / "comparison.csv")
    total = table[(table["service"] == "Total") & (table["month"] == table["month"].max())].set_index(
        "scenario"
    )
    base = total.loc["portfolio"]
    low, high = base["breaches_p10_with_model_error"], base["breaches_p90_with_model_error"]
    share = 1 - (base["breaches_p90"] - base["breaches_p10"]) / (high - low)
    sentence = (
        f"Children's OT, two localities, all services, Mar 2027: {whole(low)}-{whole(high)} with model "
        f"error, {whole(base['breaches_p10'])}-{whole(base['breaches_p90'])} from the simulation alone: "
        f"model error is {share:.0%} of the band's width."
    )
    assert sentence in done.stdout
    assert sentence.replace("'", "&#x27;") in (out / "report.html").read_text()
    # Every scenario's own files carry the band the comparison gives it (the same draws, the base's level).
    for name, row in total.iterrows():
        own = pd.read_csv(out / "scenarios" / name / "total_summary.csv").iloc[-1]
        assert own["breaches_p90_with_model_error"] == pytest.approx(row["breaches_p90_with_model_error"])
        band = f"{whole(row['breaches_p10_with_model_error'])}-{whole(row['breaches_p90_with_model_error'])}"
        assert f"{band} with the model's real-world error" in done.stdout
    board = pd.read_csv(out / "board_table.csv")
    assert board["scenario"].str.endswith(": simulation only").sum() == len(board) / 2
