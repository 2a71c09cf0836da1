"""What the goal takes, against figures worked out here by hand for a small service.

The service is test_queueing's single queue: 5 first-contact slots every day of 2025, no leave,
sickness, DNAs, follow-ups or bank holidays, every referral accepted, referrals at a constant
rate a day. So a month of d days offers 5d first contacts and brings 4.8d referrals, and every
figure below is arithmetic on the goal's definition (docs/modelling-guide.md, "What the goal
takes"), never the code's own output fed back to it.
"""

from __future__ import annotations

import math

import pytest
from services import EXAMPLE
from test_queueing import single_queue_config

from sim.api import goal_capacity as api_goal_capacity
from sim.engine.scenario import load_config, validate
from sim.questions.capacity_offered import offered_capacity
from sim.questions.goal_capacity import accepted_share, expected_accepted, goal_aim, goal_capacity
from sim.questions.goals import parse_goal
from sim.questions.waiting_list_theory import (
    list_ceiling,
    share_above,
    steady_state_capacity,
    sustainable_list,
)
from sim.reports.goal_text import NOT_ANSWERED, goal_lines

PER_DAY = 4.8
SLOTS = 5
DAYS_TO_JUNE = 31 + 28 + 31 + 30 + 31 + 30  # 181 days, Jan to Jun 2025
WEEKS_A_MONTH = 365 / 7 / 12  # the settled months are the whole of 2025
BANDS = [(0, 4, 40), (4, 10, 60), (10, 20, 50)]


def service(target_weeks: float = 6, per_day: float = PER_DAY, bands=BANDS, extra_wte: float = 0.0):
    document = single_queue_config(per_day, 12).model_dump(mode="json")
    document["service"]["rtt_target_weeks"] = target_weeks
    document["job_plans"]["band6"]["ramp_up_weeks"] = 0
    document["initial_state"] = {
        "waiting_list": [{"from_weeks": a, "to_weeks": b, "count": n} for a, b, n in bands]
    }
    if extra_wte:
        document["events"] = [
            {
                "date": "2025-01-01",
                "label": "One more post",
                "add_staff": {"role": "band6", "wte": extra_wte, "recruitment_lag_weeks": 0},
            }
        ]
    return validate(document, "goal.yaml")


def answer(goal: str, **configs):
    return goal_capacity(configs or {"baseline": service()}, parse_goal(goal))


def test_closed_forms_by_hand():
    # 20 a week, a 14-week target: with even flows a list of 280 is the most that meets it.
    assert list_ceiling(20, 14) == 280
    assert list_ceiling(20, 14, allowed=10) == 290
    assert sustainable_list(20, 14) == pytest.approx(70)  # Fong & Walton's target queue, 20 x 14 / 4
    assert sustainable_list(20, 14, allowed=10) == pytest.approx(72.5)
    assert steady_state_capacity(20, 14) == pytest.approx(20 + 4 / 14)  # Fong & Walton's target capacity
    assert steady_state_capacity(20, 14, allowed=10) == pytest.approx(20 + 4 / 14.5)
    assert steady_state_capacity(20, 14, cv_capacity=0) == pytest.approx(20 + 0.5 * 4 / 14)
    assert share_above(70, 280) == pytest.approx(math.exp(-4))  # 1.8% of month ends


def test_goal_aims():
    assert goal_aim(parse_goal("breaches<5 by 2025-06"), 18).allowed == 4
    assert goal_aim(parse_goal("breaches<=5.5 by 2025-06"), 18).allowed == 5
    longest = goal_aim(parse_goal("max_wait_weeks<=10 from 2025-06"), 18)
    assert (longest.target_weeks, longest.allowed, longest.mode) == (10, 0, "from")
    for other in ("waiting<=100 by 2025-06", "breaches>=5 by 2025-06", "breaches<0 by 2025-06"):
        assert goal_aim(parse_goal(other), 18) is None
    assert answer("waiting<=100 by 2025-06") is None
    assert goal_lines(None, {}) == [NOT_ANSWERED]


