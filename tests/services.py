"""Small service documents built in code for tests, independent of the example files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from calibration.coverage_study import SERVICE as SYNTHETIC_SERVICE
from sim.engine.scenario import deep_merge, validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"

# The calibration study's synthetic service, smaller: same pathways, job plans and staff.
SMALL_SERVICE: dict[str, Any] = deep_merge(
    copy.deepcopy(SYNTHETIC_SERVICE),
    {
        "service": {"name": "test"},
        "demand": {"monthly_rate": 60},
        "initial_state": {
            "waiting_list": [
                {"from_weeks": 0, "to_weeks": 10, "count": 60},
                {"from_weeks": 10, "to_weeks": 30, "count": 80},
            ]
        },
    },
)


def service_document(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the small test service with ``changes`` deep-merged in."""
    return deep_merge(copy.deepcopy(SMALL_SERVICE), changes or {})


def service_config(changes: dict[str, Any] | None = None):
    return validate(service_document(changes), "test.yaml")
