"""Scenario files: sweeps expand correctly, bad sweeps are explained, and every example scenario
moves breaches the way its header comment says."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.engine.scenario import ConfigError, load_config
from sim.engine.sweep import load_scenarios
from sim.questions.compare import compare

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
BASELINE = EXAMPLE / "baseline.yaml"
EXAMPLES = [
    "three_band6_posts",
    "council_band6",
    "open_referrals",
    "backlog_clinic",
    "skill_mix_band4",
    "group_programme",
    "stop_routine_reviews",
    "waiting_list_validation",
    "validation_sweep",
    "demand_growth",
    "vacancies_and_sickness",
]


def scenario_file(folder: Path, text: str, name: str = "sweep") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {BASELINE}\n{text}")
    return path


def test_sweep_expands_to_one_named_scenario_per_value(tmp_path):
    path = scenario_file(tmp_path, "sweep: {field: workforce.1.wte, values: [3, 4.5, 6]}\n")
    scenarios = load_scenarios(path)
    assert [s.name for s in scenarios] == [
        "sweep[workforce.1.wte=3]",
        "sweep[workforce.1.wte=4.5]",
        "sweep[workforce.1.wte=6]",
    ]
    assert [s.config.workforce[1].wte for s in scenarios] == [3, 4.5, 6]
    assert [s.changes for s in scenarios] == [{"workforce.1.wte": v} for v in (3, 4.5, 6)]
    assert all(s.config.workforce[0].wte == 1.0 for s in scenarios)  # nothing else changes


def test_sweep_over_an_event_field_and_a_set_key_with_dots(tmp_path):
    events = (
        "events:\n"
        "  - {date: 2024-10-01, label: posts, add_staff: {role: band6, wte: 1}}\n"
        "  - {date: 2025-01-01, set: {demand.multiplier: 1.1}}\n"
    )
    sweep = "sweep: {field: events.0.add_staff.wte, values: [0, 2]}\n"
    staff = load_scenarios(scenario_file(tmp_path, events + sweep))
    assert staff[1].config.events[0].add_staff.wte == 2
    # Zero posts is an event doing nothing; it keeps its place so later events keep their streams.
    assert staff[0].config.events[0].add_staff is None and staff[0].config.events[0].set == {}
    assert staff[0].config.events[0].label == "posts" and len(staff[0].config.events) == 2
    demand = load_scenarios(
        scenario_file(tmp_path, events + "sweep: {field: events.1.set.demand.multiplier, values: [1.2]}\n")
    )
    assert demand[0].config.events[1].set == {"demand.multiplier": 1.2}
    assert demand[0].name == "sweep[events.1.set.demand.multiplier=1.2]"


@pytest.mark.parametrize(
    "sweep, message",
    [
        (
            "{field: workforce.9.wte, values: [1]}",
            "sweep.field: no field 'workforce.9' (workforce has 3 entries)",
        ),
        ("{field: workforce.x.wte, values: [1]}", "sweep.field: workforce is a list: give a position 0 to 2"),
        ("{field: service.name.first, values: [1]}", "sweep.field: service.name is a value, not a section"),
        ("{field: workforce.1.wte}", "sweep.values: a non-empty list of values is required"),
        ("{field: workforce.1.wte, values: []}", "sweep.values: a non-empty list of values is required"),
        ("{values: [1, 2]}", "sweep.field: a dotted field path is required"),
        ("{field: workforce.1.wte, values: [1, 1.0]}", "sweep.values.1: 1 appears twice"),
        ("{field: workforce.1.wte, value: [1]}", "sweep.value: unknown key"),
        ("[workforce.1.wte, 1]", "sweep: must be a mapping"),
    ],
)
def test_bad_sweeps_name_file_and_field(tmp_path, sweep, message):
    path = scenario_file(tmp_path, f"sweep: {sweep}\n")
    with pytest.raises(ConfigError) as error:
        load_scenarios(path)
    assert str(error.value).startswith(f"{path}: {message}")


def test_sweep_values_are_validated_like_the_file(tmp_path):
    path = scenario_file(tmp_path, "sweep: {field: job_plans.band6.sickness_rate, values: [0.05, 1.5]}\n")
    with pytest.raises(ConfigError) as error:
        load_scenarios(path)
    expected = f"{path} [job_plans.band6.sickness_rate=1.5]: job_plans.band6.sickness_rate: "
    assert str(error.value).startswith(expected)
    typo = scenario_file(tmp_path, "sweep: {field: job_plans.band6.sicknes_rate, values: [0.05]}\n", "typo")
    with pytest.raises(ConfigError, match=r"job_plans\.band6\.sicknes_rate: unknown key"):
        load_scenarios(typo)


def test_single_scenario_commands_point_sweeps_to_compare(tmp_path):
    path = scenario_file(tmp_path, "sweep: {field: workforce.1.wte, values: [3, 4]}\n")
    with pytest.raises(ConfigError, match="sweep: a sweep stands for several scenarios; run it with `dcsim"):
        load_config(path)
    outcome = CliRunner().invoke(app, ["run", str(path), "--reps", "1", "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output


def test_compare_runs_a_sweep_beside_the_baseline(tmp_path):
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {BASELINE}\nservice: {{horizon_months: 6}}\n")
    sweep = tmp_path / "wte.yaml"
    sweep.write_text("extends: short.yaml\nsweep: {field: workforce.1.wte, values: [4.8, 7.8]}\n")
    out = tmp_path / "out"
    args = ["compare", str(short), str(sweep), "-n", "3", "-s", "5", "-w", "1", "--out", str(out)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    names = ["short", "wte[workforce.1.wte=4.8]", "wte[workforce.1.wte=7.8]"]
    for name in names[1:]:
        assert f"  {name}: " in outcome.output  # brackets printed, not taken as markup
    comparison = pd.read_csv(out / "comparison.csv")
    assert comparison["scenario"].unique().tolist() == names
    same = comparison[comparison["scenario"] == names[1]]
    assert (same[["breaches_diff_p10", "breaches_diff_p90"]] == 0).all().all()  # 4.8 is the baseline's value
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["changes"][names[2]] == {"workforce.1.wte": 7.8}


def test_every_example_file_has_a_decision_header_and_labelled_events():
    for name in EXAMPLES:
        path = EXAMPLE / f"{name}.yaml"
        text = path.read_text()
        assert text.startswith("# Decision modelled:"), name
        assert "Claim:" in text, name
        config = load_config(path)
        assert all(e.label for e in config.events), name


def mean_breaches(result, scenario: str, month: str) -> float:
    rows = result.monthly[(result.monthly["scenario"] == scenario) & (result.monthly["month"] == month)]
    return float(rows["breaches"].mean())


def gap(result, scenario: str, month: str) -> float:
    """Mean paired difference in breaches from the baseline."""
    rows = result.differences
    rows = rows[(rows["scenario"] == scenario) & (rows["month"] == month)]
    return float(rows["breaches_diff"].mean())


@pytest.fixture(scope="module")
def examples():
    return compare([BASELINE, *(EXAMPLE / f"{n}.yaml" for n in EXAMPLES)], reps=20, seed=3, workers=2)


@pytest.mark.slow
def test_capacity_scenarios_lower_breaches_and_the_gap_widens(examples):
    # three_band6_posts: below baseline from late 2024, gap widening.
    assert gap(examples, "three_band6_posts", "2024-12") < -20
    assert gap(examples, "three_band6_posts", "2025-06") < gap(examples, "three_band6_posts", "2024-12") - 80
    # council_band6: lower than the three posts alone once filled (from May 2025), before the
    # three posts alone have cleared the list (by late 2025).
    council, three = (mean_breaches(examples, n, "2025-07") for n in ("council_band6", "three_band6_posts"))
    assert council < three - 20
    # skill mix, groups, fewer reviews: below baseline, widening.
    for name, first, later in [
        ("skill_mix_band4", "2025-03", "2026-03"),
        ("group_programme", "2025-03", "2026-03"),
        ("stop_routine_reviews", "2025-09", "2026-09"),
    ]:
        assert gap(examples, name, first) < -20, name
        assert gap(examples, name, later) < gap(examples, name, first) - 50, name


@pytest.mark.slow
def test_demand_and_workforce_pressures_raise_breaches_and_the_gap_widens(examples):
    for name, first, later in [
        ("open_referrals", "2025-06", "2025-12"),
        ("demand_growth", "2025-03", "2026-03"),
        ("vacancies_and_sickness", "2024-09", "2025-09"),
    ]:
        assert gap(examples, name, first) > 20, name
        assert gap(examples, name, later) > gap(examples, name, first) + 50, name


@pytest.mark.slow
def test_backlog_clinic_helps_while_it_runs_then_the_list_regrows(examples):
    during = [gap(examples, "backlog_clinic", m) for m in ("2024-07", "2024-09", "2024-11")]
    assert during[0] < 0 and during[2] < during[1] < during[0]  # lower and falling while it runs
    assert during[2] < -100
    end = mean_breaches(examples, "backlog_clinic", "2024-11")
    later = [mean_breaches(examples, "backlog_clinic", m) for m in ("2025-03", "2025-09", "2026-03")]
    assert end < later[0] < later[1] < later[2]  # the list regrows once the clinic stops
    assert later[2] > end + 100
    assert gap(examples, "backlog_clinic", "2027-03") > during[2] + 10  # gap to baseline shrinking


@pytest.mark.slow
def test_validation_is_a_one_off_step_down(examples):
    assert gap(examples, "waiting_list_validation", "2024-07") < -30
    assert gap(examples, "waiting_list_validation", "2027-03") < -15  # still below
    assert mean_breaches(examples, "waiting_list_validation", "2027-03") > (
        mean_breaches(examples, "waiting_list_validation", "2024-08") + 100
    )  # but the list keeps growing: no capacity was added


def removed_gap(result, scenario: str, month: str) -> float:
    """Mean paired difference in removals from the baseline."""
    rows = result.monthly
    mine = rows[(rows["scenario"] == scenario) & (rows["month"] == month)]["removed"].mean()
    theirs = rows[(rows["scenario"] == "baseline") & (rows["month"] == month)]["removed"].mean()
    return float(mine - theirs)


@pytest.mark.slow
def test_a_validation_sweep_yields_less_each_round(examples):
    extra = [removed_gap(examples, "validation_sweep", m) for m in ("2024-07", "2024-08", "2024-09")]
    assert extra[0] > extra[1] > extra[2] > 0  # one round a month, each finding fewer
    assert gap(examples, "validation_sweep", "2024-07") < -30
    assert gap(examples, "validation_sweep", "2027-03") < -15  # still below
    assert mean_breaches(examples, "validation_sweep", "2027-03") > (
        mean_breaches(examples, "validation_sweep", "2024-08") + 100
    )  # the list keeps growing: no capacity was added
