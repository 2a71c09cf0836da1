"""Portfolios (#26): a provider's services run together, with staff pools split across them.

The targets are checked against runs of ordinary service files written by hand here, run alone
with ``sim.api.run``, and against the seed rule recomputed from its documented formula.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_conservation import FINAL_STATES, OPEN_STATES, initial_stock

from sim.api import run, run_portfolio, write
from sim.engine.input_files import ConfigError
from sim.engine.portfolio import load_portfolio
from sim.engine.scenario import load_config

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "example" / "baseline.yaml"
REPS, SEED = 3, 7
# The example's staff, listed in full so that a test file can add a staff group after them.
STAFF = "  - {role: band7, wte: 1.0}\n  - {role: band6, wte: 4.8}\n  - {role: band4, wte: 1.0}\n"


def seed_of(seed: int, name: str) -> int:
    """The documented seed of a service after the first, recomputed here (docs/portfolio.md)."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{name}".encode()).digest()[:8], "big") >> 1


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DCSIM_EXTENDS_ROOT", str(ROOT / "scenarios"))
    (tmp_path / "short.yaml").write_text(f"extends: {BASELINE}\nservice: {{horizon_months: 8}}\n")
    return tmp_path


def write_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="scenario").reset_index(drop=True)


def test_a_portfolio_of_one_service_gives_that_service_run_alone(folder):
    text = "portfolio:\n  services:\n    - {name: ot, file: short.yaml}\n"
    portfolio = write_file(folder, "one.yaml", text)
    together = run_portfolio(portfolio, REPS, SEED)
    alone = run(folder / "short.yaml", REPS, SEED)
    pd.testing.assert_frame_equal(numbers(together.services["ot"].monthly), numbers(alone.monthly))
    added = [c for c in together.total.columns if c in ("referrals", "waiting", "breaches", "discharged")]
    pd.testing.assert_frame_equal(numbers(together.total)[added], numbers(alone.monthly)[added])


def conserved(monthly: pd.DataFrame, stock: int) -> None:
    for _, one in monthly.groupby("replication"):
        received = stock + one["referrals"].cumsum()
        accounted = one[OPEN_STATES].sum(axis=1) + one[FINAL_STATES].cumsum().sum(axis=1)
        np.testing.assert_array_equal(received.to_numpy(), accounted.to_numpy())


def test_conservation_holds_per_service_and_in_total_every_month():
    result = run_portfolio(ROOT / "scenarios" / "portfolio" / "portfolio.yaml", 2, SEED)
    portfolio = load_portfolio(ROOT / "scenarios" / "portfolio" / "portfolio.yaml")
    stocks = {s.name: initial_stock(s.config) for s in portfolio.services}
    for name, service in result.services.items():
        conserved(service.monthly, stocks[name])
    conserved(result.total, sum(stocks.values()))
    assert len(result.total) == len(result.services["north"].monthly)


def test_a_fixed_split_between_two_identical_services_matches_two_runs_with_those_wte(folder):
    portfolio = write_file(folder, "two.yaml", (
        "portfolio:\n  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: short.yaml}\n"
        "  staff_pools:\n"
        "    - {name: shared, role: band6, wte: 3, rule: fixed_split, split: {a: 0.25, b: 0.75}}\n"
    ))
    together = run_portfolio(portfolio, REPS, SEED)
    by_hand = {
        share: write_file(folder, f"with_{share}.yaml", (
            f"extends: short.yaml\nworkforce:\n{STAFF}  - {{role: band6, wte: {share}}}\n"
        ))
        for share in (0.75, 2.25)
    }
    a = run(by_hand[0.75], REPS, SEED)
    b = run(by_hand[2.25], REPS, seed_of(SEED, "b"))
    pd.testing.assert_frame_equal(numbers(together.services["a"].monthly), numbers(a.monthly))
    pd.testing.assert_frame_equal(numbers(together.services["b"].monthly), numbers(b.monthly))
    assert not numbers(a.monthly).equals(numbers(b.monthly))  # the split reached the services
    assert together.manifest["services"]["b"]["seed"] == seed_of(SEED, "b")


def test_a_dated_move_matches_two_runs_with_the_move_written_as_staff_events(folder):
    portfolio = write_file(folder, "move.yaml", (
        "portfolio:\n  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: short.yaml}\n"
        "  events:\n    - {date: 2024-07-01, move_wte: {role: band6, wte: 1.5, from: a, to: b}}\n"
    ))
    together = run_portfolio(portfolio, REPS, SEED)
    leaving = write_file(folder, "leaving.yaml", (
        "extends: short.yaml\nevents:\n  - {date: 2024-07-01, remove_staff: {role: band6, wte: 1.5}}\n"
    ))
    joining = write_file(folder, "joining.yaml", (
        "extends: short.yaml\nevents:\n  - {date: 2024-07-01, add_staff: {role: band6, wte: 1.5}}\n"
    ))
    pd.testing.assert_frame_equal(
        numbers(together.services["a"].monthly), numbers(run(leaving, REPS, SEED).monthly)
    )
    pd.testing.assert_frame_equal(
        numbers(together.services["b"].monthly), numbers(run(joining, REPS, seed_of(SEED, "b")).monthly)
    )


def test_adding_a_service_leaves_the_others_numbers_alone(folder):
    two = write_file(folder, "two.yaml", (
        "portfolio:\n  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: short.yaml}\n"
    ))
    three = write_file(folder, "three.yaml", two.read_text() + "    - {name: c, file: short.yaml}\n")
    before, after = run_portfolio(two, 2, SEED), run_portfolio(three, 2, SEED)
    for name in ("a", "b"):
        pd.testing.assert_frame_equal(before.services[name].monthly, after.services[name].monthly)
    assert not numbers(before.services["b"].monthly).equals(numbers(before.services["a"].monthly))


