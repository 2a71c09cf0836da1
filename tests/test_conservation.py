"""Every referral is accounted for at every month end, whatever the service looks like."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from services import service_config

from sim.engine.model import ServiceModel

FINAL_STATES = ["discharged", "removed", "rejected", "signposted"]
OPEN_STATES = ["awaiting_triage", "waiting_first_contact", "in_followup"]


def initial_stock(config) -> int:
    state = config.initial_state
    return sum(b.count for b in state.waiting_list) + state.awaiting_triage + state.followup_caseload


def check_conservation(config, seed: int) -> pd.DataFrame:
    monthly = pd.DataFrame(ServiceModel(config, seed, 0).run())
    received = initial_stock(config) + monthly["referrals"].cumsum()
    accounted = monthly[OPEN_STATES].sum(axis=1) + monthly[FINAL_STATES].cumsum().sum(axis=1)
    np.testing.assert_array_equal(received.to_numpy(), accounted.to_numpy())
    assert (monthly[OPEN_STATES + FINAL_STATES] >= 0).all().all()
    assert (monthly["breaches"] <= monthly["waiting"]).all()
    assert (monthly["triaged"] == monthly[["accepted", "signposted", "rejected"]].sum(axis=1)).all()
    return monthly


shares = st.floats(0.0, 1.0)


@st.composite
def random_service(draw):
    reject, signpost, group = draw(shares) * 0.3, draw(shares) * 0.3, draw(shares) * 0.3
    changes = {
        "service": {"horizon_months": draw(st.integers(2, 10))},
        "demand": {"monthly_rate": draw(st.floats(5, 150)), "annual_trend": draw(st.floats(-0.3, 0.5))},
        "triage": {
            "minutes_per_referral": draw(st.floats(5, 60)),
            "outcomes": {
                "reject": reject,
                "signpost": signpost,
                "group": group,
                "specialist": 1 - reject - signpost - group,
            },
        },
        "pathways": {
            "specialist": {
                "followups": {
                    "distribution": draw(st.sampled_from(["fixed", "poisson", "negbin", "geometric"])),
                    "mean": draw(st.floats(0, 8)),
                }
            }
        },
        "appointment_types": {
            "assessment": {"dna_rate": draw(st.floats(0, 0.5))},
            "followup": {"dna_rate": draw(st.floats(0, 0.5))},
        },
        "access_policy": {
            "booking_order": draw(st.sampled_from(["priority_then_longest_wait", "longest_wait"])),
            "clock_stops_at_contact": draw(st.integers(1, 3)),
            "dna": {
                "action": draw(st.sampled_from(["rebook", "reset_clock"])),
                "discharge_after": draw(st.integers(1, 4)),
            },
            "validation_removal_rate": draw(st.floats(0, 0.2)),
            "followups_first": draw(st.booleans()),
        },
        "job_plans": {"band6": {"turnover_rate": draw(st.floats(0, 0.5)), "flexible": draw(st.booleans())}},
        "workforce": [{"role": "band6", "wte": draw(st.floats(0, 6))}, {"role": "band4", "wte": 1.0}],
        "events": draw(
            st.lists(
                st.sampled_from(
                    [
                        {"date": "2024-06-03", "validate_list": {"share": 0.2}},
                        {
                            "date": "2024-04-15",
                            "validation_sweep": {
                                "stale_share": 0.3,
                                "find_share": 0.5,
                                "rounds": 2,
                                "every_weeks": 2,
                            },
                        },
                        {
                            "date": "2024-05-01",
                            "add_staff": {"role": "band6", "wte": 1.5, "recruitment_lag_weeks": 4},
                        },
                        {
                            "date": "2024-07-01",
                            "until": "2024-09-30",
                            "extra_sessions": {"activity": "new", "hours_per_week": 30},
                        },
                        {
                            "date": "2024-06-01",
                            "set": {"demand.multiplier": 1.5, "triage.minutes_per_referral": 40},
                        },
                    ]
                ),
                max_size=3,
            )
        ),
    }
    # Events past the horizon are refused as input errors; keep those the service will see
    # (the services start in April 2024).
    months = changes["service"]["horizon_months"]
    changes["events"] = [e for e in changes["events"] if int(e["date"][5:7]) - 4 < months]
    return service_config(changes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=random_service(), seed=st.integers(0, 2**32 - 1))
def test_every_referral_is_accounted_for_at_every_month_end(config, seed):
    check_conservation(config, seed)


def test_waiting_list_is_open_clocks_when_first_contact_stops_the_clock(small_config):
    monthly = check_conservation(small_config, 7)
    assert (monthly["waiting"] == monthly["awaiting_triage"] + monthly["waiting_first_contact"]).all()
