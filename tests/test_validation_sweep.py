"""Validation sweeps (``validation_sweep`` events): a finite pool of stale entries found in rounds.

The expected yields are worked out here by hand, not by the engine: with nobody seen and nobody
joining the first-contact list, each of the N0 patients waiting on the sweep's date is removed
in round k with probability stale_share x find_share x (1 - find_share)^(k - 1) (stale, missed
k - 1 times, then found), so round k's count is Binomial(N0, that) and the total over R rounds
Binomial(N0, stale_share x (1 - (1 - find_share)^R)).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from services import service_config
from test_conservation import check_conservation

from sim.engine.events import ValidationSweep
from sim.engine.model import ServiceModel
from sim.engine.patients import State
from sim.engine.scenario import ConfigError
from sim.engine.sweep import load_scenarios

N0, STALE, FIND, ROUNDS, REPS = 1000, 0.4, 0.5, 5, 40
# Every 5 weeks from 2 April: rounds on 2 Apr, 7 May, 11 Jun, 16 Jul, 20 Aug, one a month.
SWEEP = {"stale_share": STALE, "find_share": FIND, "rounds": ROUNDS, "every_weeks": 5}
START = "2024-04-02"


def idle_service(sweep: dict | None = None, bands: list | None = None):
    """N0 waiting for a first contact, no staff (nobody triaged or seen), no other removals."""
    changes = {
        "service": {"horizon_months": 6},
        "demand": {"monthly_rate": 5},  # referrals wait for triage, which nobody does
        "workforce": [{"role": "band6", "wte": 0.0}, {"role": "band4", "wte": 0.0}],
        "initial_state": {"waiting_list": bands or [{"from_weeks": 0, "to_weeks": 30, "count": N0}]},
        "events": [{"date": START, "validation_sweep": sweep or SWEEP}],
    }
    return service_config(changes)


def removed_by_month(config, reps: int = REPS) -> np.ndarray:
    """Removals in each of the first ROUNDS months, one row per replication."""
    rows = []
    for replication in range(reps):
        records = ServiceModel(config, 17, replication).run()
        rows.append([r["removed"] for r in records[:ROUNDS]])
    return np.array(rows)


def binomial_band(n: int, p: float, reps: int, sigmas: float = 4.0) -> tuple[float, float]:
    """Mean of ``reps`` Binomial(n, p) counts, and how far a sample mean may stray from it."""
    return n * p, sigmas * math.sqrt(n * p * (1 - p) / reps)


def test_each_round_removes_its_expected_share_of_the_pool():
    removed = removed_by_month(idle_service())
    for k in range(1, ROUNDS + 1):
        expected, tolerance = binomial_band(N0, STALE * FIND * (1 - FIND) ** (k - 1), REPS)
        assert abs(removed[:, k - 1].mean() - expected) <= tolerance, (k, removed[:, k - 1].mean())
    expected, tolerance = binomial_band(N0, STALE * (1 - (1 - FIND) ** ROUNDS), REPS)
    assert abs(removed.sum(axis=1).mean() - expected) <= tolerance
    means = removed.mean(axis=0)
    assert all(later < earlier for earlier, later in zip(means, means[1:], strict=False))  # yield falls
    assert (removed.sum(axis=1) <= N0).all()


def test_the_list_loses_exactly_what_is_removed():
    """List in = list out + removed, month by month, and every referral is accounted for."""
    config = idle_service()
    monthly = check_conservation(config, 3)
    removed = monthly["removed"].cumsum()
    assert (monthly["waiting_first_contact"] + removed == N0).all()
    assert monthly["first_contacts"].sum() == 0
    assert monthly["removed"].iloc[ROUNDS:].sum() == 0  # after the last round, nobody


def test_only_those_waiting_long_enough_can_be_stale():
    """min_weeks_waited: the pool is drawn from the long band alone (the short band waits < 11 weeks)."""
    bands = [
        {"from_weeks": 0, "to_weeks": 10, "count": 600},
        {"from_weeks": 20, "to_weeks": 30, "count": 400},
    ]
    sweep = {**SWEEP, "min_weeks_waited": 15}
    removed = removed_by_month(idle_service(sweep, bands))
    expected, tolerance = binomial_band(400, STALE * FIND, REPS)
    assert abs(removed[:, 0].mean() - expected) <= tolerance
    model = ServiceModel(idle_service(sweep, bands), 17, 0)
    model.run()
    removed = [p for p in model.patients if p.state == State.REMOVED]
    assert removed and all(1 - p.clock_start >= 15 * 7 for p in removed)  # waited 15 weeks on 2 April


def test_a_single_round_finds_its_share_of_the_pool():
    removed = removed_by_month(idle_service({"stale_share": 0.3, "find_share": 0.8}))
    expected, tolerance = binomial_band(N0, 0.3 * 0.8, REPS)
    assert abs(removed[:, 0].mean() - expected) <= tolerance
    assert removed[:, 1:].sum() == 0


def test_adding_a_sweep_leaves_everything_before_it_as_it_was():
    """Common random numbers: the sweep's own stream perturbs no other activity's draws, so the
    months before its date are identical, to the last bit, in a busy service."""
    busy = {
        "demand": {"monthly_rate": 150},  # a list that grows, so there is one to sweep in August
        "access_policy": {"validation_removal_rate": 0.02, "reneging_rate": 0.01},
    }
    without = service_config(busy)
    sweep = {"date": "2024-08-01", "validation_sweep": {"stale_share": 0.2, "find_share": 0.6}}
    with_sweep = service_config({**busy, "events": [sweep]})
    for replication in range(3):
        before = pd.DataFrame(ServiceModel(without, 9, replication).run())
        after = pd.DataFrame(ServiceModel(with_sweep, 9, replication).run())
        months = before["month"] < "2024-08"
        assert months.sum() == 4
        pd.testing.assert_frame_equal(before[months], after[months])
        assert after["removed"][4] > before["removed"][4]  # and the sweep removes more in August


def test_a_second_sweep_leaves_the_first_sweeps_draws_alone():
    """Each sweep has its own stream: adding a later sweep does not change the first one's rounds."""
    first = {"date": "2024-04-02", "validation_sweep": {"stale_share": 0.3, "find_share": 0.5}}
    later = {"date": "2024-06-03", "validation_sweep": {"stale_share": 0.3, "find_share": 0.5}}
    idle = {"workforce": [{"role": "band6", "wte": 0.0}, {"role": "band4", "wte": 0.0}]}
    one = ServiceModel(service_config({**idle, "events": [first]}), 4, 0).run()
    two = ServiceModel(service_config({**idle, "events": [first, later]}), 4, 0).run()
    assert [r["removed"] for r in one[:2]] == [r["removed"] for r in two[:2]]
    assert one[0]["removed"] > 0 and two[2]["removed"] > 0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"stale_share": 0, "find_share": 0.5}, "greater than 0"),
        ({"stale_share": 1.2, "find_share": 0.5}, "less than or equal to 1"),
        ({"stale_share": 0.2, "find_share": 0}, "greater than 0"),
        ({"stale_share": 0.2, "find_share": 0.5, "rounds": 0}, "greater than or equal to 1"),
        ({"stale_share": 0.2, "find_share": 0.5, "rounds": 53, "every_weeks": 1}, "less than or equal to 52"),
        ({"stale_share": 0.2, "find_share": 0.5, "rounds": 3}, "need every_weeks"),
        ({"stale_share": 0.2, "find_share": 0.5, "every_weeks": 4}, "applies only when rounds is above 1"),
        ({"stale_share": 0.2, "find_share": 0.5, "rounds": 2, "every_weeks": 0.5}, "greater than or equal"),
        ({"stale_share": 0.2, "find_share": 1, "rounds": 2, "every_weeks": 4}, "would remove nobody"),
        ({"stale_share": 0.2, "find_share": 0.5, "min_weeks_waited": -1}, "greater than or equal to 0"),
        ({"stale_share": 0.2, "find_share": 0.5, "share": 0.1}, "Extra inputs are not permitted"),
    ],
)
def test_settings_that_cannot_take_effect_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        ValidationSweep.model_validate(fields)


