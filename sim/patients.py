"""Patient records and how they enter the model: new referrals and the starting snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import ServiceModel


class State(IntEnum):
    """Where a referral is; every referral is in exactly one state at every moment."""

    AWAITING_TRIAGE = 0
    WAITING_FIRST = 1
    IN_FOLLOWUP = 2
    DISCHARGED = 3
    REMOVED = 4
    REJECTED = 5
    SIGNPOSTED = 6


@dataclass(slots=True)
class Referral:
    """One referral: its RTT clock, pathway and progress. ``version`` invalidates old queue entries."""

    id: int
    received: float
    priority: int
    state: State
    clock_start: float
    clock_running: bool = True
    pathway: int = -1
    triage_draw: float = 0.0
    followup_draw: float = 0.0
    contacts: int = 0
    dnas: int = 0
    followups_left: int = 0
    version: int = 0


def make_referral(model: ServiceModel, index: int) -> Referral:
    """The ``index``-th referral of the replication's arrivals, awaiting triage."""
    day = float(model.arrivals.day[index])
    return Referral(
        id=len(model.patients),
        received=day,
        priority=int(model.arrivals.priority[index]),
        state=State.AWAITING_TRIAGE,
        clock_start=day,
        triage_draw=model.triage_draws[index],
        followup_draw=model.followup_draws[index],
    )


def _pathway_shares(model: ServiceModel) -> np.ndarray:
    shares = np.array([model.config.triage.outcomes.get(p, 0.0) for p in model.rules.pathway_names])
    if shares.sum() <= 0:
        shares = np.ones(len(shares))
    return np.cumsum(shares / shares.sum())


def seed_initial_state(model: ServiceModel, rng: np.random.Generator) -> None:
    """Snapshot at day 0: waiting list by band, referrals awaiting triage, follow-up caseload."""
    state = model.config.initial_state
    urgent, routine = 0, len(model.config.demand.priorities) - 1
    cumulative = _pathway_shares(model)
    for band in state.waiting_list:
        for waited in rng.uniform(band.from_weeks * 7, band.to_weeks * 7, band.count):
            start = -float(np.floor(waited))
            priority = urgent if rng.random() < state.urgent_share else routine
            patient = Referral(len(model.patients), start, priority, State.WAITING_FIRST, start)
            patient.pathway = int(np.searchsorted(cumulative, rng.random(), side="right"))
            patient.followup_draw = float(rng.random())
            model.add_patient(patient)
            model.queue_first_contact(patient)
    for waited in rng.uniform(0, 14, state.awaiting_triage):
        start = -float(np.floor(waited))
        patient = Referral(len(model.patients), start, routine, State.AWAITING_TRIAGE, start)
        patient.triage_draw = float(rng.random())
        patient.followup_draw = float(rng.random())
        model.add_patient(patient)
        model.queue_triage(patient)
    _seed_followup_caseload(model, rng, state.followup_caseload, cumulative)


def _seed_followup_caseload(model: ServiceModel, rng, count: int, cumulative: np.ndarray) -> None:
    rules = model.rules
    for _ in range(count):
        pathway = int(np.searchsorted(cumulative, rng.random(), side="right"))
        if rules.followup_type[pathway] is None:
            pathway = next((i for i, t in enumerate(rules.followup_type) if t), -1)
            if pathway < 0:
                return
        cdf = rules.followup_cdf[pathway]
        remaining = max(1, int(np.searchsorted(cdf, rng.random(), side="right")))
        start = -float(rng.uniform(14, 52 * 7))
        routine = len(model.config.demand.priorities) - 1
        patient = Referral(len(model.patients), start, routine, State.IN_FOLLOWUP, start)
        patient.clock_running = False
        patient.contacts = rules.clock_stop_contact
        patient.pathway, patient.followups_left = pathway, remaining
        model.add_patient(patient)
        model.queue_followup(patient, float(rng.uniform(0, rules.interval_days[pathway])))