def test_what_the_goal_takes_by_hand():
    result = answer("breaches<=0 by 2025-06", baseline=service(), more=service(extra_wte=1))
    row = result.summary.set_index("scenario").loc["baseline"]
    demand = PER_DAY * DAYS_TO_JUNE / 6  # 144.8 a month to June
    offered = SLOTS * DAYS_TO_JUNE / 6  # 150.8 a month
    weekly = PER_DAY * 7  # 33.6 a week
    sustainable = weekly * 6 / 4  # 50.4: a quarter of the ceiling 33.6 x 6
    list_now = 150
    assert row["demand_per_month"] == pytest.approx(demand)
    assert row["offered_per_month"] == pytest.approx(offered)
    assert row["list_now"] == list_now
    assert row["list_ceiling"] == pytest.approx(weekly * 6)
    assert row["sustainable_list"] == pytest.approx(sustainable)
    # Conservation: needed = demand + clearance / months; extra = needed - capacity.
    needed = demand + (list_now - sustainable) / 6
    assert row["needed_per_month"] == pytest.approx(needed)  # 161.4
    assert row["extra_needed_per_month"] == pytest.approx(demand + (list_now - sustainable) / 6 - offered)
    # Long waiters: by the end of June (day 180, 25.7 weeks on) everyone waiting now is over 6 weeks,
    # and so is everyone referred in the first 180 - 42 = 138 days.
    assert row["long_waiters"] == pytest.approx(list_now + PER_DAY * 138)
    assert row["needed_long_waiters_per_month"] == pytest.approx((list_now + PER_DAY * 138) / 6)
    # After the changes (all of 2025): 146 a month against 152.1 offered.
    surplus = (SLOTS - PER_DAY) * 365 / 12
    assert row["load_settled"] == pytest.approx(PER_DAY / SLOTS)
    assert not row["load_warning"]
    assert row["time_to_clear_months"] == pytest.approx((list_now - sustainable) / surplus)
    assert row["steady_state_capacity_per_month"] == pytest.approx((weekly + 4 / 6) * WEEKS_A_MONTH)
    assert row["holds_in_steady_state"]
    more = result.summary.set_index("scenario").loc["more"]
    assert more["adds_per_month"] == pytest.approx(offered)  # one more post doubles the slots
    assert more["adds_band6_per_month"] == pytest.approx(offered)
    assert more["short_per_month"] == pytest.approx(needed - 2 * offered)


def test_who_must_be_seen_by_weeks_waited():
    bands = answer("breaches<=0 by 2025-06").bands
    assert bands["group"].tolist() == [
        "10 to 20 weeks",
        "4 to 10 weeks",
        "0 to 4 weeks",
        "Referred before 19 May 2025",  # day 138
        "Shorter waits and later referrals, to bring the list to its sustainable size",
    ]
    assert bands["must_be_seen"].tolist()[:3] == [50, 60, 40]
    needed = PER_DAY * DAYS_TO_JUNE + 150 - PER_DAY * 7 * 6 / 4  # 968.4 by the end of June
    assert bands["must_be_seen"].sum() == pytest.approx(needed)
    assert bands["needed_per_month"].sum() == pytest.approx(needed / 6)
    # 905 first contacts by June, oldest first, see the list and the early referrals and 92.6 of
    # the rest: the 63.4 unmet are the extra, all among the shortest waits.
    extra = needed - SLOTS * DAYS_TO_JUNE
    assert bands["extra_per_month"].tolist() == pytest.approx([0, 0, 0, 0, extra / 6])


def test_a_goal_within_the_target_counts_part_of_a_band_and_the_allowance():
    # 18 weeks by the end of January (day 30): over 18 weeks then means over 18 - 30/7 now.
    result = answer("breaches<=10 by 2025-01", baseline=service(target_weeks=18))
    row, bands = result.summary.iloc[0], result.bands
    over = 50 * (20 - (18 - 30 / 7)) / 10  # part of the 10-20 band; nobody referred since
    assert bands["over_target"].tolist()[:3] == pytest.approx([over, 0, 0])
    assert row["long_waiters"] == pytest.approx(over - 10)
    assert bands["must_be_seen"].iloc[0] == pytest.approx(over - 10)  # allowance off the shortest waits
    sustainable = (PER_DAY * 7 * 18 + 10) / 4
    assert row["sustainable_list"] == pytest.approx(sustainable)
    assert row["needed_per_month"] == pytest.approx(PER_DAY * 31 + 150 - sustainable)


def test_long_waiters_set_the_need_when_they_outnumber_the_flow():
    config = service(target_weeks=18, bands=[(16, 30, 300)])
    row = answer("breaches<=0 by 2025-01", baseline=config).summary.iloc[0]
    flow = PER_DAY * 31 + 300 - PER_DAY * 7 * 18 / 4  # 297.6
    assert flow < 300
    assert row["needed_per_month"] == pytest.approx(300)  # every one of them is over 18 weeks by then


def test_load_warning_when_demand_exceeds_capacity():
    result = answer("breaches<=0 by 2025-06", baseline=service(), busy=service(per_day=6))
    busy = result.summary.set_index("scenario").loc["busy"]
    assert busy["load_warning"] and busy["load_settled"] == pytest.approx(6 / 5)
    assert math.isinf(busy["time_to_clear_months"])
    assert not busy["holds_in_steady_state"]
    lines = goal_lines(result, {"baseline": "Now", "busy": "More referrals"})
    assert lines[0].startswith("What the goal takes (no one waiting over 6 weeks at the end of Jun 2025)")
    assert "LOAD WARNING" in lines[-1] and lines[-1].startswith("  More referrals:")
    assert "grows by about 30 a month" in lines[-1]  # (6 - 5) x 365 / 12


