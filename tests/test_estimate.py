"""Direct estimation recovers the known parameters of a synthetic patient-level extract."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from calibration.data import DataError, read_extract
from calibration.estimate import (
    Interval,
    band_edges,
    estimate,
    fit_referral_rate,
    median_interval,
    negbin_size,
    wilson,
)
from calibration.synthetic_extract import (
    SEASONALITY,
    SyntheticService,
    extract_at,
    true_history,
    write_extract,
)
from sim.cli import app
from sim.engine.scenario import deep_merge, load_config, validate

SERVICE = SyntheticService()
PATHWAYS = ["specialist", "group"]
ORDER = ["urgent", "routine"]  # booking order, as the baseline lists demand.priorities
BASE_CONFIG = textwrap.dedent("""\
    service: {name: test, start_date: 2024-04-01, horizon_months: 36, rtt_target_weeks: 14, nation: wales}
    demand: {monthly_rate: 80, priorities: {urgent: 0.05, routine: 0.95}}
    triage:
      delay_days: {urgent: 1, routine: 5}
      minutes_per_referral: 20
      outcomes: {reject: 0.1, signpost: 0.1, specialist: 0.8}
    pathways:
      specialist: {first_contact: assessment, followup: followup,
                   followups: {distribution: poisson, mean: 3}, interval_weeks: 3}
      group: {first_contact: group_session, followup: group_session}
    appointment_types:
      assessment: {activity: new, minutes: 90, dna_rate: 0.08}
      followup: {activity: followup, minutes: 60, dna_rate: 0.1}
      group_session: {activity: group, minutes: 120, group_size: 6}
    job_plans:
      band6: {activity_split: {triage: 0.1, new: 0.4, followup: 0.4, group: 0.1}}
    workforce: [{role: band6, wte: 6}]
    initial_state:
      waiting_list: [{from_weeks: 0, to_weeks: 14, count: 270}, {from_weeks: 14, to_weeks: 40, count: 330}]
      followup_caseload: 150
""")


BRIEF_CONFIG = textwrap.dedent("""\
    service: {name: test, start_date: 2024-04-01, horizon_months: 36, rtt_target_weeks: 14, nation: wales}
    demand: {monthly_rate: 80, priorities: {urgent: 0.05, routine: 0.95}}
    triage:
      delay_days: {urgent: 1, routine: 5}
      minutes_per_referral: 20
      outcomes: {reject: 0.1, signpost: 0.1, specialist: 0.8}
    pathways:
      specialist: {first_contact: assessment, followup: followup, followups: {distribution: poisson, mean: 3},
                   interval_weeks: 3}
    appointment_types:
      assessment: {activity: new, minutes: 90, dna_rate: 0.08}
      followup: {activity: followup, minutes: 60, dna_rate: 0.1}
    job_plans:
      band6: {activity_split: {triage: 0.1, new: 0.4, followup: 0.5}}
    workforce: [{role: band6, wte: 6}]
    initial_state:
      waiting_list: [{from_weeks: 0, to_weeks: 14, count: 270}, {from_weeks: 14, to_weeks: 40, count: 330}]
      followup_caseload: 150
