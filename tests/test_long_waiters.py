"""Capacity aimed at long waiters (``access_policy.long_waiters``), checked on a two-queue toy.

The toy has no arrivals, no DNAs, no removals and exactly ``SLOTS`` first-contact slots in its
one month (one post, 450 clinical minutes a clinic day, 90-minute assessments: 5 slots a day on
June 2024's 20 weekdays). Its booking weights give every slot to the short waiters (weight 0 at
16 weeks and over), so without the lever no long waiter is seen. The known answer, from slot
arithmetic alone: of ``SLOTS`` slots, ``share x SLOTS`` are reserved; each goes to a long waiter
while any is left and otherwise falls back to a short waiter; the rest go to short waiters.
"""

from __future__ import annotations

import copy

import pytest

from sim.engine.model import ServiceModel
from sim.engine.scenario import ConfigError, validate

SLOTS = 5 * 20  # 450 / 90 slots a clinic day x the weekdays of June 2024
OVER_WEEKS, TARGET_WEEKS = 18, 14

TOY = {
    "service": {
        "start_date": "2024-06-01",
        "horizon_months": 1,
        "rtt_target_weeks": TARGET_WEEKS,
        "bank_holidays": False,
    },
    "demand": {"monthly_rate": 1e-6},  # no referrals arrive (the rate must be above 0)
    "triage": {"outcomes": {"reject": 0.0, "signpost": 0.0, "assess": 1.0}},
    "pathways": {"assess": {"first_contact": "assessment"}},
    "appointment_types": {"assessment": {"activity": "new", "minutes": 90}},
    "access_policy": {
        "booking_order": "by_weeks_waited",
        "booking_weights": [{"from_weeks": 0, "weight": 1}, {"from_weeks": 16, "weight": 0}],
    },
    "job_plans": {
        "band6": {
            "hours_per_wte": 37.5,
            "non_clinical_share": 0.0,
            "activity_split": {"new": 1.0},
            "may_deliver": ["new"],
            "annual_leave_days": 0,
            "sickness_rate": 0.0,
        }
    },
    "workforce": [{"role": "band6", "wte": 1.0}],
}


def toy(short: int, long: int, lever: dict | None, order: str | None = None):
    """The toy with ``short`` patients waiting 0-8 weeks and ``long`` waiting 20-30 weeks."""
    document = copy.deepcopy(TOY)
    document["initial_state"] = {
        "waiting_list": [
            {"from_weeks": 0, "to_weeks": 8, "count": short},
            {"from_weeks": 20, "to_weeks": 30, "count": long},
        ]
    }
    if lever is not None:
        document["access_policy"]["long_waiters"] = lever
    if order is not None:
        document["access_policy"] = {"booking_order": order, "long_waiters": lever}
    return validate(document, "toy.yaml")


def expected(short: int, long: int, share: float) -> tuple[int, int]:
    """(long waiters seen, short waiters seen) in the month, by slot arithmetic."""
    reserved = round(share * SLOTS)
    long_seen = min(reserved, long)
    return long_seen, SLOTS - long_seen  # the toy has more short waiters than slots


@pytest.mark.parametrize(
    ("short", "long", "share"),
    [
        (300, 200, 0.3),  # enough of both: exactly the reserved share goes to long waiters
        (300, 10, 0.3),  # fewer long waiters than reserved slots: the rest fall back, none wasted
        (300, 200, 1.0),  # every slot reserved
        (300, 60, 0.5),  # half the slots
        (300, 35, 0.5),  # ... with fewer long waiters than that
    ],
)
def test_reserved_share_on_the_two_queue_toy(short: int, long: int, share: float) -> None:
    record = ServiceModel(toy(short, long, {"share": share, "over_weeks": OVER_WEEKS}), 3, 0).run()[0]
    long_seen, short_seen = expected(short, long, share)
    assert record["first_contacts"] == long_seen + short_seen
    # Every long waiter is over the 14-week target; no short waiter reaches it within the month.
    assert record["breaches"] == long - long_seen
    assert record["waiting"] - record["breaches"] == short - short_seen


def test_without_the_lever_no_long_waiter_is_seen() -> None:
    record = ServiceModel(toy(300, 200, None), 3, 0).run()[0]
    assert record["first_contacts"] == SLOTS
    assert record["breaches"] == 200


def test_lever_values_that_cannot_take_effect_are_refused() -> None:
    for lever, message in [
        ({"share": 1.5, "over_weeks": 18}, "toy.yaml: access_policy.long_waiters.share: Input should be"),
        ({"share": 0, "over_weeks": 18}, "greater than 0"),
        ({"share": 0.3, "over_weeks": -1}, "greater than or equal to 0"),
        ({"share": 0.3}, "long_waiters.over_weeks: Field required"),
        ({"share": 0.3, "over_weeks": 18, "weeks": 3}, "long_waiters.weeks: unknown key"),
    ]:
        with pytest.raises(ConfigError, match=message):
            toy(10, 10, lever)
    with pytest.raises(ConfigError, match="no effect under booking_order longest_wait"):
        toy(10, 10, {"share": 0.3, "over_weeks": 18}, order="longest_wait")
    no_new_time = copy.deepcopy(TOY)
    no_new_time["appointment_types"]["assessment"]["activity"] = "group"
    no_new_time["access_policy"]["long_waiters"] = {"share": 0.3, "over_weeks": 18}
    with pytest.raises(ConfigError, match="no slots to reserve"):
        validate(no_new_time, "toy.yaml")