def test_acceptance_follows_each_source_s_triage_mix():
    # Open referrals from September 2024: 25% more referrals, parents' and schools' mostly signposted.
    config = load_config(EXAMPLE / "open_referrals.yaml")
    share = 0.80 * 0.84 + 0.12 * (0.32 + 0.08) + 0.08 * (0.35 + 0.10)
    assert accepted_share(load_config(EXAMPLE / "baseline.yaml")) == pytest.approx(0.84)
    from sim.engine.calendar import calendar_for

    calendar = calendar_for(config.service)
    daily = expected_accepted(config, calendar)
    september = [i for i, d in enumerate(calendar.dates) if d.strftime("%Y-%m") == "2025-09"]
    assert daily[september].sum() == pytest.approx(96 * 1.25 * 1.05 * share)


def test_roles_add_up_to_the_service_offer():
    config = load_config(EXAMPLE / "baseline.yaml")
    whole = offered_capacity(config)["first_contacts"].sum()
    parts = sum(offered_capacity(config, role)["first_contacts"].sum() for role in config.job_plans)
    assert parts == pytest.approx(whole)


def test_the_api_answers_without_simulating():
    files = [EXAMPLE / "baseline.yaml", EXAMPLE / "three_band6_posts.yaml"]
    result = api_goal_capacity(files, "breaches<=0 by 2025-12")
    assert result.summary["scenario"].tolist() == ["baseline", "three_band6_posts"]
    assert "simulated_seen_per_month" not in result.summary
    added = result.summary.set_index("scenario").loc["three_band6_posts"]
    assert added["adds_band6_per_month"] > 0 and added["adds_band7_per_month"] == 0


# ----- the steady-state closed forms against a long simulation ------------------------------
ONE_SLOT_A_WEEKDAY_AND_WEEKEND = 7.0  # first contacts a week: one 150-minute slot every day


def one_slot_queue(per_week: float, target_weeks: float, start: int):
    """test_queueing's single queue with one slot a day: Poisson referrals, fixed daily capacity,
    first come first served: the queue Kingman's formula and its exponential law are about."""
    document = single_queue_config(per_week / 7, 120).model_dump(mode="json")
    document["service"]["rtt_target_weeks"] = target_weeks
    document["appointment_types"]["assessment"]["minutes"] = 150  # 150 new-assessment minutes a day
    document["initial_state"] = {"waiting_list": [{"from_weeks": 0, "to_weeks": 1, "count": start}]}
    return validate(document, "one_slot.yaml")


@pytest.mark.slow
@pytest.mark.parametrize("allowed", [0, 3])
def test_steady_state_closed_forms_hold_in_a_long_simulation(allowed):
    from sim.runs.runner import run_replications

    target, factor, capacity = 2.0, 2.0, ONE_SLOT_A_WEEKDAY_AND_WEEKEND
    # The demand for which 7 a week is the steady-state capacity, by hand: fixed daily slots add
    # no variability (cv 0), Poisson referrals cv 1, so capacity = demand + 0.5 / mean wait with
    # mean wait = (target + allowed / demand) / factor; solved by fixed-point iteration.
    demand = 6.5
    for _ in range(50):
        demand = capacity - 0.5 * factor / (target + allowed / demand)
    assert steady_state_capacity(demand, target, allowed, factor, cv_capacity=0) == pytest.approx(capacity)
    ceiling = demand * target + allowed
    sustainable = ceiling / factor
    assert sustainable_list(demand, target, allowed, factor) == pytest.approx(sustainable)
    # Ten years of 100 futures, the first year dropped (the list settles within about half a year).
    config = one_slot_queue(demand, target, round(sustainable))
    monthly = run_replications(config, reps=100, seed=5, workers=2)
    settled = monthly[monthly.groupby("replication").cumcount() >= 12]
    # The sustainable list is the steady mean list: Kingman's heavy-traffic mean, which leaves out
    # a factor of the load (0.93-0.94 here; with it, it is Pollaczek-Khinchine's exact M/D/1 mean),
    # so the simulated list is 7-8% shorter: the closed form errs towards more capacity ...
    assert settled["waiting"].mean() == pytest.approx(sustainable, rel=0.1)
    # ... and Little's law turns it into the mean wait.
    waited = (settled["clock_stop_wait_mean_weeks"] * settled["clock_stops"]).sum() / settled[
        "clock_stops"
    ].sum()
    assert waited == pytest.approx(sustainable / demand, rel=0.1)
    # The list is about exponentially distributed: above the ceiling at exp(-factor) of month ends.
    assert (settled["waiting"] > ceiling).mean() == pytest.approx(math.exp(-factor), abs=0.03)
    # The goal (at most `allowed` over the target) then fails at no more than that share of month
    # ends: the oldest of a list above the ceiling has not always waited past the target yet.
    failed = (settled["breaches"] > allowed).mean()
    assert math.exp(-factor) / 2 < failed < math.exp(-factor) + 0.02