""")


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return true_history(SERVICE, seed=2024)


@pytest.fixture(scope="module")
def extract(history, tmp_path_factory) -> pd.DataFrame:
    path = write_extract(extract_at(history, SERVICE.snapshot), tmp_path_factory.mktemp("x") / "x.csv")
    frame, report = read_extract(path)
    assert report.total == 0
    return frame


@pytest.fixture(scope="module")
def found(extract):
    return estimate(
        extract, SERVICE.snapshot, rtt_target_weeks=14, pathway_names=PATHWAYS, priority_order=ORDER
    )


def near(interval: Interval, truth: float) -> bool:
    """Truth inside the 95% interval widened by half: a single history may miss by a little.

    Whether the 95% intervals are right is checked across many histories below.
    """
    half = interval.width / 2
    return interval.low - half <= truth <= interval.high + half


def test_referral_rate_seasonality_and_trend_recovered(found):
    rate = found.referrals
    assert rate.months[0] == "2021-04" and rate.months[-1] == "2024-03"
    assert near(rate.monthly_rate, SERVICE.rate_at_snapshot)
    assert rate.monthly_rate.width < 0.2 * rate.monthly_rate.value
    assert near(rate.annual_trend, SERVICE.annual_trend)
    assert rate.annual_trend.width < 0.15
    august = rate.seasonality[7]
    assert near(august, 0.6) and august.high < 0.8  # the school-holiday dip is detected
    assert all(near(m, t) for m, t in zip(rate.seasonality, SEASONALITY, strict=True))
    assert np.mean([m.value for m in rate.seasonality]) == pytest.approx(1.0)
    assert max(m.width for m in rate.seasonality) < 0.4


def coverage_checks(found, service: SyntheticService) -> dict[str, bool]:
    """Whether each reported 95% interval holds the parameter the history was drawn from."""
    specialist, group = found.followups["specialist"], found.followups["group"]
    return {
        "monthly_rate": found.referrals.monthly_rate.contains(service.rate_at_snapshot),
        "annual_trend": found.referrals.annual_trend.contains(service.annual_trend),
        "august": found.referrals.seasonality[7].contains(service.seasonality[7]),
        "urgent_share": found.priorities["urgent"].contains(service.priorities["urgent"]),
        "school_share": found.sources["school"].contains(service.sources["school"]),
        "specialist_share": found.triage_outcomes["specialist"].contains(service.outcomes["specialist"]),
        "dna_rate": found.dna_rate.contains(service.dna_rate),
        "followups_mean": specialist.mean.contains(4.0),
        "followups_dispersion": specialist.dispersion.contains(2.0),
        "group_followups_mean": group.mean.contains(5.0),
    }


def test_extract_estimates_cover_the_truth_across_histories(tmp_path):
    """Each parameter's 95% interval holds the truth in nearly all of 12 synthetic histories."""
    service = SyntheticService(months=30, base_rate=70)
    hits = []
    for seed in range(12):
        path = write_extract(extract_at(true_history(service, seed), service.snapshot), tmp_path / "x.csv")
        found = estimate(
            read_extract(path)[0], service.snapshot, pathway_names=PATHWAYS, priority_order=ORDER
        )
        hits.append(coverage_checks(found, service))
    by_parameter = pd.DataFrame(hits).mean()
    assert by_parameter.min() >= 9 / 12, by_parameter.to_dict()  # 4+ misses of 12: p < 0.003
    assert by_parameter.mean() >= 0.9, by_parameter.to_dict()


def test_referral_intervals_have_nominal_coverage():
    """Across many synthetic histories, the 95% intervals cover the truth about 95% of the time."""
    snapshot = pd.Timestamp("2024-04-01")
    months = pd.period_range("2021-04", "2024-03", freq="M")
    middle = months.to_timestamp() + pd.to_timedelta(months.days_in_month / 2, unit="D")
    years = np.asarray((middle - snapshot).days / 365.25)
    mean = 80 * np.asarray(SEASONALITY)[months.month - 1] * 1.1**years
    rng = np.random.default_rng(5)
    hits = {"rate": 0, "trend": 0, "season": 0}
    runs = 200
    for _ in range(runs):
        fitted, _ = fit_referral_rate(pd.Series(rng.poisson(mean), index=months), snapshot)
        hits["rate"] += fitted.monthly_rate.contains(80)
        hits["trend"] += fitted.annual_trend.contains(0.1)
        hits["season"] += sum(m.contains(t) for m, t in zip(fitted.seasonality, SEASONALITY, strict=True))
    assert 0.90 <= hits["rate"] / runs <= 0.99
    assert 0.90 <= hits["trend"] / runs <= 0.99
    assert 0.92 <= hits["season"] / (12 * runs) <= 0.975


def test_short_history_fixes_seasonality_and_says_so(extract):
    recent = extract[extract["referral_date"] >= "2022-10-01"]
    short = estimate(recent, SERVICE.snapshot, pathway_names=PATHWAYS, priority_order=ORDER)
    assert short.referrals.seasonality is None
    assert any("seasonality fixed at 1" in w for w in short.warnings)
    fragment = yaml.safe_load(short.to_yaml_fragment())
    assert fragment["demand"]["seasonality"] == [1] * 12
    assert "WARNING: only 18 months" in short.to_yaml_fragment()


def test_mix_triage_and_attendance_recovered(found):
    assert list(found.priorities) == ORDER  # the booking order given
    for name, share in SERVICE.priorities.items():
        assert near(found.priorities[name], share)
    for name, share in SERVICE.sources.items():
        assert near(found.sources[name], share)
    for name, share in SERVICE.outcomes.items():
        assert near(found.triage_outcomes[name], share)
    assert found.triage_delay_days["urgent"].value == 1 and found.triage_delay_days["routine"].value == 5
    assert near(found.dna_rate, SERVICE.dna_rate) and found.dna_rate.width < 0.03


def test_followups_recovered(found):
    specialist, group = found.followups["specialist"], found.followups["group"]
    assert specialist.distribution == "negbin"
    assert near(specialist.mean, 4.0) and specialist.mean.width < 0.6
    assert near(specialist.dispersion, 2.0) and specialist.dispersion.width < 1.5
    assert specialist.interval_weeks.contains(3.0)
    assert group.distribution == "poisson" and group.dispersion is None
    assert near(group.mean, 5.0) and group.mean.width < 0.6
    assert group.interval_weeks.contains(1.0)


