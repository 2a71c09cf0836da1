"""Parameter draws from a calibration: one draw per replication, common across scenarios."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from services import service_document
from typer.testing import CliRunner

from sim.api import run
from sim.cli import app
from sim.engine.scenario import ConfigError, load_config
from sim.questions.compare import compare
from sim.questions.sensitivity import sensitivity
from sim.questions.solve import solve
from sim.runs.parameter_draws import read_draws
from sim.runs.replication_plan import ReplicationPlan

REPS = 12
DRAWS = """draw,job_plans.band6.non_clinical_share,demand.monthly_rate,events.Two posts.add_staff.wte
0,0.10,40,1
1,0.50,95,3
2,0.20,60,2
3,0.45,80,1
"""


def write_service(folder: Path, draws: str = DRAWS, use: bool = True) -> dict[str, Path]:
    """A 6-month small service, a scenario naming a draws file, and one adding posts later."""
    document = service_document({"service": {"horizon_months": 6}})
    document["events"] = [
        {"date": "2024-05-01", "label": "Two posts", "add_staff": {"role": "band6", "wte": 2}}
    ]
    (folder / "small.yaml").write_text(yaml.safe_dump(document))
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "draws.csv").write_text(draws)
    drawn = folder / "drawn.yaml"
    drawn.write_text(
        f"extends: small.yaml\nparameter_draws: {{file: data/draws.csv, use: {str(use).lower()}}}\n"
    )
    later = folder / "later.yaml"
    later.write_text(
        "extends: drawn.yaml\nevents:\n  - {date: 2024-08-01, add_staff: {role: band4, wte: 1}}\n"
    )
    return {"small": folder / "small.yaml", "drawn": drawn, "later": later}


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    return write_service(tmp_path)


def metrics(frame):
    return frame.drop(columns=["scenario"]).reset_index(drop=True)


def test_draws_widen_the_spread_across_replications(files):
    point = run(files["drawn"], REPS, seed=3, workers=1, parameter_draws=False).monthly
    drawn = run(files["drawn"], REPS, seed=3, workers=1).monthly
    last = point["month"].max()
    # Referral volume alone: Poisson(60) per month has sd ~8; draws of 40..95 add far more.
    spread = {
        name: frame.loc[frame["month"] == last, "referrals"].std()
        for name, frame in (("point", point), ("drawn", drawn))
    }
    assert spread["drawn"] > 2 * spread["point"]


def test_flag_off_equals_the_point_config_exactly(files, tmp_path):
    plain = run(files["small"], REPS, seed=3, workers=1).monthly
    off = run(files["drawn"], REPS, seed=3, workers=1, parameter_draws=False)
    assert metrics(off.monthly).equals(metrics(plain))
    assert off.manifest["parameter_draws"]["used"] is False
    (tmp_path / "unused").mkdir()
    unused = write_service(tmp_path / "unused", use=False)
    by_yaml = run(unused["drawn"], REPS, seed=3, workers=1).monthly
    assert metrics(by_yaml).equals(metrics(plain))


def test_replication_gets_the_same_draw_in_every_scenario(files):
    configs = [load_config(files[name]) for name in ("drawn", "later")]
    plans = [ReplicationPlan(c, read_draws(c, "test")) for c in configs]
    for replication in range(40):
        chosen = [p.draws.index_for(9, replication) for p in plans]
        assert chosen[0] == chosen[1]
        values = [p.config_for(9, replication) for p in plans]
        assert values[0].demand.monthly_rate == values[1].demand.monthly_rate
    result = compare([files["drawn"], files["later"]], reps=REPS, seed=9, workers=1)
    monthly = result.monthly
    # Referrals depend only on the draw and the arrival stream: equal before and after the change.
    base, later = (monthly[monthly["scenario"] == n].reset_index(drop=True) for n in result.names)
    assert base["referrals"].equals(later["referrals"])
    assert base.groupby("replication")["referrals"].sum().nunique() > 1
    assert result.manifest["parameter_draws"]["drawn"]["sha256"]


def test_a_draw_sets_fields_named_by_event_label(files):
    config = load_config(files["drawn"])
    plan = ReplicationPlan(config, read_draws(config, "test"))
    seen = {plan.config_for(1, r).events[0].add_staff.wte for r in range(60)}
    assert seen == {1, 2, 3}


def test_event_dates_are_drawn_as_months_after_the_start(tmp_path):
    files = write_service(tmp_path, "draw,events.Two posts.date\n0,1\n1,3\n")
    config = load_config(files["drawn"])
    plan = ReplicationPlan(config, read_draws(config, "test"))
    dates = {r: plan.config_for(4, r).events[0].date for r in range(40)}
    assert set(dates.values()) == {dt.date(2024, 5, 1), dt.date(2024, 7, 1)}  # the service starts in April
    # A replication run with its drawn date gives the numbers of the scenario written with that date.
    replication = next(r for r, day in dates.items() if day == dt.date(2024, 7, 1))
    drawn = run(files["drawn"], replication + 1, seed=4, workers=1).monthly
    document = yaml.safe_load(files["small"].read_text())
    document["events"][0]["date"] = "2024-07-01"
    (tmp_path / "july.yaml").write_text(yaml.safe_dump(document))
    july = run(tmp_path / "july.yaml", replication + 1, seed=4, workers=1).monthly
    pick = [frame[frame["replication"] == replication] for frame in (drawn, july)]
    assert metrics(pick[0]).equals(metrics(pick[1]))


def test_event_date_draws_must_be_whole_months(tmp_path):
    files = write_service(tmp_path, "draw,events.Two posts.date\n0,1.5\n")
    with pytest.raises(ConfigError, match=r"column events.Two posts.date: not a whole number of months"):
        run(files["drawn"], 2, seed=0, workers=1)


def test_zero_weight_draws_are_never_used(tmp_path):
    weighted = "draw,weight,demand.monthly_rate\n0,0,200\n1,3,50\n2,1,70\n"
    files = write_service(tmp_path, weighted)
    config = load_config(files["drawn"])
    plan = ReplicationPlan(config, read_draws(config, "test"))
    rates = [plan.config_for(0, r).demand.monthly_rate for r in range(400)]
    assert 200 not in rates
    share = np.mean(np.array(rates) == 50)
    assert 0.68 < share < 0.82  # weight 3 of 4, 400 draws: sd 0.022


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("draw,no.such.field\n0,1\n", "draws.csv: column no.such.field: not a numeric field"),
        ("draw,demand.monthly_rate\n0,abc\n", "draws.csv: row 2, column demand.monthly_rate: not a number"),
        (
            "draw,job_plans.band6.non_clinical_share\n0,0.2\n1,1.5\n",
            "draws.csv: row 3: job_plans.band6.non_clinical_share: Input should be less than or equal to 1",
        ),
        ("demand.monthly_rate\n50\n", "draws.csv: column draw: required but missing"),
    ],
)
def test_bad_draws_name_file_row_and_column(tmp_path, text, message):
    files = write_service(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        run(files["drawn"], 2, seed=0, workers=1)
    assert message in str(error.value)
    result = CliRunner().invoke(app, ["validate", str(files["drawn"])])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_missing_draws_file_is_refused(tmp_path):
    files = write_service(tmp_path)
    (tmp_path / "data" / "draws.csv").unlink()
    with pytest.raises(ConfigError, match="parameter_draws.file: .*draws.csv: file not found"):
        run(files["drawn"], 2, seed=0, workers=1)


def test_drawn_fields_cannot_be_levers_or_varied(files):
    with pytest.raises(ConfigError, match="--lever: demand.monthly_rate: is drawn"):
        solve(
            files["drawn"],
            "demand.monthly_rate",
            "breaches<=0 by 2024-09",
            low=40,
            high=80,
            step=20,
            reps=2,
            workers=1,
        )
    with pytest.raises(ConfigError, match="--vary: demand.monthly_rate: is drawn"):
        sensitivity(files["drawn"], ["demand.monthly_rate=40,80"], reps=2, workers=1)


def test_solve_and_sensitivity_record_the_draws(files):
    result = sensitivity(files["drawn"], ["triage.minutes_per_referral=10,30"], reps=4, workers=1)
    assert result.manifest["parameter_draws"]["drawn"]["draws"] == 4
    off = sensitivity(files["drawn"], ["demand.monthly_rate=40,80"], reps=4, workers=1, parameter_draws=False)
    assert off.manifest["parameter_draws"]["drawn"]["used"] is False


def test_cli_run_without_draws(files, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(files["drawn"]),
            "--reps",
            "2",
            "--workers",
            "1",
            "--out",
            str(out),
            "--no-parameter-draws",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((out / "manifest.json").read_text())
    assert manifest["parameter_draws"]["reason"] == "--no-parameter-draws"
