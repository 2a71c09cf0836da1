"""First contacts a service offers, against job-plan arithmetic done here by hand.

The figure ``questions.capacity_offered`` computes from the file (posts, job plans, calendar)
is what the queueing-theory section calls capacity. These tests rebuild it independently:
hours a week x WTE x clinical share x new-assessment share / minutes per slot, less leave,
sickness, turnover vacancies and bank holidays, times attendance.
"""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from services import EXAMPLE
from test_queueing import SLOTS_PER_DAY, single_queue_config

from sim.api import compare
from sim.engine.scenario import load_config
from sim.questions.capacity_offered import offered_capacity, weekly_offered

LAST_12 = [f"2026-{m:02d}" for m in range(4, 13)] + ["2027-01", "2027-02", "2027-03"]


def weekday_share_open(first: dt.date, last: dt.date) -> float:
    """Share of weekdays between two dates that are not Welsh bank holidays."""
    closed = holidays.country_holidays("GB", subdiv="WLS", years=range(first.year, last.year + 1))
    days = [first + dt.timedelta(d) for d in range((last - first).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    return sum(d not in closed for d in weekdays) / len(weekdays)


def three_posts_by_hand(share: float = 0.27, minutes_a_place: float = 120, starts: float = 1.0,
                        attend: float = 1 - 0.08) -> float:
    """First contacts a week that 3 WTE Band 6 add once ramped up (the example's numbers).

    Defaults: new assessments (27% of clinical time, 120-minute assessment, 8% DNA).
    """
    hours, clinical = 37.5, 1 - 0.30  # job_plans.band6
    places = hours * 60 * clinical * share / minutes_a_place * starts * 3  # a week, every weekday open
    leave = 1 - 29 / 253  # 29 days of 253 working days
    sickness = 1 - 0.055
    cycle = 0.12 * 16 / 52.18  # turnover 12% a year, 16 weeks to refill
    vacancy = 1 - cycle / (1 + cycle) * (1 - 0.5)  # half of a vacancy covered
    open_days = weekday_share_open(dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    return places * leave * sickness * vacancy * open_days * attend


def test_single_queue_offers_its_slots_exactly():
    config = single_queue_config(4.0, 12)
    offered = offered_capacity(config)
    assert weekly_offered(offered, list(offered["month"])) == pytest.approx(SLOTS_PER_DAY * 7)


def test_three_posts_add_what_their_job_plans_add():
    base = offered_capacity(load_config(EXAMPLE / "baseline.yaml"))
    posts = offered_capacity(load_config(EXAMPLE / "three_band6_posts.yaml"))
    gain = weekly_offered(posts, LAST_12) - weekly_offered(base, LAST_12)
    # Their group time (7%) starts group programmes too: 8 places a 180-minute session, and a
    # programme's first session is one of its six, so one place in six is a new patient.
    group = three_posts_by_hand(0.07, 180 / 8, 1 / 6, 1 - 0.12)
    assert gain == pytest.approx(three_posts_by_hand() + group, rel=0.05)


def test_theory_table_uses_the_offered_capacity_not_the_clock_stops():
    files = [EXAMPLE / "baseline.yaml", EXAMPLE / "three_band6_posts.yaml"]
    result = compare(files, reps=2, seed=1, workers=1)
    theory = result.theory.set_index("scenario")
    gain = theory.loc["three_band6_posts", "new_assessment_capacity_per_week"] - theory.loc[
        "baseline", "new_assessment_capacity_per_week"
    ]
    assert gain == pytest.approx(three_posts_by_hand(), rel=0.05)
    # The simulation sees fewer than three posts offer once the list is short: not the same figure.
    assert theory.loc["three_band6_posts", "capacity_per_week"] > theory.loc[
        "three_band6_posts", "simulated_first_contacts_per_week"
    ] * 1.2
