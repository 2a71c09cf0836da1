"""Workforce dynamics that scenarios change: dated sets, recruitment freezes, removals beyond
the staff in post, extra sessions on bank holidays, and referral sources' own mixes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from services import service_config

from sim.engine.calendar import calendar_for
from sim.engine.capacity import clinical_minutes
from sim.engine.job_plans import JobPlan
from sim.engine.model import ServiceModel
from sim.engine.scenario import ConfigError
from sim.engine.streams import stream
from sim.engine.timeline import build_phases, phase_of_day
from sim.engine.workforce import RolePlans, productivity, role_plans

RATE, WINDOW, LAG = 0.5, 180, 200  # leavers per WTE-year, freeze days, recruitment lag days


def freeze_service(freeze: bool):
    """Turnover only inside the first WINDOW days (a dated set ends it), lag longer than the window."""
    events = [{"date": "2024-09-28", "set": {"job_plans.band6.turnover_rate": 0.0}}]  # day 180
    if freeze:
        events.append(
            {"date": "2024-04-01", "until": "2024-09-27", "label": "freeze", "recruitment_freeze": {}}
        )
    return service_config(
        {
            "service": {"horizon_months": 14},
            "job_plans": {
                "band6": {"turnover_rate": RATE, "recruitment_lag_weeks": LAG / 7, "ramp_up_weeks": 0},
            },
            "events": events,
        }
    )


def lost_wte_days(config, posts: int = 4000) -> float:
    """Mean days a post held at day 0 stands empty over the horizon."""
    calendar = calendar_for(config.service)
    phases = build_phases(config, calendar)
    plans = role_plans(config, phases, calendar, "band6")
    lost = [
        np.sum(1 - productivity(0, calendar.n_days, False, plans, calendar.n_days, stream(1, k, "turnover")))
        for k in range(posts)
    ]
    return float(np.mean(lost)), float(np.std(lost) / math.sqrt(posts))


def test_freeze_costs_what_the_hazard_says():
    # A post leaves at rate r per day inside the window [0, T) and not after; a leaver at t is
    # replaced at t + L (L > T, so a replacement never leaves inside the window). Expected empty
    # days per post: without a freeze L * P(leave in window) = L (1 - exp(-rT)) (~ turnover x
    # window x lag for small rT); with a freeze the leaver waits for the window's end,
    # T - t + L, adding E[(T - t); t < T] = T - (1 - exp(-rT)) / r.
    r = RATE / 365.25
    leave = 1 - math.exp(-r * WINDOW)
    plain, plain_se = lost_wte_days(freeze_service(False))
    frozen, frozen_se = lost_wte_days(freeze_service(True))
    assert plain == pytest.approx(LAG * leave, abs=4 * plain_se + 1)  # +1: leaving on whole days
    assert frozen == pytest.approx(LAG * leave + WINDOW - leave / r, abs=4 * frozen_se + 1)
    assert plain == pytest.approx(RATE * WINDOW / 365.25 * LAG, rel=0.15)  # the first-order rule


def capacity(config, replication: int) -> np.ndarray:
    calendar = calendar_for(config.service)
    phases = build_phases(config, calendar)
    return clinical_minutes(phases, phase_of_day(phases, calendar.n_days), calendar, 3, replication).sum(
        axis=(1, 2)
    )


def test_a_dated_turnover_change_moves_capacity_after_its_date_not_before():
    base = {"service": {"horizon_months": 12}, "job_plans": {"band6": {"turnover_rate": 0.0}}}
    later = {**base, "events": [{"date": "2024-10-01", "set": {"job_plans.band6.turnover_rate": 1.5}}]}
    day = (np.datetime64("2024-10-01") - np.datetime64("2024-04-01")).astype(int)
    before, after = [], []
    for replication in range(20):
        steady, changed = (
            capacity(service_config(base), replication),
            capacity(service_config(later), replication),
        )
        assert np.array_equal(steady[:day], changed[:day])
        before.append(steady[day:].sum())
        after.append(changed[day:].sum())
    assert np.mean(after) < 0.9 * np.mean(before)


def test_a_dated_lag_and_ramp_apply_to_posts_vacated_or_filled_after_the_date():
    plan = JobPlan(activity_split={"new": 1.0}, turnover_rate=0.0, recruitment_lag_weeks=4, ramp_up_weeks=0)
    slow = plan.model_copy(update={"recruitment_lag_weeks": 20, "ramp_up_weeks": 10, "ramp_up_start": 0.2})
    plans = RolePlans([0, 100], [plan, slow], [])
    assert plans.refill_day(50) == 50 + 28 and plans.refill_day(150) == 150 + 140
    assert plans.at(99) is plan and plans.at(100) is slow
    level = productivity(120, 400, True, plans, 400, np.random.default_rng(0))
    assert level[119] == 0 and level[120] == pytest.approx(0.2) and level[120 + 70] == 1.0


def test_removing_more_staff_than_in_post_is_refused_with_the_numbers():
    with pytest.raises(
        ConfigError, match=r"events\.0\.remove_staff: removes 4 WTE of band6 on 2024-07-01 but only 3 WTE"
    ):
        service_config({"events": [{"date": "2024-07-01", "remove_staff": {"role": "band6", "wte": 4}}]})
    service_config({"events": [{"date": "2024-07-01", "remove_staff": {"role": "band6", "wte": 3}}]})
    # A removal after the horizon is refused as an input error, before any staffing check.
    short = {"service": {"horizon_months": 1}}
    with pytest.raises(ConfigError, match="after the horizon"):
        removal = {"date": "2024-07-01", "remove_staff": {"role": "band6", "wte": 9}}
        service_config({**short, "events": [removal]})


def test_until_only_where_it_means_something():
    with pytest.raises(ConfigError, match="until applies to extra_sessions and recruitment_freeze only"):
        service_config(
            {"events": [{"date": "2024-07-01", "until": "2024-08-01", "validate_list": {"share": 0.1}}]}
        )
    with pytest.raises(ConfigError, match="recruitment_freeze needs an `until` date"):
        service_config({"events": [{"date": "2024-07-01", "recruitment_freeze": {"roles": ["band6"]}}]})
    with pytest.raises(ConfigError, match="role 'band9' has no job plan"):
        service_config(
            {
                "events": [
                    {"date": "2024-07-01", "until": "2024-08-01", "recruitment_freeze": {"roles": ["band9"]}}
                ]
            }
        )


@pytest.mark.parametrize("choice, expected_hours", [("skip", 40.0), ("move_to_next_working_day", 50.0)])
def test_extra_sessions_on_a_bank_holiday(choice, expected_hours):
    # Week of Monday 6 May 2024, the early May bank holiday in Wales: 50 hours bought.
    event = {
        "date": "2024-05-06",
        "until": "2024-05-10",
        "extra_sessions": {"activity": "new", "hours_per_week": 50, "on_bank_holiday": choice},
    }
    config = service_config({"workforce": [{"role": "band6", "wte": 0.0}], "events": [event]})
    minutes = capacity(config, 0)
    assert minutes.sum() / 60 == pytest.approx(expected_hours)
    tuesday = (np.datetime64("2024-05-07") - np.datetime64("2024-04-01")).astype(int)
    assert minutes[tuesday] / 60 == pytest.approx(20.0 if choice != "skip" else 10.0)


def test_each_source_is_triaged_and_prioritised_by_its_own_mix():
    config = service_config(
        {
            "service": {"horizon_months": 6},
            "demand": {
                "sources": {"gp": 0.7, "parent": 0.3},
                "source_priorities": {"parent": {"urgent": 0.0, "routine": 1.0}},
            },
            "triage": {
                "source_outcomes": {
                    "parent": {"reject": 0.0, "signpost": 1.0, "specialist": 0.0, "group": 0.0}
                },
            },
        }
    )
    model = ServiceModel(config, 2, 0)
    records = model.run()
    parent = np.asarray(model.arrival_sources) == model.source_names.index("parent")
    assert not np.any(model.arrivals.priority[parent] == 0)  # no urgent parent referral
    signposted = sum(r["signposted"] for r in records)
    triaged = sum(r["triaged"] for r in records)
    # gp referrals signposted at 10%, parents always: 0.7 x 0.1 + 0.3 = 37%
    assert signposted / triaged == pytest.approx(0.37, abs=0.04)


def test_a_source_mix_must_name_a_known_source_and_all_outcomes():
    with pytest.raises(ConfigError, match="no source 'school'"):
        service_config({"demand": {"source_priorities": {"school": {"urgent": 0.5, "routine": 0.5}}}})
    with pytest.raises(ConfigError, match="source_outcomes.professional: needs the outcomes"):
        service_config({"triage": {"source_outcomes": {"professional": {"reject": 1.0}}}})


def test_fully_covered_sickness_is_no_sickness_and_half_covered_loses_half():
    plans = {"annual_leave_days": 0, "turnover_rate": 0.0, "sickness_rate": 0.2}
    base = {"service": {"horizon_months": 12}, "job_plans": {"band6": plans, "band4": plans}}

    def with_cover(rate: float, cover: float) -> np.ndarray:
        changes = {"sickness_rate": rate, "sickness_cover_share": cover}
        document = {**base, "job_plans": {role: {**plans, **changes} for role in ("band6", "band4")}}
        return np.concatenate([capacity(service_config(document), k) for k in range(8)])

    well = with_cover(0.0, 0.0)
    assert np.array_equal(with_cover(0.2, 1.0), well)
    lost_bare = 1 - with_cover(0.2, 0.0).sum() / well.sum()
    lost_half = 1 - with_cover(0.2, 0.5).sum() / well.sum()
    assert lost_bare == pytest.approx(0.2, abs=0.01)  # sickness_rate of days, whatever the post
    assert lost_half == pytest.approx(lost_bare / 2, rel=1e-9)  # the same sick days, half worked


def test_fully_covered_vacancies_cost_nothing_and_half_covered_cost_half():
    # With no ramp-up, a vacancy worked in full by bank staff is as if nobody left; with half
    # covered, the same leavers (same turnover stream) lose half their empty days.
    def with_cover(cover: float, turnover: float = 1.5) -> np.ndarray:
        plan = {"turnover_rate": turnover, "recruitment_lag_weeks": 10, "ramp_up_weeks": 0,
                "vacancy_cover_share": cover}  # fmt: skip
        document = {"service": {"horizon_months": 12}, "job_plans": {"band6": plan, "band4": plan}}
        return np.concatenate([capacity(service_config(document), k) for k in range(8)])

    steady = with_cover(0.0, turnover=0.0)
    assert np.array_equal(with_cover(1.0), steady)
    lost_bare, lost_half = (steady - with_cover(0.0)).sum(), (steady - with_cover(0.5)).sum()
    assert lost_bare > 0.1 * steady.sum()
    assert lost_half == pytest.approx(lost_bare / 2, rel=1e-9)
