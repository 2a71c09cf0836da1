"""The snapshot's follow-up caseload is seeded as a settled caseload is, by renewal theory.

A caseload counted on one day holds each pathway in proportion to referrals x episode length
(Little's law) and an episode's follow-ups left r with P(r) proportional to P(N >= r) (the
equilibrium excess of a renewal process). So a run that starts from it does not first work
through a wave of episodes that all began on the snapshot day.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from services import service_config

from sim.engine.model import ServiceModel
from sim.engine.patients import State

FIXED, WEEKLY = 6, 7  # a fixed six follow-ups a week apart: an episode lasts six weeks


def caseload_service(caseload: int):
    """Referrals all accepted, ample clinical time, no DNAs: every follow-up is seen when due."""
    return service_config(
        {
            "service": {"horizon_months": 2, "bank_holidays": False},
            "demand": {"monthly_rate": 60, "priorities": {"urgent": 0.0, "routine": 1.0}},
            "triage": {"outcomes": {"reject": 0.0, "signpost": 0.0, "specialist": 1.0, "group": 0.0}},
            "pathways": {
                "specialist": {"followups": {"distribution": "fixed", "mean": FIXED}, "interval_weeks": 1}
            },
            "appointment_types": {"assessment": {"dna_rate": 0.0}, "followup": {"dna_rate": 0.0}},
            "job_plans": {"band6": {"annual_leave_days": 0, "sickness_rate": 0.0}},
            "workforce": [{"role": "band6", "wte": 10.0}],
            "initial_state": {"waiting_list": [], "awaiting_triage": 0, "followup_caseload": caseload},
        }
    )


def test_a_settled_caseload_finishes_evenly_not_in_one_wave():
    # New episodes cannot finish inside the first six weeks, so April's discharges are the seeded
    # caseload's: each has 1-6 weekly follow-ups left with equal chance and its next one due
    # within a week, so its finishing day is uniform over the six weeks and 30 of 42 days of
    # them fall in April. (Seeded as if every episode had just begun, none would finish in April
    # and all would finish in the same week of May.)
    caseload, replications = 84, 12
    april = []
    for replication in range(replications):
        model = ServiceModel(caseload_service(caseload), seed=7, replication=replication)
        april.append(model.run()[0]["discharged"])
    expected = caseload * 30 / (FIXED * WEEKLY)
    standard_error = np.sqrt(caseload * (30 / 42) * (12 / 42) / replications)
    assert np.mean(april) == pytest.approx(expected, abs=4 * standard_error + 1)  # +1: weekend shifts


def test_pathways_and_follow_ups_left_follow_the_renewal_weights():
    config = service_config(
        {
            "triage": {"outcomes": {"reject": 0.1, "signpost": 0.1, "specialist": 0.5, "group": 0.3}},
            "initial_state": {"waiting_list": [], "awaiting_triage": 0, "followup_caseload": 20_000},
        }
    )
    model = ServiceModel(config, seed=3, replication=0)
    seeded = [p for p in model.patients if p.state == State.IN_FOLLOWUP]
    names = model.rules.pathway_names
    specialist, group = names.index("specialist"), names.index("group")
    # The synthetic service: specialist Poisson(3) follow-ups 3 weeks apart, group a fixed 3 weekly.
    weight = {specialist: 0.5 * 3 * 21, group: 0.3 * 3 * 7}
    share_group = sum(p.pathway == group for p in seeded) / len(seeded)
    expected_group = weight[group] / (weight[group] + weight[specialist])
    assert share_group == pytest.approx(expected_group, abs=4 * np.sqrt(expected_group / len(seeded)))

    left_group = np.bincount([p.followups_left for p in seeded if p.pathway == group], minlength=4)[1:]
    assert stats.chisquare(left_group).pvalue > 1e-3  # 1, 2 or 3 left, equally likely

    left = np.array([p.followups_left for p in seeded if p.pathway == specialist])
    r = np.arange(1, 16)
    expected = stats.poisson.sf(r - 1, 3)  # P(N >= r)
    expected = expected / expected.sum() * left.size
    observed = np.array([(left == k).sum() for k in r])
    keep = expected > 5
    observed, expected = observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert left.mean() == pytest.approx((3 + 9 + 3) / (2 * 3), abs=0.05)  # E[N(N+1)] / 2E[N]
