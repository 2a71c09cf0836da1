"""Small service documents built in code for tests, independent of the example files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sim.engine.scenario import deep_merge, validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"

SMALL_SERVICE: dict[str, Any] = {
    "service": {"name": "test", "start_date": "2024-04-01", "horizon_months": 12, "rtt_target_weeks": 14},
    "demand": {"monthly_rate": 60, "priorities": {"urgent": 0.1, "routine": 0.9}},
    "triage": {
        "delay_days": {"urgent": 0, "routine": 3},
        "minutes_per_referral": 15,
        "outcomes": {"reject": 0.1, "signpost": 0.1, "specialist": 0.7, "group": 0.1},
    },
    "pathways": {
        "specialist": {
            "first_contact": "assessment",
            "followup": "followup",
            "followups": {"distribution": "poisson", "mean": 3},
            "interval_weeks": 3,
        },
        "group": {
            "first_contact": "group_session",
            "followup": "group_session",
            "followups": {"distribution": "fixed", "mean": 3},
            "interval_weeks": 1,
        },
    },
    "appointment_types": {
        "assessment": {"activity": "new", "minutes": 90, "dna_rate": 0.1},
        "followup": {"activity": "followup", "minutes": 60, "dna_rate": 0.1},
        "group_session": {"activity": "group", "minutes": 120, "dna_rate": 0.1, "group_size": 6},
    },
    "job_plans": {
        "band6": {"activity_split": {"triage": 0.1, "new": 0.35, "followup": 0.45, "group": 0.1}},
        "band4": {"activity_split": {"followup": 0.5, "group": 0.5}, "may_deliver": ["followup", "group"]},
    },
    "workforce": [{"role": "band6", "wte": 3.0}, {"role": "band4", "wte": 1.0}],
    "initial_state": {
        "waiting_list": [
            {"from_weeks": 0, "to_weeks": 10, "count": 60},
            {"from_weeks": 10, "to_weeks": 30, "count": 80},
        ],
        "awaiting_triage": 5,
        "followup_caseload": 40,
    },
}


def service_document(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the small test service with ``changes`` deep-merged in."""
    return deep_merge(copy.deepcopy(SMALL_SERVICE), changes or {})


def service_config(changes: dict[str, Any] | None = None):
    return validate(service_document(changes), "test.yaml")
