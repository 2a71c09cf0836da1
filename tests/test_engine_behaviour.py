"""Behaviour a planner relies on: capacity helps, urgent goes first, closures cost contacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from services import service_config, service_document

from sim.engine.model import ServiceModel
from sim.engine.scenario import validate
from sim.runs.runner import run_replications

# Easter Monday 2024-04-01, 6 and 27 May, 26 Aug, 25 and 26 Dec 2024, 1 Jan 2025: the Welsh
# bank holidays that fall on weekdays between April 2024 and March 2025.
WELSH_WEEKDAY_BANK_HOLIDAYS_2024_25 = 7
WEEKDAYS_2024_25 = 261


def test_more_wte_never_raises_expected_breaches():
    means = []
    for wte in (1.0, 1.25, 1.5, 1.75, 2.0):  # from a list growing by ~30 breaches a month to none
        config = service_config({"workforce": [{"role": "band6", "wte": wte}, {"role": "band4", "wte": 1.0}]})
        monthly = run_replications(config, reps=30, seed=5, workers=2)
        means.append(monthly.groupby("month")["breaches"].mean().to_numpy())
    means = np.array(means)
    assert (np.diff(means, axis=0) <= 0).all(), np.diff(means, axis=0).max()
    assert means[0, -1] > 100 and means[-1, -1] < 1


def test_urgent_referrals_wait_less_than_routine():
    config = service_config({"workforce": [{"role": "band6", "wte": 2.5}, {"role": "band4", "wte": 1.0}]})
    model = ServiceModel(config, seed=2, replication=0)
    model.run()
    waits = pd.DataFrame(
        {"priority": p.priority, "wait": p.clock_stop_day - p.received}
        for p in model.patients
        if p.received >= 0 and p.clock_stop_day == p.clock_stop_day
    )
    by_priority = waits.groupby("priority")["wait"].mean()
    assert by_priority[0] < 7 < by_priority[1]


def overloaded_clinic(bank_holidays: bool, leave_days: float = 0, sickness: float = 0, wte: float = 1.0):
    """One activity always busy: 5 slots a day per WTE, a list far longer than a year's slots."""
    document = service_document()
    document["service"].update(start_date="2024-04-01", horizon_months=12, bank_holidays=bank_holidays)
    document["demand"] = {"monthly_rate": 1, "priorities": {"routine": 1.0}}
    document["triage"] = {"delay_days": {"routine": 0}, "outcomes": {"specialist": 1.0}}
    document["pathways"] = {"specialist": {"first_contact": "assessment"}}
    document["appointment_types"] = {"assessment": {"activity": "new", "minutes": 30}}
    document["job_plans"] = {
        "band6": {
            "hours_per_wte": 37.5,
            "non_clinical_share": 0.6,  # 180 minutes = 6 slots of 30 minutes a day
            "activity_split": {"new": 1.0},
            "annual_leave_days": leave_days,
            "sickness_rate": sickness,
            "flexible": False,
        }
    }
    document["workforce"] = [{"role": "band6", "wte": wte}]
    document["initial_state"] = {"waiting_list": [{"from_weeks": 0, "to_weeks": 50, "count": 20000}]}
    return validate(document, "overloaded.yaml")


def yearly_first_contacts(config, reps: int = 1) -> float:
    monthly = run_replications(config, reps=reps, seed=9, workers=1 if reps == 1 else 2)
    return monthly.groupby("replication")["first_contacts"].sum().mean()


def test_bank_holidays_remove_exactly_their_days():
    open_every_weekday = yearly_first_contacts(overloaded_clinic(bank_holidays=False))
    with_holidays = yearly_first_contacts(overloaded_clinic(bank_holidays=True))
    assert open_every_weekday == 6 * WEEKDAYS_2024_25
    assert with_holidays == 6 * (WEEKDAYS_2024_25 - WELSH_WEEKDAY_BANK_HOLIDAYS_2024_25)


def test_leave_and_sickness_reduce_contacts_by_their_share():
    full = yearly_first_contacts(overloaded_clinic(True, wte=4.0))
    leave_share, sickness = 25.3 / 253, 0.05  # leave is counted against 253 working days a year
    absent = yearly_first_contacts(overloaded_clinic(True, 25.3, sickness, wte=4.0), reps=16)
    assert absent / full == pytest.approx((1 - leave_share) * (1 - sickness), abs=0.01)
