"""Booking by weeks waited and removals by weeks waited, against independent calculations.

Both are checked on a closed list (no referrals) seeded from a snapshot, where the expected
answer follows from the rates alone: survival is a product of monthly rates by the band each
patient is in at each month end, and a weighted slot lands in a band in proportion to weight x
patients there, which a plain urn simulated here (its own random numbers) reproduces.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from test_queueing import single_queue_config

from sim.engine.model import ServiceModel
from sim.engine.scenario import validate
from sim.runs.runner import run_replications


def closed_list(bands, policy: dict, wte: float = 0.0, months: int = 6):
    """The one-queue service with no referrals, seeded with ``bands`` (from, to, count)."""
    document = single_queue_config(1.0, months=months).model_dump(mode="json")
    document["demand"]["multiplier"] = 0
    document["workforce"] = [{"role": "band6", "wte": wte}]
    document["initial_state"] = {
        "waiting_list": [{"from_weeks": f, "to_weeks": t, "count": c} for f, t, c in bands]
    }
    document["access_policy"].update(policy)
    for key in ("title", "parameter_draws"):
        document.pop(key, None)
    return validate(document, "closed.yaml")


def test_removals_by_wait_follow_the_rates_of_each_band():
    # 400 patients aged 0-4 weeks; rates 10% a month under 8 weeks, 40% from 8 weeks. Month ends
    # fall ~4.3 weeks apart, so a patient aged a weeks at the start is removed at month m's end with
    # the rate of band(a + weeks to that month end): expected survivors computed here day by day.
    config = closed_list([(0, 4, 400)], {"removal_by_wait": [
        {"from_weeks": 0, "monthly_rate": 0.1}, {"from_weeks": 8, "monthly_rate": 0.4}]}, months=4)
    monthly = run_replications(config, reps=60, seed=3)
    simulated = monthly.groupby("month")["waiting"].mean().to_numpy()
    ages = np.arange(0, 28)  # seeded waits: whole days spread uniformly over 0-28 days
    calendar_days = np.cumsum([31, 28, 31, 30]) - 1  # month-end days from 1 Jan 2025
    alive = np.ones(ages.size)
    expected = []
    for day in calendar_days:
        waited = ages + day
        alive = alive * np.where(waited >= 56, 0.6, 0.9)
        expected.append(400 * alive.mean())
    np.testing.assert_allclose(simulated, expected, rtol=0.03)


def test_weighted_booking_draws_bands_as_a_plain_urn_does():
    # 300 short waiters (0-4 weeks) and 100 long (40-52), weights 1 and 6, 5 slots a day: the share
    # of the first 60 slots going to long waiters, against an urn with the same weights.
    policy = {"booking_order": "by_weeks_waited",
              "booking_weights": [{"from_weeks": 0, "weight": 1}, {"from_weeks": 20, "weight": 6}]}
    config = closed_list([(0, 4, 300), (40, 52, 100)], policy, wte=1.0, months=1)
    shares = []
    for replication in range(40):
        model = ServiceModel(config, seed=11, replication=replication)
        long_before = sum(1 for p in model.patients if p.clock_start < -20 * 7)
        model_days = []
        original = model._attended

        def attended(patient, day, original=original, days=model_days):
            days.append(patient.clock_start < -20 * 7)
            original(patient, day)

        model._attended = attended
        model.run()
        shares.append(np.mean(model_days[:60]))
        assert long_before == 100
    rng = np.random.default_rng(5)
    urn = []
    for _ in range(4000):
        short, long, drawn = 300, 100, 0
        for _ in range(60):
            if rng.random() < 6 * long / (6 * long + short):
                long, drawn = long - 1, drawn + 1
            else:
                short -= 1
        urn.append(drawn / 60)
    assert np.mean(shares) == pytest.approx(np.mean(urn), abs=0.03)


def test_weighted_booking_never_books_a_zero_weight_band():
    policy = {"booking_order": "by_weeks_waited",
              "booking_weights": [{"from_weeks": 0, "weight": 0}, {"from_weeks": 10, "weight": 1}]}
    config = closed_list([(0, 2, 50), (20, 30, 30)], policy, wte=1.0, months=1)
    monthly = run_replications(config, reps=3, seed=1)
    # 5 slots a day clear the 30 long waiters; the 50 short ones reach 10 weeks only after month 1.
    assert (monthly["first_contacts"] == 30).all()
    assert (monthly["waiting"] == 50).all()


@pytest.mark.parametrize(
    "policy, message",
    [
        ({"booking_order": "by_weeks_waited"}, "needs booking_weights"),
        ({"booking_weights": [{"from_weeks": 0, "weight": 1}]}, "only when booking_order is by_weeks_waited"),
        ({"booking_order": "by_weeks_waited", "booking_weights": [{"from_weeks": 2, "weight": 1}]},
         "start at from_weeks 0"),
        (
            {"removal_by_wait": [
                {"from_weeks": 0, "monthly_rate": 0.1}, {"from_weeks": 0, "monthly_rate": 0.2}]},
            "rise strictly",
        ),
        ({"removal_by_wait": [{"from_weeks": 0, "monthly_rate": 1.5}]}, "less than or equal to 1"),
    ],
)
def test_wait_profiles_are_validated(policy, message):
    from sim.engine.input_files import ConfigError

    with pytest.raises(ConfigError, match=message):
        closed_list([(0, 4, 10)], policy)


def test_sloped_seeding_follows_an_exponential_list():
    # A list whose density falls as exp(-k t), cut into published bands: each band's count is the
    # integral of that density. Sloped seeding reads k back from the neighbours (exactly, for an
    # exponential) so each interior band's mean wait matches the truncated exponential's mean.
    k, scale = 0.01, 40.0
    edges = [0, 7, 14, 28, 84, 126, 364]
    counts = [round(scale * (np.exp(-k * a) - np.exp(-k * b)) / k) for a, b in pairwise(edges)]
    bands = [(a / 7, b / 7, c) for a, b, c in zip(edges, edges[1:], counts, strict=False)]
    config = closed_list(bands, {}, months=1)
    document = config.model_dump(mode="json")
    document["initial_state"]["within_band"] = "sloped"
    for key in ("title", "parameter_draws"):
        document.pop(key, None)
    sloped = validate(document, "closed.yaml")
    waits = []
    for replication in range(20):
        model = ServiceModel(sloped, seed=2, replication=replication)
        waits += [-p.clock_start for p in model.patients]
    waits = np.array(waits)
    for a, b in pairwise(edges[2:]):  # interior bands with two neighbours
        inside = waits[(waits >= a) & (waits < b)]
        t = np.arange(a, b) + 0.5  # whole days, as seeding floors them
        density = np.exp(-k * t)
        expected = (t * density).sum() / density.sum() - 0.5
        assert inside.mean() == pytest.approx(expected, abs=1.0)
        # A uniform spread would miss the wide bands by far more than the tolerance.
        if b - a > 100:
            assert abs((a + b - 1) / 2 - expected) > 5