GOOD_POOL = "{name: p, role: band6, wte: 1, rule: fixed_split, split: {a: 1}}"


@pytest.mark.parametrize(
    "block, message",
    [
        ("  services: []\n", "portfolio.services: List should have at least 1 item"),
        ("  services:\n    - {name: a, file: short.yaml, colour: red}\n",
         "portfolio.services.0.colour: unknown key"),
        ("  services:\n    - {name: a, file: missing.yaml}\n",
         "portfolio.services.0.file: missing.yaml: file not found"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band6, wte: 1, rule: referral_pressure, split: {a: 1}}\n",
         "rule: referral_pressure: sharing a pool by referral pressure is not built yet"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band6, wte: 1, rule: breach_pressure, split: {a: 1}}\n",
         "breach pressure (weeks over target) is not built yet"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band6, wte: 1, rule: fixed_split, split: {a: 1}, travel_time: 0.1}\n",
         "travel_time: travel time between services is not modelled yet"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band6, wte: 1, rule: fixed_split, split: {a: 0.6}}\n",
         "split: shares sum to 0.6, not 1"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band6, wte: 1, rule: fixed_split, split: {z: 1}}\n",
         "portfolio.staff_pools.0.split.z: no service of that name"),
        ("  services:\n    - {name: a, file: short.yaml}\n  staff_pools:\n"
         "    - {name: p, role: band9, wte: 1, rule: fixed_split, split: {a: 1}}\n",
         "portfolio.staff_pools.0.role: band9: service a has no job plan for it"),
        ("  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: short.yaml}\n  events:\n"
         "    - {date: 2024-07-01, move_wte: {role: band6, wte: 9, from: a, to: b}}\n",
         "removes 9 WTE of band6 on 2024-07-01 but only 4.8 WTE is in post"),
        ("  services:\n    - {name: a, file: short.yaml}\n    - {name: a, file: short.yaml}\n",
         "two services share a name"),
    ],
)
def test_every_key_is_validated_with_file_and_field(folder, block, message):
    path = write_file(folder, "bad.yaml", "portfolio:\n" + block)
    with pytest.raises(ConfigError) as caught:
        load_portfolio(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_services_on_different_months_are_refused(folder):
    write_file(folder, "longer.yaml", f"extends: {BASELINE}\nservice: {{horizon_months: 9}}\n")
    path = write_file(folder, "mixed.yaml", (
        "portfolio:\n  services:\n    - {name: a, file: short.yaml}\n    - {name: b, file: longer.yaml}\n"
    ))
    with pytest.raises(ConfigError, match="needs every service on the same months"):
        load_portfolio(path)


def test_a_portfolio_file_is_not_read_as_a_service():
    with pytest.raises(ConfigError):
        load_config(ROOT / "scenarios" / "portfolio" / "portfolio.yaml")


def test_written_outputs_hold_each_service_the_total_and_the_tables(folder, tmp_path):
    portfolio = write_file(folder, "two.yaml", (
        "portfolio:\n  title: Two\n  services:\n    - {name: a, file: short.yaml}\n"
        "    - {name: b, file: short.yaml}\n"
    ))
    result = run_portfolio(portfolio, 2, SEED)
    out = tmp_path / "out"
    write(result, out)
    for name in ("a", "b"):
        saved = pd.read_csv(out / "services" / name / "monthly.csv")
        assert len(saved) == len(result.services[name].monthly)
    total = pd.read_csv(out / "total_monthly.csv")
    a, b = (pd.read_csv(out / "services" / n / "monthly.csv") for n in ("a", "b"))
    np.testing.assert_array_equal(total["breaches"], a["breaches"] + b["breaches"])
    board = pd.read_csv(out / "board_table.csv")
    assert list(board["service"].drop_duplicates()) == ["Total", "a", "b"]
    league = pd.read_csv(out / "league_table.csv")
    assert league["service"].iloc[-1] == "Total"
    last = total[total["month"] == total["month"].max()]
    assert league["breaches_p50"].iloc[-1] == last["breaches"].median()
    ends = [frame[frame["month"] == frame["month"].max()]["breaches"].median() for frame in (a, b)]
    assert sorted(league["breaches_p50"].iloc[:2], reverse=True) == list(league["breaches_p50"].iloc[:2])
    assert sorted(league["breaches_p50"].iloc[:2]) == sorted(ends)


def test_cli_runs_a_portfolio_and_refuses_a_bad_one_writing_nothing(folder, tmp_path):
    dcsim = [sys.executable, "-m", "sim"]
    out = tmp_path / "out"
    done = subprocess.run(
        [*dcsim, "run", str(ROOT / "scenarios/portfolio/portfolio.yaml"), "--reps", "2", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "waiting over 14 weeks in all" in done.stdout and "1. " in done.stdout
    assert (out / "services" / "north" / "monthly.csv").is_file() and (out / "league_table.csv").is_file()
    bad = write_file(folder, "bad.yaml", "portfolio:\n  services:\n    - {name: a, file: short.yaml, x: 1}\n")
    refused = tmp_path / "refused"
    done = subprocess.run([*dcsim, "run", str(bad), "--out", str(refused)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "portfolio.services.0.x: unknown key" in done.stderr and "Traceback" not in done.stderr
    assert not refused.exists()
