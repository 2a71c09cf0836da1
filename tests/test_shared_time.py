"""Shared clinical time and the follow-up caseload as an outcome.

- slot arithmetic: with the new-patient list never empty, X more follow-up minutes a day take
  exactly X minutes a day from new patients under caseload_first, and none under template;
- follow-up pressure reaches breaches under caseload_first (more follow-ups, shorter
  intervals, more follow-up DNAs raise them; fewer reviews lower them);
- overdue figures match a rebuild from the per-patient trace, DNAs included;
- start_date: the snapshot's waits are measured on start_date.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from services import EXAMPLE, service_config

from sim.engine.model import ServiceModel
from sim.engine.scenario import ConfigError, load_config
from sim.engine.timeline import apply_changes
from sim.runs.trace import TracedModel

ASSESSMENT_MINUTES, REVIEW_MINUTES = 60, 30


def slots_service(rule: str, caseload: int):
    """One clinician (450 clinical minutes a day: 315 new, 135 follow-up by the template), a
    list of 2,000 waiting for a one-off assessment, and ``caseload`` children reviewed weekly."""
    return service_config(
        {
            "service": {"horizon_months": 3, "bank_holidays": False},
            "demand": {"monthly_rate": 0.001},
            "triage": {"outcomes": {"reject": 0.0, "signpost": 0.0, "specialist": 1.0, "group": 0.0}},
            "pathways": {
                "specialist": {"followup": None, "followups": {"distribution": "fixed", "mean": 0}},
                "group": {
                    "first_contact": "assessment",
                    "followup": "followup",
                    "followups": {"distribution": "fixed", "mean": 100},
                    "interval_weeks": 1,
                },
            },
            "appointment_types": {
                "assessment": {"minutes": ASSESSMENT_MINUTES, "dna_rate": 0.0},
                "followup": {"minutes": REVIEW_MINUTES, "dna_rate": 0.0},
            },
            "job_plans": {
                "band6": {
                    "non_clinical_share": 0.0,
                    "activity_split": {"triage": 0.0, "new": 0.7, "followup": 0.3, "group": 0.0},
                    "annual_leave_days": 0,
                    "sickness_rate": 0.0,
                    "clinical_time": {"rule": rule},
                },
            },
            "workforce": [{"role": "band6", "wte": 1.0}],
            "initial_state": {
                "waiting_list": [{"from_weeks": 0, "to_weeks": 10, "count": 2000}],
                "awaiting_triage": 0,
                "followup_caseload": caseload,
            },
        }
    )


def new_patients_seen(rule: str, caseload: int) -> tuple[int, int]:
    """First contacts and follow-up contacts in months 2-3 (after the caseload settles into its
    weekly days)."""
    model = ServiceModel(slots_service(rule, caseload), seed=4, replication=0)
    records = pd.DataFrame.from_records(model.run())
    return int(records["first_contacts"].iloc[1:].sum()), int(records["followup_contacts"].iloc[1:].sum())


@pytest.mark.parametrize("rule, minutes_lost", [("caseload_first", 1.0), ("template", 0.0)])
def test_more_followup_minutes_take_the_same_minutes_from_new_patients(rule, minutes_lost):
    # Both caseloads need more than the template's 135 follow-up minutes a day (30 and 40 weekly
    # reviews of 30 minutes: 180 and 240 a day), and less than the whole day. (A few of the
    # seeded caseload finish their episodes, so the minutes are counted, not assumed.)
    low, low_reviews = new_patients_seen(rule, 30)
    high, high_reviews = new_patients_seen(rule, 40)
    extra_followup_minutes = (high_reviews - low_reviews) * REVIEW_MINUTES
    assert extra_followup_minutes > 0 if minutes_lost else extra_followup_minutes == 0
    expected = -minutes_lost * extra_followup_minutes / ASSESSMENT_MINUTES
    assert high - low == pytest.approx(expected, abs=2)  # whole slots either side of month ends


def test_min_new_share_protects_new_patients():
    config = slots_service("caseload_first", 40)
    protected = apply_changes(config, {"job_plans.band6.clinical_time": {"min_new_share": 0.7}})
    seen = [
        pd.DataFrame.from_records(ServiceModel(c, 4, 0).run())["first_contacts"].sum()
        for c in (config, protected)
    ]
    template = pd.DataFrame.from_records(ServiceModel(slots_service("template", 40), 4, 0).run())
    assert seen[1] == template["first_contacts"].sum() > seen[0]  # 0.7 kept = the template's new time


@pytest.mark.parametrize(
    "message, changes",
    [
        ("apply under rule caseload_first", {"job_plans.band6.clinical_time": {"min_new_share": 0.1}}),
        (
            "is more than the role's new",
            {"job_plans.band6.clinical_time": {"rule": "caseload_first", "min_new_share": 0.9}},
        ),
        (
            "may not deliver new",
            {"job_plans.band4.clinical_time": {"rule": "caseload_first", "min_new_share": 0.1}},
        ),
    ],
)
def test_shares_that_cannot_work_are_refused(message, changes):
    with pytest.raises(ConfigError, match=message):
        service_config({k.split(".")[0]: {k.split(".")[1]: {k.split(".")[2]: v}} for k, v in changes.items()})


def mean_breaches(config, month: int, reps: int = 4) -> float:
    return float(np.mean([ServiceModel(config, 11, r).run()[month]["breaches"] for r in range(reps)]))


def example_for(months: int, min_new_share: float):
    """The example baseline over ``months``, its caseload_first roles keeping ``min_new_share``."""
    base = load_config(EXAMPLE / "baseline.yaml")
    base = base.model_copy(update={"service": base.service.model_copy(update={"horizon_months": months})})
    assert base.job_plans["band6"].clinical_time.rule == "caseload_first"
    floor = {"clinical_time": {"rule": "caseload_first", "min_new_share": min_new_share}}
    return apply_changes(base, {"job_plans.band6": floor, "job_plans.band7": floor})


@pytest.mark.slow
def test_followup_pressure_reaches_breaches_under_caseload_first():
    # With a low protected share the floor does not bind, so follow-up work comes out of
    # new-patient time (the example's own quarter is the next test).
    base = example_for(15, min_new_share=0.1)
    month = 14
    reference = mean_breaches(base, month)
    for changes in ({"pathways.specialist.followups.mean": 8}, {"pathways.specialist.interval_weeks": 3}):
        assert mean_breaches(apply_changes(base, changes), month) > reference + 20, changes
    fewer_reviews = apply_changes(base, {"pathways.specialist.followups.mean": 4})
    assert mean_breaches(fewer_reviews, month) < reference - 20
    # A missed follow-up wastes its slot and is rebooked. (Under the example's discharge after
    # two DNAs, more DNAs also end episodes early, which saves more time than they waste.)
    patient = apply_changes(base, {"access_policy.dna.discharge_after": 20})
    missed = apply_changes(patient, {"appointment_types.followup.dna_rate": 0.25})
    assert mean_breaches(missed, month) > mean_breaches(patient, month) + 20


# ----- the follow-up caseload from the trace ----------------------------------------------------
def rebuild_overdue(events: pd.DataFrame, config, month_ends: list[int]) -> list[dict]:
    """Overdue follow-ups at each month end from the event log alone: a patient's next
    follow-up is due one interval after their last attended contact; a DNA changes nothing."""
    interval = {name: p.interval_weeks * 7 for name, p in config.pathways.items()}
    late_after = config.access_policy.followup_overdue_weeks * 7
    rows = []
    for day in month_ends:
        seen = events[events["day"] <= day]
        attended = seen[seen["event"].isin(["attended_first", "attended_followup"])]
        last = attended.groupby("referral").agg(day=("day", "max"), pathway=("pathway", "last"))
        gone = set(seen.loc[seen["event"].isin(["discharged", "removed"]), "referral"])
        last = last[~last.index.isin(gone)]
        due = last["day"] + last["pathway"].map(interval)
        weeks = ((day - due[due < day - late_after]) / 7).to_numpy()
        rows.append(
            {
                "followup_overdue": len(weeks),
                "followup_overdue_p50_weeks": float(np.percentile(weeks, 50)) if len(weeks) else 0.0,
                "followup_overdue_p92_weeks": float(np.percentile(weeks, 92)) if len(weeks) else 0.0,
                "followup_overdue_max_weeks": float(weeks.max()) if len(weeks) else 0.0,
            }
        )
    return rows


def test_overdue_figures_match_a_rebuild_from_the_trace():
    # Follow-ups need more than their time (so some wait), and miss often (so DNAs must not
    # reset how long they are overdue); no snapshot caseload, so every due date is in the log.
    config = service_config(
        {
            "service": {"horizon_months": 8},
            "appointment_types": {"followup": {"dna_rate": 0.3}, "group_session": {"dna_rate": 0.2}},
            "access_policy": {"dna": {"discharge_after": 5}},
            "job_plans": {
                "band6": {
                    "activity_split": {"triage": 0.1, "new": 0.7, "followup": 0.1, "group": 0.1},
                    "flexible": False,
                },
                "band4": {"activity_split": {"followup": 0.2, "group": 0.8}, "flexible": False},
            },
            "initial_state": {"followup_caseload": 0},
        }
    )
    model = TracedModel(config, seed=9, replication=0)
    monthly = pd.DataFrame.from_records(model.run())
    rebuilt = pd.DataFrame(rebuild_overdue(model.frame(), config, model.calendar.month_ends))
    assert monthly["followup_overdue"].iloc[-1] > 20  # the comparison has something to compare
    assert (model.frame()["event"] == "dna_followup").sum() > 50
    pd.testing.assert_frame_equal(monthly[list(rebuilt.columns)], rebuilt, check_dtype=False)


def test_start_date_is_the_day_the_snapshot_waits_are_measured():
    # A snapshot child who has waited 0 days on start_date (2024-04-01) has waited 29 days at
    # the end of April, not 30: the snapshot is the list as it stands on start_date.
    config = service_config(
        {
            "demand": {"monthly_rate": 0.001},
            "workforce": [{"role": "band6", "wte": 0.0}],
            "initial_state": {
                "waiting_list": [{"from_weeks": 0, "to_weeks": 1 / 7, "count": 3}],
                "awaiting_triage": 0,
                "followup_caseload": 0,
            },
        }
    )
    first = ServiceModel(config, 1, 0).run()[0]
    assert first["month"] == "2024-04"
    assert math.isclose(first["max_wait_weeks"], 29 / 7)


def test_a_followup_goal_is_judged_like_any_other(tmp_path):
    from sim.api import run
    from sim.questions.goals import parse_goal

    config = service_config({"service": {"horizon_months": 3}})
    monthly = run(config, reps=2, seed=1, workers=1).monthly
    goal = parse_goal("followup_overdue<=50 by 2024-06")
    table = goal.probability(monthly.assign(scenario="test"))
    met = (monthly.loc[monthly["month"] == "2024-06", "followup_overdue"] <= 50).mean()
    assert table["probability"].iloc[0] == met


def overdue(config, month: int, reps: int = 4) -> float:
    return float(np.mean([ServiceModel(config, 11, r).run()[month]["followup_overdue"] for r in range(reps)]))


@pytest.mark.slow
def test_a_protected_share_sends_extra_follow_ups_to_the_overdue_list_not_to_breaches():
    # The example keeps a quarter of clinical time for new assessments. A third more
    # follow-ups per episode needs more than the rest of the pool, so new-patient time stays
    # at its floor and the extra reviews wait (overdue) instead of raising breaches much.
    base = example_for(15, min_new_share=0.25)
    more = apply_changes(base, {"pathways.specialist.followups.mean": 8})
    month = 14
    assert overdue(more, month) > overdue(base, month) + 50
    assert mean_breaches(more, month) < mean_breaches(base, month) + 20
