"""Patient records and how they enter the model: new referrals and the starting snapshot."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

import numpy as np

from sim.engine.band_seeding import band_slopes, sloped_waits
from sim.engine.config import ServiceConfig
from sim.engine.rules import Rules


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
    clock_stop_day: float = float("nan")
    source: int = -1  # index into the model's source names; -1 = unknown (the snapshot)
    followup_due: float = float("nan")


class PatientLists(Protocol):
    """What seeding patients needs of a model: its rules, its records and the lists to join."""

    config: ServiceConfig
    rules: Rules
    patients: list
    arrivals: Any
    triage_draws: Any
    followup_draws: Any

    def add_patient(self, patient: Referral) -> None: ...
    def queue_first_contact(self, patient: Referral) -> None: ...
    def queue_triage(self, patient: Referral) -> None: ...
    def queue_followup(self, patient: Referral, due: float) -> None: ...


def make_referral(model: PatientLists, index: int) -> Referral:
    """The ``index``-th referral of the replication's arrivals, awaiting triage."""
    day = float(model.arrivals.day[index])
    return Referral(
        id=len(model.patients),
        received=day,
        priority=int(model.arrivals.priority[index]),
        source=model.arrival_sources[index],
        state=State.AWAITING_TRIAGE,
        clock_start=day,
        triage_draw=model.triage_draws[index],
        followup_draw=model.followup_draws[index],
    )


def _pathway_shares(model: PatientLists) -> np.ndarray:
    shares = np.array([model.config.triage.outcomes.get(p, 0.0) for p in model.rules.pathway_names])
    if shares.sum() <= 0:
        shares = np.ones(len(shares))
    return np.cumsum(shares / shares.sum())


def seed_initial_state(model: PatientLists, rng: np.random.Generator) -> None:
    """Snapshot at day 0: waiting list by band, referrals awaiting triage, follow-up caseload.

    Waiting patients get referral dates spread inside their band: uniformly, or (``within_band:
    sloped``) following the slope of the list's density read from the neighbouring bands.
    """
    state = model.config.initial_state
    urgent, routine = 0, len(model.config.demand.priorities) - 1
    cumulative = _pathway_shares(model)
    slopes = band_slopes(state.waiting_list) if state.within_band == "sloped" else None
    for number, band in enumerate(state.waiting_list):
        low, high = band.from_weeks * 7, band.to_weeks * 7
        if slopes is None:
            waited = np.floor(rng.uniform(low, high, band.count))
        else:
            waited = np.floor(sloped_waits(low, high, slopes[number], rng.random(band.count)))
        priority = np.where(rng.random(band.count) < state.urgent_share, urgent, routine)
        pathway = np.searchsorted(cumulative, rng.random(band.count), side="right")
        followup_draw = rng.random(band.count)
        for days, rank, route, draw in zip(
            (-waited).tolist(), priority.tolist(), pathway.tolist(), followup_draw.tolist(), strict=True
        ):
            patient = Referral(len(model.patients), days, rank, State.WAITING_FIRST, days)
            patient.pathway, patient.followup_draw = route, draw
            model.add_patient(patient)
            model.queue_first_contact(patient)
    for days in (-np.floor(rng.uniform(0, 14, state.awaiting_triage))).tolist():
        patient = Referral(len(model.patients), days, routine, State.AWAITING_TRIAGE, days)
        patient.triage_draw, patient.followup_draw = rng.random(2).tolist()
        model.add_patient(patient)
        model.queue_triage(patient)
    _seed_followup_caseload(model, rng, state.followup_caseload, cumulative)


def _seed_followup_caseload(model: PatientLists, rng, count: int, cumulative: np.ndarray) -> None:
    """Patients part-way through episodes: clock stopped, next follow-up due within one interval.

    A caseload seen on one day holds long episodes more often than referrals start them, so it
    is drawn as a team's settled caseload would be: a pathway in proportion to its share of
    referrals times its episode length (follow-ups x interval), and follow-ups left with
    P(r) proportional to P(episode has at least r follow-ups). Drawing every patient from the
    start of an episode put all of a fixed-length group programme's patients at the same step,
    so they finished together and their time came free in one month.
    """
    rules = model.rules
    with_followups = [i for i, kind in enumerate(rules.followup_type) if kind]
    if not with_followups or count == 0:
        return
    routine = len(model.config.demand.priorities) - 1
    caseload_cumulative, remaining_cdfs = _settled_caseload(rules, np.diff(cumulative, prepend=0.0))
    pathways = np.searchsorted(caseload_cumulative, rng.random(count), side="right").tolist()
    draws, offsets = rng.random(count).tolist(), rng.random(count).tolist()
    for pathway, draw, offset in zip(pathways, draws, offsets, strict=True):  # never one without follow-ups
        remaining = 1 + bisect.bisect_right(remaining_cdfs[pathway], draw)
        patient = Referral(len(model.patients), -14.0, routine, State.IN_FOLLOWUP, -14.0)
        patient.clock_running = False
        patient.contacts = rules.clock_stop_contact
        patient.pathway, patient.followups_left = pathway, remaining
        model.add_patient(patient)
        model.queue_followup(patient, offset * rules.interval_days[pathway])


def _settled_caseload(rules: Rules, shares: np.ndarray) -> tuple[np.ndarray, list[list[float]]]:
    """Cumulative pathway shares of a settled caseload, and each pathway's cumulative
    probabilities of 1, 2, ... follow-ups left (its entry i is P(at most i + 1 left))."""
    weights, remaining = [], []
    for pathway, cdf in enumerate(rules.followup_cdf):
        at_least = 1.0 - np.asarray(cdf[:-1])  # P(N >= r) for r = 1, 2, ...
        if rules.followup_type[pathway] is None or at_least.sum() <= 0:
            weights.append(0.0)  # nobody on the caseload is on this pathway
            remaining.append([1.0])
            continue
        cdf_left = np.cumsum(at_least) / at_least.sum()
        cdf_left[-1] = 1.0
        remaining.append(cdf_left.tolist())
        weights.append(shares[pathway] * at_least.sum() * rules.interval_days[pathway])
    weights = np.asarray(weights)
    if weights.sum() <= 0:
        weights = np.asarray([1.0 if kind else 0.0 for kind in rules.followup_type])
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    return cumulative, remaining