def test_interval_from_episode_length_when_no_followup_dates(extract):
    counts_only = extract.drop(columns="followup_dates")
    found = estimate(counts_only, SERVICE.snapshot, pathway_names=PATHWAYS, priority_order=ORDER)
    assert abs(found.followups["specialist"].interval_weeks.value - 3.0) < 0.15
    assert near(found.followups["specialist"].mean, 4.0)


def test_snapshot_lists_match_the_true_history(found, history):
    cut = pd.Timestamp(SERVICE.snapshot)
    accepted = history["triage_outcome"].isin(PATHWAYS) & (history["triage_date"] < cut)
    waiting = history[accepted & ~(history["first_contact_date"] < cut)]
    weeks = (cut - waiting["referral_date"]).dt.days / 7
    state = found.initial_state
    assert sum(count for _, _, count in state.waiting_list) == len(waiting)
    assert state.breaches == int((weeks > 14).sum())
    assert (12, 14, int(((weeks >= 12) & (weeks < 14)).sum())) in state.waiting_list
    assert state.awaiting_triage == int((history["triage_date"] >= cut).sum())
    in_followup = (history["first_contact_date"] < cut) & ~(history["discharge_date"] < cut)
    assert state.followup_caseload == int(in_followup.sum())
    urgent = (waiting["priority"] == "urgent").mean()
    assert state.urgent_share == pytest.approx(urgent)


def test_fragment_validates_merged_into_a_full_config(found):
    fragment = found.to_yaml_fragment(dna_appointment_types=["assessment", "followup"])
    config = validate(deep_merge(yaml.safe_load(BASE_CONFIG), yaml.safe_load(fragment)), "merged")
    assert config.demand.monthly_rate == pytest.approx(found.referrals.monthly_rate.value, rel=1e-3)
    assert config.demand.seasonality[7] == pytest.approx(found.referrals.seasonality[7].value, rel=1e-3)
    assert config.pathways["specialist"].followups.distribution == "negbin"
    assert config.pathways["specialist"].first_contact == "assessment"  # kept from the baseline
    assert config.appointment_types["assessment"].dna_rate == pytest.approx(found.dna_rate.value, abs=1e-3)
    assert sum(b.count for b in config.initial_state.waiting_list) == sum(
        c for _, _, c in found.initial_state.waiting_list
    )
    assert "95% CI" in fragment


def test_fragment_works_through_extends(found, tmp_path):
    (tmp_path / "baseline.yaml").write_text(BASE_CONFIG)
    (tmp_path / "estimated.yaml").write_text("extends: baseline.yaml\n" + found.to_yaml_fragment())
    config = load_config(tmp_path / "estimated.yaml")
    assert config.service.start_date == SERVICE.snapshot
    assert config.demand.sources.keys() == SERVICE.sources.keys()


def test_single_pathway_service_merges_into_the_briefs_config(tmp_path):
    service = SyntheticService(
        months=24,
        outcomes={"reject": 0.1, "signpost": 0.1, "specialist": 0.8},
        followups={"specialist": ("negbin", 4.0, 2.0)},
    )
    path = write_extract(extract_at(true_history(service, 3), service.snapshot), tmp_path / "x.csv")
    found = estimate(
        read_extract(path)[0], service.snapshot, pathway_names=["specialist"], priority_order=ORDER
    )
    fragment = yaml.safe_load(found.to_yaml_fragment(["assessment", "followup"]))
    config = validate(deep_merge(yaml.safe_load(BRIEF_CONFIG), fragment), "merged")
    assert list(config.triage.outcomes) == ["reject", "signpost", "specialist"]
    assert config.pathways["specialist"].followups.mean == pytest.approx(4.0, abs=0.5)


def test_partial_first_month_and_later_referrals_are_reported_not_hidden(extract):
    late_start = extract[extract["referral_date"] >= "2021-04-15"]
    found = estimate(late_start, "2023-04-01", pathway_names=PATHWAYS, priority_order=ORDER)
    assert found.referrals.months[0] == "2021-05" and found.referrals.months[-1] == "2023-03"
    assert any("2021-04 is partial" in w for w in found.warnings)
    assert any("on or after the snapshot date ignored" in w for w in found.warnings)
    assert "# WARNING: history starts 2021-04-" in found.to_yaml_fragment()


def test_extract_without_dna_counts_leaves_dna_rates_alone(extract):
    found = estimate(
        extract.drop(columns="dna_count"), SERVICE.snapshot, pathway_names=PATHWAYS, priority_order=ORDER
    )
    assert found.dna_rate is None
    assert "dna" not in found.to_yaml_fragment(["assessment"]).lower()


def test_without_appointment_types_the_dna_rate_is_a_comment(found):
    fragment = found.to_yaml_fragment()
    assert "appointment_types" not in yaml.safe_load(fragment)
    assert "# DNA rate 0.0" in fragment


