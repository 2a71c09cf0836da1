"""Fong & Walton's formulas against the simulation, on a service that meets their assumptions.

Poisson referrals at a constant rate, one queue served by a fixed number of slots every day,
no follow-ups, leave, sickness, DNAs or seasonality (the single queue of test_queueing). Fixed
daily slots are removals with no variability of their own, so the formulas are used with
cv_capacity = 0 and cv_demand = 1 (Poisson).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_queueing import SLOTS_PER_DAY, single_queue_config

from sim.engine.scenario import validate
from sim.questions import waiting_list_theory as theory
from sim.runs.runner import run_replications

TARGET_WEEKS = 2.0
CAPACITY = SLOTS_PER_DAY * 7  # a week


def queue_config(per_day: float, months: int, initial: int = 0):
    document = single_queue_config(per_day, months).model_dump(mode="json")
    document["service"]["rtt_target_weeks"] = TARGET_WEEKS
    if initial:
        document["initial_state"] = {"waiting_list": [{"from_weeks": 0, "to_weeks": 1, "count": initial}]}
    return validate(document, "theory.yaml")


def test_formulas_match_the_package_examples():
    # The worked examples in NHSRwaitinglist's documentation.
    assert theory.target_queue_size(30, 52) == 390
    assert theory.relief_capacity(30, 1200, 390, 26) == pytest.approx(61.15, abs=0.01)
    assert theory.queue_load(30, 27) == pytest.approx(1.11, abs=0.01)
    assert theory.target_mean_wait(52, 6) == pytest.approx(8.67, abs=0.01)
    assert theory.waiting_list_pressure(63, 52) == pytest.approx(2.42, abs=0.01)
    assert theory.target_capacity(4, 52) == pytest.approx(4 + 4 / 52)


@pytest.mark.slow
def test_target_capacity_gives_the_target_mean_wait_and_queue():
    # The demand for which 35 slots a week is the target capacity: mean wait target/4.
    demand = CAPACITY - 0.5 * theory.FACTOR / TARGET_WEEKS
    assert theory.target_capacity(demand, TARGET_WEEKS, cv_capacity=0) == pytest.approx(CAPACITY)
    monthly = pd.DataFrame(run_replications(queue_config(demand / 7, 48), 24, seed=3, workers=1))
    steady = monthly[monthly["month"] >= "2025-07"]
    waited = (steady["clock_stop_wait_mean_weeks"] * steady["clock_stops"]).sum()
    mean_wait = waited / steady["clock_stops"].sum()
    # Kingman's formula is a heavy-traffic approximation (the exact mean wait of this queue,
    # from its Markov chain, is 7% below it at this load of 0.97); the rest is sampling noise.
    assert mean_wait == pytest.approx(theory.target_mean_wait(TARGET_WEEKS), rel=0.2)
    assert steady["waiting"].mean() == pytest.approx(theory.target_queue_size(demand, TARGET_WEEKS), rel=0.2)
    # The target queue size is Little's law: list = demand x mean wait, which holds closely.
    assert steady["waiting"].mean() == pytest.approx(demand * mean_wait, rel=0.05)


@pytest.mark.slow
def test_relief_capacity_reaches_the_target_queue_on_time():
    demand = 4 * 7  # a week, below the 35 slots
    target = theory.target_queue_size(demand, TARGET_WEEKS)  # 14
    start = 294
    weeks = (start - target) / (CAPACITY - demand)  # 40 weeks at 35 a week
    assert theory.relief_capacity(demand, start, target, weeks) == pytest.approx(CAPACITY)
    monthly = pd.DataFrame(run_replications(queue_config(4, 10, start), 12, seed=4, workers=1))
    waiting = monthly.groupby("month")["waiting"].mean()
    days = np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31])  # census after these many days
    for month, elapsed in zip(waiting.index, days, strict=True):
        straight_line = start - (start - target) * (elapsed / 7) / weeks
        if straight_line > 60:  # the formula's straight line, while the list is far from empty
            assert waiting[month] == pytest.approx(straight_line, rel=0.1), month
