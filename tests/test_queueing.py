"""The engine against queueing theory.

Reduced to Poisson arrivals, one activity and a fixed number of slots every day, the
waiting list is the discrete-time queue Q' = max(Q + A - c, 0) with A ~ Poisson(lambda).
Its stationary distribution is computed here from the Markov chain, independently of the
simulation, and compared with the simulated month-end lists and completed waits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from services import service_document

from sim.engine.scenario import validate
from sim.runs.runner import run_replications

DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
SLOTS_PER_DAY = 5
WARM_UP_MONTHS = 4


def single_queue_config(per_day: float, months: int = 36):
    """One activity, ``SLOTS_PER_DAY`` slots every day, no absences, no DNAs, no follow-ups."""
    mean_month = sum(DAYS_IN_MONTH) / 12
    document = service_document()
    document["service"].update(
        start_date="2025-01-01",  # 2025-2027: no leap day, so the daily rate is constant
        horizon_months=months,
        clinic_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        bank_holidays=False,
    )
    document["demand"] = {
        "monthly_rate": per_day * mean_month,
        "seasonality": [d / mean_month for d in DAYS_IN_MONTH],
        "priorities": {"routine": 1.0},
    }
    document["triage"] = {
        "delay_days": {"routine": 0},
        "minutes_per_referral": 1,
        "outcomes": {"specialist": 1.0},
    }
    document["pathways"] = {"specialist": {"first_contact": "assessment"}}
    document["appointment_types"] = {"assessment": {"activity": "new", "minutes": 30}}
    document["job_plans"] = {
        "band6": {
            "hours_per_wte": 35,  # 300 minutes a day over 7 clinic days
            "non_clinical_share": 0,
            "activity_split": {"triage": 0.5, "new": 0.5},  # 150 min = 5 slots of 30 min
            "annual_leave_days": 0,
            "sickness_rate": 0,
            "flexible": False,
        }
    }
    document["workforce"] = [{"role": "band6", "wte": 1.0}]
    document["initial_state"] = {}
    return validate(document, "single_queue.yaml")


def stationary_queue(per_day: float, slots: int, size: int = 600) -> np.ndarray:
    """Stationary distribution of end-of-day queue length, from the truncated Markov chain."""
    arrivals = stats.poisson.pmf(np.arange(size), per_day)
    transition = np.zeros((size, size))
    for queue in range(size):
        after = np.maximum(queue + np.arange(size) - slots, 0)
        np.add.at(transition[queue], np.minimum(after, size - 1), arrivals)
    transition /= transition.sum(axis=1, keepdims=True)
    values, vectors = np.linalg.eig(transition.T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return stationary / stationary.sum()


def confidence_interval(per_replication: pd.Series, level: float = 0.99) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + level / 2, per_replication.size - 1) * per_replication.sem()
    return per_replication.mean() - half, per_replication.mean() + half


@pytest.fixture(scope="module")
def steady_state():
    per_day = 4.5
    monthly = run_replications(single_queue_config(per_day), reps=60, seed=11, workers=2)
    settled = monthly[monthly.groupby("replication").cumcount() >= WARM_UP_MONTHS]
    return per_day, settled


def test_mean_list_size_matches_the_markov_chain(steady_state):
    per_day, settled = steady_state
    expected = np.arange(600) @ stationary_queue(per_day, SLOTS_PER_DAY)
    low, high = confidence_interval(settled.groupby("replication")["waiting"].mean())
    assert low <= expected <= high, (low, expected, high)


def test_mean_wait_matches_the_markov_chain(steady_state):
    per_day, settled = steady_state
    expected_days = np.arange(600) @ stationary_queue(per_day, SLOTS_PER_DAY) / per_day
    waited = settled["clock_stop_wait_mean_weeks"] * 7 * settled["clock_stops"]
    by_replication = (
        waited.groupby(settled["replication"]).sum() / settled.groupby("replication")["clock_stops"].sum()
    )
    low, high = confidence_interval(by_replication)
    assert low <= expected_days <= high, (low, expected_days, high)


def test_littles_law_holds(steady_state):
    per_day, settled = steady_state
    mean_list = settled["waiting"].mean()
    arrival_rate = per_day
    mean_wait_days = (settled["clock_stop_wait_mean_weeks"] * 7 * settled["clock_stops"]).sum() / settled[
        "clock_stops"
    ].sum()
    assert mean_list == pytest.approx(arrival_rate * mean_wait_days, rel=0.05)


def test_list_grows_at_the_gap_when_demand_exceeds_capacity():
    per_day = 6.5
    monthly = run_replications(single_queue_config(per_day, months=12), reps=20, seed=3, workers=2)
    mean_list = monthly.groupby("month")["waiting"].mean().to_numpy()
    days = np.cumsum([DAYS_IN_MONTH[m % 12] for m in range(12)])
    slope = np.polyfit(days[2:], mean_list[2:], 1)[0]
    assert slope == pytest.approx(per_day - SLOTS_PER_DAY, rel=0.05)
