"""Dated validation of the first-contact list: one-off exercises and sweeps of a finite stale pool.

A one-off exercise (``validate_list``) removes a share of everyone waiting on one day. A sweep
(``validation_sweep``) models a clean-up in rounds: on its date a fixed pool of stale entries is
drawn from those then waiting; each round finds and removes a share of the pool not yet found,
so the yield falls round by round. Referrals joining after the date are never in the pool (the
list was validated as it stood), and a stale entry that leaves the list by any other route
(seen, removed by reneging or a DNA, an earlier exercise) leaves the pool.

Each sweep draws from its own stream (``validation_sweep``, numbered by its position among the
service's sweep events), so a scenario adding a sweep leaves every other activity's random
numbers, including the one-off and monthly removals, as they were (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.config import ServiceConfig
from sim.engine.events import ValidationSweep
from sim.engine.patients import State
from sim.engine.streams import stream

ONE_OFF, SWEEP_ROUND = 0, 1  # on one day, one-off exercises run before sweep rounds


class ValidatedList(Protocol):
    """What a validation needs of a model: who waits for a first contact, and how to remove them."""

    patients: list
    waiting_first: set[int]

    def _remove(self, patient) -> None: ...

    def _remove_share(self, share: float) -> None: ...


@dataclass
class StalePool:
    """One sweep: the stale entries not yet found (patient ids) and the stream its draws come from."""

    sweep: ValidationSweep
    rng: np.random.Generator
    unfound: list[int] = field(default_factory=list)

    def draw(self, model: ValidatedList, day: int) -> None:
        """Fix the pool on the sweep's date: each patient waiting is stale with ``stale_share``.

        Every patient waiting gets a draw (in id order), eligible or not, so a change of
        ``min_weeks_waited`` alone does not reshuffle who among the eligible is stale.
        """
        waiting = sorted(model.waiting_first)
        stale = self.rng.random(len(waiting)) < self.sweep.stale_share
        min_days = self.sweep.min_weeks_waited * 7
        patients = model.patients
        self.unfound = [
            pid
            for pid, is_stale in zip(waiting, stale.tolist(), strict=True)
            if is_stale and day - patients[pid].clock_start >= min_days
        ]

    def find(self, model: ValidatedList) -> None:
        """One round: each stale entry still waiting is found with ``find_share`` and removed."""
        patients = model.patients
        self.unfound = [pid for pid in self.unfound if patients[pid].state == State.WAITING_FIRST]
        found = self.rng.random(len(self.unfound)) < self.sweep.find_share
        still = []
        for pid, is_found in zip(self.unfound, found.tolist(), strict=True):
            if is_found:
                model._remove(patients[pid])
            else:
                still.append(pid)
        self.unfound = still


Job = Callable[[ValidatedList, int], None]


def dated_validations(
    config: ServiceConfig, calendar: Calendar, seed: int, replication: int
) -> list[tuple[int, Job]]:
    """(day, job) for each dated validation inside the horizon, in the order they run.

    One-off exercises keep the order they always had (by day, then share); on a day with both,
    they run before sweep rounds, and sweep rounds run in the order of their events.
    """
    keyed: list[tuple[tuple, Job]] = []
    for event in config.events:
        if event.validate_list:
            share = event.validate_list.share
            keyed.append(((calendar.day(event.date), ONE_OFF, share), _one_off(share)))
    sweeps = [e for e in config.events if e.validation_sweep]
    for number, event in enumerate(sweeps):
        sweep = event.validation_sweep
        assert sweep is not None
        pool = StalePool(sweep, stream(seed, replication, "validation_sweep", number))
        start = calendar.day(event.date)
        for round_, offset in enumerate(sweep.round_days()):
            job = _first_round(pool) if round_ == 0 else _later_round(pool)
            keyed.append(((start + offset, SWEEP_ROUND, number, round_), job))
    keyed.sort(key=lambda item: item[0])
    return [(key[0], job) for key, job in keyed if 0 <= key[0] < calendar.n_days]


def _one_off(share: float) -> Job:
    return lambda model, day: model._remove_share(share)


def _first_round(pool: StalePool) -> Job:
    def run(model: ValidatedList, day: int) -> None:
        pool.draw(model, day)
        pool.find(model)

    return run


def _later_round(pool: StalePool) -> Job:
    return lambda model, day: pool.find(model)