def test_identifiers_never_reach_the_fragment(found):
    assert "R00" not in found.to_yaml_fragment(["assessment"])


def test_unknown_triage_outcome_is_a_named_error(extract):
    with pytest.raises(DataError, match=r"column triage_outcome: 'group' is not reject, signpost or a"):
        estimate(extract, SERVICE.snapshot, pathway_names=["specialist"], priority_order=ORDER)


def test_shares_round_to_exactly_one(found):
    thirds = {k: Interval(1 / 3, 0, 1) for k in ("reject", "signpost", "specialist")}
    odd = dataclasses.replace(found, triage_outcomes=thirds)
    merged = deep_merge(yaml.safe_load(BASE_CONFIG), yaml.safe_load(odd.to_yaml_fragment()))
    merged["pathways"].pop("group")
    assert sum(validate(merged, "merged").triage.outcomes.values()) == pytest.approx(1, abs=1e-9)


def test_statistical_helpers():
    assert wilson(0, 50).low == 0 and 0 < wilson(0, 50).high < 0.1 and wilson(9, 9).high == 1
    assert wilson(5, 100).contains(0.05)
    interval = median_interval(range(101))
    assert interval.value == 50 and interval.low < 50 < interval.high
    counts = np.random.default_rng(0).negative_binomial(2, 2 / 6, 2000).astype(float)
    assert negbin_size(counts).contains(2.0)
    assert band_edges(30, 14) == [0, 4, 8, 12, 14, 16, 20, 24, 28, 32]
    assert band_edges(30, 16) == [0, 4, 8, 12, 16, 20, 24, 28, 32]


def test_priority_order_is_given_not_inferred(extract):
    reversed_order = estimate(extract, SERVICE.snapshot, pathway_names=PATHWAYS, priority_order=ORDER[::-1])
    assert list(reversed_order.priorities) == ["routine", "urgent"]  # as given, whatever the triage delays
    with pytest.raises(DataError, match="priority order not given"):
        estimate(extract, SERVICE.snapshot, pathway_names=PATHWAYS)
    first_urgent = extract[extract["priority"] == "urgent"].index[0]
    with pytest.raises(DataError, match=rf"row {first_urgent}, column priority: 'urgent' is not one of"):
        estimate(extract, SERVICE.snapshot, pathway_names=PATHWAYS, priority_order=["routine"])


# ----- the command ---------------------------------------------------------------------------------


def test_cli_estimate_writes_a_fragment_the_config_accepts(tmp_path):
    service = SyntheticService(months=24, base_rate=40)
    path = write_extract(extract_at(true_history(service, 4), service.snapshot), tmp_path / "x.csv")
    config = tmp_path / "base.yaml"
    config.write_text(BASE_CONFIG)
    out = tmp_path / "fragment.yaml"
    result = CliRunner().invoke(app, ["estimate", str(path), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    fragment = yaml.safe_load(out.read_text())
    assert str(fragment["service"]["start_date"]) == str(service.snapshot)  # month after the last referral
    assert list(fragment["demand"]["priorities"]) == ["urgent", "routine"]  # from the config
    assert set(fragment["appointment_types"]) == {"assessment", "followup", "group_session"}
    validate(deep_merge(yaml.safe_load(BASE_CONFIG), fragment), "merged")
    flipped = CliRunner().invoke(
        app, ["estimate", str(path), "--priorities", "routine,urgent", "--out", str(out)]
    )
    assert flipped.exit_code == 0, flipped.stderr
    assert list(yaml.safe_load(out.read_text())["demand"]["priorities"]) == ["routine", "urgent"]


def test_cli_estimate_errors_name_the_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "referral_date,priority,triage_date,first_contact_date,discharge_date,triage_outcome,followup_contacts\n"
        "2024-01-03,routine,2024-01-05,,,specialist,0\n"
        "2024-01-04,soon,2024-01-05,,,specialist,0\n"
        "2024-13-04,routine,2024-01-05,,,specialist,0\n"
    )
    out = tmp_path / "f.yaml"
    result = CliRunner().invoke(
        app, ["estimate", str(path), "--priorities", "urgent,routine", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert f"{path}: row 4, column referral_date: not a date: '2024-13-04'" in result.stderr
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    result = CliRunner().invoke(
        app, ["estimate", str(path), "--priorities", "urgent,routine", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert f"{path}: row 3, column priority: 'soon' is not one of the priorities given" in result.stderr
    assert "Traceback" not in result.output + result.stderr and not out.exists()
    missing = CliRunner().invoke(app, ["estimate", str(path), "--out", str(out)])
    assert missing.exit_code == 2 and "--priorities urgent,routine or --config" in missing.stderr
