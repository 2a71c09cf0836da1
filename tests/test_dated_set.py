"""No silent no-ops in dated `set` events: every settable field either changes something the
run reports from its date on (and nothing before it), or is refused at validation with why."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import BaseModel
from services import service_config

from sim.engine.config import ServiceConfig
from sim.engine.model import ServiceModel
from sim.engine.scenario import ConfigError
from sim.engine.timeline import FROZEN_SECTIONS

DATE, FIRST_MONTH = "2024-07-01", "2024-07"
SEED, REPS = 5, 3

# A service where every mechanism is in play: turnover with short lags (so posts empty and
# fill after the date), negbin follow-ups, urgent referrals, two sources, follow-ups behind.
BASE = {
    "service": {"horizon_months": 10},
    "demand": {"sources": {"gp": 0.6, "school": 0.4}},
    "triage": {
        "source_outcomes": {"school": {"reject": 0.1, "signpost": 0.5, "specialist": 0.3, "group": 0.1}}
    },
    "pathways": {"specialist": {"followups": {"distribution": "negbin", "mean": 3, "dispersion": 1.0}}},
    "access_policy": {"validation_removal_rate": 0.01, "reneging_rate": 0.01},
    "job_plans": {
        "band6": {
            "turnover_rate": 1.5,
            "recruitment_lag_weeks": 3,
            "vacancy_cover_share": 0.2,
            "sickness_cover_share": 0.3,
        },
        "band4": {
            "turnover_rate": 1.5,
            "recruitment_lag_weeks": 3,
            "activity_split": {"followup": 0.3, "group": 0.7},
        },
    },
}

# New values, by path with <role>/<pathway>/<type> standing for any key of that map.
VALUES = {
    "demand.monthly_rate": 90,
    "demand.seasonality": [1.3] * 12,
    "demand.annual_trend": 2.0,
    "demand.multiplier": 1.5,
    "demand.sources": {"gp": 0.1, "school": 0.9},
    "demand.priorities": {"urgent": 0.5, "routine": 0.5},
    "demand.source_priorities": {"school": {"urgent": 0.9, "routine": 0.1}},
    "triage.delay_days": {"urgent": 10, "routine": 30},
    "triage.minutes_per_referral": 200,
    "triage.outcomes": {"reject": 0.5, "signpost": 0.1, "specialist": 0.3, "group": 0.1},
    "triage.source_outcomes": {"school": {"reject": 0.9, "signpost": 0.1, "specialist": 0.0, "group": 0.0}},
    "pathways.specialist.first_contact": "followup",
    "pathways.specialist.followup": "assessment",
    "pathways.specialist.followups.distribution": "poisson",
    "pathways.specialist.followups.mean": 8,
    "pathways.specialist.followups.dispersion": 0.2,
    "pathways.specialist.interval_weeks": 1,
    "pathways.group.first_contact": "assessment",
    "pathways.group.followup": "followup",
    "pathways.group.followups.distribution": "poisson",
    "pathways.group.followups.mean": 10,
    "pathways.group.followups.dispersion": ("moves-or-same", 0.5),  # a fixed count has no spread
    "pathways.group.interval_weeks": 4,
    "appointment_types.<type>.minutes": 240,
    "appointment_types.<type>.dna_rate": 0.6,
    "appointment_types.group_session.group_size": 1,
    "appointment_types.assessment.group_size": 3,
    "appointment_types.followup.group_size": 3,
    "appointment_types.assessment.activity": "followup",
    "appointment_types.followup.activity": "new",
    "appointment_types.group_session.activity": "followup",
    "access_policy.booking_order": "longest_wait",
    "access_policy.clock_stops_at_contact": 2,
    "access_policy.dna.action": "reset_clock",
    "access_policy.dna.discharge_after": 1,
    "access_policy.validation_removal_rate": 0.2,
    "access_policy.reneging_rate": 0.2,
    "access_policy.followups_first": False,
    "access_policy.followup_overdue_weeks": 0,
    "access_policy.booking_weights": (
        "refused", [{"from_weeks": 0, "weight": 1}], "only when booking_order is by_weeks_waited"
    ),
    "access_policy.removal_by_wait": [{"from_weeks": 0, "monthly_rate": 0.3}],
    "access_policy.long_waiters": {"share": 1.0, "over_weeks": 0},  # urgent referrals no longer first
    "job_plans.<role>.hours_per_wte": 15,
    "job_plans.<role>.non_clinical_share": 0.8,
    "job_plans.band6.activity_split": {"triage": 0.05, "new": 0.15, "followup": 0.7, "group": 0.1},
    "job_plans.band4.activity_split": {"followup": 0.9, "group": 0.1},
    "job_plans.band6.may_deliver": ("refused", ["new", "followup"], "activity_split gives time to"),
    "job_plans.band4.may_deliver": ["followup", "group", "new", "triage"],
    "job_plans.<role>.flexible": False,
    "job_plans.<role>.annual_leave_days": 60,
    "job_plans.<role>.leave_pattern": "random_weeks",
    "job_plans.<role>.sickness_rate": 0.5,
    "job_plans.<role>.ramp_up_weeks": 60,
    "job_plans.<role>.ramp_up_start": 0.0,
    "job_plans.<role>.turnover_rate": 0.0,
    "job_plans.<role>.recruitment_lag_weeks": 40,
    "job_plans.<role>.vacancy_cover_share": 1.0,
    "job_plans.<role>.sickness_cover_share": 1.0,
    "job_plans.band6.clinical_time.rule": "caseload_first",
    "job_plans.band6.clinical_time.max_followup_share": ("refused", 0.5, "apply under rule caseload_first"),
    "job_plans.band6.clinical_time.min_new_share": ("refused", 0.5, "apply under rule caseload_first"),
    "job_plans.band4.clinical_time.rule": ("moves-or-same", "caseload_first"),  # band4 has no new time
    "job_plans.band4.clinical_time.max_followup_share": ("refused", 0.5, "apply under rule caseload_first"),
    "job_plans.band4.clinical_time.min_new_share": ("refused", 0.5, "apply under rule caseload_first"),
}
# With the rule switched on first, the caps are live too.
COMBINED = {
    "job_plans.band6.clinical_time.max_followup_share": {
        "job_plans.band6.clinical_time": {"rule": "caseload_first", "max_followup_share": 0.1}
    },
    "job_plans.band6.clinical_time.min_new_share": {
        "job_plans.band6.clinical_time": {"rule": "caseload_first", "min_new_share": 0.75}
    },
}


def leaf_paths(model: BaseModel, prefix: str = "") -> list[str]:
    """Every settable leaf: fields of sections, with maps of sections entered key by key."""
    paths = []
    for name in type(model).model_fields:
        path = f"{prefix}{name}"
        if not prefix and name in FROZEN_SECTIONS:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            paths += leaf_paths(value, f"{path}.")
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for key, section in value.items():
                paths += leaf_paths(section, f"{path}.{key}.")
        else:
            paths.append(path)
    return paths


def value_for(path: str):
    for pattern, value in VALUES.items():
        parts, wanted = path.split("."), pattern.split(".")
        if len(parts) == len(wanted) and all(
            w.startswith("<") or w == p for w, p in zip(wanted, parts, strict=True)
        ):
            return value
    raise KeyError(path)


def monthly(changes: dict | None) -> pd.DataFrame:
    events = [{"date": DATE, "label": "change", "set": changes}] if changes else []
    config = service_config({**BASE, "events": events})
    frames = [pd.DataFrame.from_records(ServiceModel(config, SEED, r).run()).assign(r=r) for r in range(REPS)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    return monthly(None)


def test_the_table_covers_every_settable_field():
    config = service_config(BASE)
    assert isinstance(config, ServiceConfig)
    for path in leaf_paths(config):
        value_for(path)  # raises KeyError for a field nobody thought about


@pytest.mark.slow
@pytest.mark.parametrize("path", leaf_paths(service_config(BASE)))
def test_every_settable_field_moves_something_from_its_date_or_is_refused(path, baseline):
    value = value_for(path)
    kind = value[0] if isinstance(value, tuple) else "moves"
    changes = COMBINED.get(path, {path: value[1] if isinstance(value, tuple) else value})
    if kind == "refused" and path not in COMBINED:
        with pytest.raises(ConfigError, match=value[2]):
            monthly(changes)
        return
    changed = monthly(changes)
    before = baseline["month"] < FIRST_MONTH
    numbers = baseline.select_dtypes("number").columns
    pd.testing.assert_frame_equal(changed.loc[before, numbers], baseline.loc[before, numbers])
    after = ~before
    moved = not changed.loc[after, numbers].equals(baseline.loc[after, numbers])
    if kind == "moves-or-same":
        return  # a rule with nothing to share (no new-patient time) may leave the run unchanged
    assert moved, f"{path}: set to {changes[path] if path in changes else changes} changed nothing"


def test_keys_that_index_the_run_cannot_change_mid_run():
    with pytest.raises(ConfigError, match=r"job_plans.band5: a dated `set` cannot add"):
        service_config(
            {"events": [{"date": DATE, "set": {"job_plans.band5": {"activity_split": {"new": 1.0}}}}]}
        )
    with pytest.raises(
        ConfigError, match=r"service.horizon_months: cannot be changed by a dated `set`: the calendar"
    ):
        service_config({"events": [{"date": DATE, "set": {"service.horizon_months": 3}}]})