def test_a_round_after_the_horizon_is_refused():
    sweep = {"date": "2024-12-02", "validation_sweep": {**SWEEP, "rounds": 6}}  # horizon ends March 2025
    with pytest.raises(ConfigError, match=r"events.0.validation_sweep: round 6 falls on 2025-05-26"):
        service_config({"events": [sweep]})
    assert service_config({"events": [{**sweep, "validation_sweep": {**SWEEP, "rounds": 3}}]})



def test_a_parameter_sweep_to_zero_stale_share_turns_the_sweep_off(tmp_path):
    """In a file a stale_share of 0 is refused (it removes nobody); in a `sweep:` it means 'no sweep'."""
    baseline = Path(__file__).resolve().parents[1] / "scenarios" / "example" / "baseline.yaml"
    path = tmp_path / "stale.yaml"
    path.write_text(
        f"extends: {baseline}\n"
        "events:\n"
        "  - {date: 2024-07-01, label: sweep, validation_sweep: {stale_share: 0.2, find_share: 0.6}}\n"
        "sweep: {field: events.0.validation_sweep.stale_share, values: [0, 0.2]}\n"
    )
    off, on = load_scenarios(path)
    assert off.config.events[0].validation_sweep is None and off.config.events[0].set == {}
    assert on.config.events[0].validation_sweep.stale_share == 0.2
