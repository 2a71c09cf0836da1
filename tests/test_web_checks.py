"""Entries refused where they are made: a sentence per bad input, nothing clamped."""

from __future__ import annotations

import datetime as dt

from services import service_document

from sim.engine.scenario import validate
from sim.web import changes, checks
from sim.web.fields import FieldSpec

CONFIG = validate(service_document(), "small.yaml")  # 1 April 2024, 12 months


def test_the_simulated_period_is_the_start_to_the_last_day_of_the_horizon():
    assert checks.horizon(CONFIG) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))


def test_dates_outside_the_simulated_period_are_refused_in_a_sentence():
    assert checks.date_problem(dt.date(2024, 4, 1), CONFIG) is None
    assert checks.date_problem(dt.date(2025, 3, 31), CONFIG) is None
    early = checks.date_problem(dt.date(1900, 1, 1), CONFIG, "The start date")
    assert early == (
        "The start date 1 January 1900 is before the simulation starts (1 April 2024): pick a later day."
    )
    late = checks.date_problem(dt.date(2025, 4, 1), CONFIG)
    assert "after the simulation ends (31 March 2025)" in late
    assert "missing" in checks.date_problem(None, CONFIG)


def test_a_change_form_reports_every_bad_input_by_name():
    clinic = changes.kind("extra_sessions")
    values = {"hours_per_week": -3.0, "activity": "new"}
    found = checks.change_problems(clinic, dt.date(1900, 1, 1), dt.date(1899, 1, 1), values, CONFIG)
    assert set(found) == {"from", "until", "hours_per_week"}
    assert "not after the start" in found["until"]
    assert "cannot be below 0" in found["hours_per_week"]
    assert (
        "missing"
        in checks.change_problems(clinic, dt.date(2024, 6, 1), None, values | {"hours_per_week": 3}, CONFIG)[
            "until"
        ]
    )
    post = changes.kind("add_staff")
    good = {"role": "band6", "wte": 1.0, "recruitment_lag_weeks": 0.0}
    assert checks.change_problems(post, dt.date(2024, 6, 1), None, good, CONFIG) == {}


def test_settings_outside_the_schema_bounds_or_empty_are_refused():
    share = FieldSpec("dna_rate", "number", "DNA rate", low=0.0, high=1.0)
    setting = FieldSpec("setting", "text", "Setting")
    found = checks.form_problems([("a", share), ("b", setting)], {"a": 8.0, "b": " "})
    assert found == {
        "a": "DNA rate must be between 0% and 100% (800% given).",
        "b": "Setting is empty: type one.",
    }
    assert checks.form_problems([("a", share)], {"a": 0.08}) == {}
