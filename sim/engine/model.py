"""The SimPy model of one service for one replication.

Patients are plain records held in heaps; SimPy drives the calendar with five processes:
dated rule changes, referral receipt, clinic days (triage, then each activity's slots),
dated validation (one-off exercises and sweep rounds, ``sim.engine.list_validation``), and
month-end census. Capacity and arrivals are exogenous and drawn before the run
(``sim.engine.capacity``, ``sim.engine.demand``); the model itself does no I/O and returns one
record of monthly figures per month.
"""

from __future__ import annotations

import bisect
import heapq
from functools import cached_property

import numpy as np
import simpy

from sim.engine.booking import WeightedBooking, removals_by_wait
from sim.engine.calendar import calendar_for
from sim.engine.capacity import clinical_minutes, flexible_scope
from sim.engine.census import MonthFlows, census, count_breaching, note_breach_exit
from sim.engine.compiled_day import CompiledDay, compiled_supports
from sim.engine.config import ServiceConfig
from sim.engine.demand import draw_phase_arrivals, expected_daily_referrals, source_names
from sim.engine.fast_day import FastDay, compiled_engine_wanted, use_fast_path
from sim.engine.field_types import ACTIVITIES
from sim.engine.list_validation import dated_validations
from sim.engine.long_waiters import LongWaiterSlots
from sim.engine.patients import State, make_referral, seed_initial_state
from sim.engine.rules import Rules
from sim.engine.shared_time import shared_clinic_day
from sim.engine.streams import UniformBlock, stream
from sim.engine.timeline import build_phases, phase_of_day

PHASE_AT, RECEIPT_AT, CLINIC_AT, VALIDATION_AT, CENSUS_AT = 0.0, 0.1, 0.5, 0.6, 0.9
TRIAGE = ACTIVITIES.index("triage")
FLEX_ORDER = tuple(ACTIVITIES.index(a) for a in ("new", "followup", "group", "triage"))


class ServiceModel:
    """One replication of a service: referrals, triage, waiting lists, slots and follow-ups."""

    def __init__(self, config: ServiceConfig, seed: int, replication: int, engine: str | None = None) -> None:
        """``engine``: "fast" (the default: compiled, else Python, where supported), "interpreted" (the
        Python fast path) or "reference"; else ``DCSIM_ENGINE``."""
        self.config = config
        self.seed, self.replication = seed, replication
        service = config.service
        self.calendar = calendar_for(service)
        self.phases = build_phases(config, self.calendar)
        self.phase_of_day = phase_of_day(self.phases, self.calendar.n_days)
        self.rules_by_phase = [Rules.from_config(p.config) for p in self.phases]
        self.rules = self.rules_by_phase[0]
        self.fast = use_fast_path([p.config for p in self.phases], type(self), ServiceModel, engine)
        # Minutes by day, role and activity, and by day and activity; as lists when Python reads them.
        self.minutes = clinical_minutes(self.phases, self.phase_of_day, self.calendar, seed, replication)
        self.planned_minutes = self.minutes.sum(axis=1)
        self.scope_by_phase = [flexible_scope(p.config).tolist() for p in self.phases]
        self.scope = self.scope_by_phase[0]
        self.source_names = source_names(self.phases)
        self.target_days = service.rtt_target_weeks * 7
        self.patients: list = []
        self.open_clocks: dict[int, float] = {}
        self.waiting_first: set[int] = set()
        self.state_count = [0] * len(State)
        self.pending: list = []
        self.triage_queue: list = []
        self.first_queue: dict[str, list] = {t: [] for t in config.appointment_types}
        self.followup_queue: dict[str, list] = {t: [] for t in config.appointment_types}
        self.rebook_next_day: list[int] = []
        self.carry = [0.0] * len(ACTIVITIES)
        self.flows = MonthFlows()
        self.records: list[dict] = []
        self.attendance = UniformBlock(stream(seed, replication, "attendance"))
        self.removals_rng = stream(seed, replication, "removals")
        self.booking = None
        if self.rules.wait_weighted:
            draws = UniformBlock(stream(seed, replication, "booking"))
            self.booking = WeightedBooking(config.appointment_types, *self.rules.weight_from_days, draws)
        self.long_waiters = None  # kept from the start if any phase aims slots at long waiters
        if any(r.long_waiter_share for r in self.rules_by_phase):
            self.long_waiters = LongWaiterSlots(config.appointment_types)
        self._draw_referrals()
        seed_initial_state(self, stream(seed, replication, "initial_state"))
        self.flows.breaches_opening = count_breaching(self.open_clocks.values(), -1, self.target_days)
        # The compiled kernels where they reproduce this run, else the Python fast path.
        self.compiled = self.fast and compiled_engine_wanted(engine) and compiled_supports(self, ServiceModel)

    # ----- set-up -----------------------------------------------------------------------
    # Made when first read: the compiled engine reads the arrays, and making nested lists of every
    # day's minutes took a sixth of a baseline replication.
    @cached_property
    def minutes_by_role(self) -> list:
        return self.minutes.tolist()

    @cached_property
    def planned(self) -> list:
        return self.planned_minutes.tolist()

    def _draw_referrals(self) -> None:
        expected = expected_daily_referrals(self.phases, self.calendar, self.phase_of_day)
        self.arrivals = draw_phase_arrivals(
            expected,
            self.phases,
            self.phase_of_day,
            stream(self.seed, self.replication, "arrivals"),
            stream(self.seed, self.replication, "referral_mix"),
        )
        self.arrival_sources = self.arrivals.source.tolist()
        size = self.arrivals.day.size
        self.triage_draws = stream(self.seed, self.replication, "triage").random(size).tolist()
        self.followup_draws = stream(self.seed, self.replication, "followups").random(size).tolist()

    # ----- patient movements ---------------------------------------------------------------
    def move(self, patient, state: State) -> None:
        """Change a patient's state, keeping the stock counts right."""
        self.state_count[patient.state] -= 1
        self.state_count[state] += 1
        if patient.state == State.WAITING_FIRST:
            self.waiting_first.discard(patient.id)
        if state == State.WAITING_FIRST:
            self.waiting_first.add(patient.id)
        patient.state = state
        patient.version += 1

    def stop_clock(self, patient, why: str = "other") -> None:
        if patient.clock_running:
            note_breach_exit(self.flows, patient.clock_start, int(self.env.now), self.target_days, why)
            patient.clock_running = False
            del self.open_clocks[patient.id]

    def add_patient(self, patient) -> None:
        self.patients.append(patient)
        self.state_count[patient.state] += 1
        if patient.clock_running:
            self.open_clocks[patient.id] = patient.clock_start
        if patient.state == State.WAITING_FIRST:
            self.waiting_first.add(patient.id)

    def queue_first_contact(self, patient) -> None:
        kind = self.rules.first_type[patient.pathway]
        if self.booking is not None:
            self.booking.add(kind, patient.clock_start, patient.id, patient.version)
            return
        if self.long_waiters is not None:
            self.long_waiters.add(kind, patient.clock_start, patient.id, patient.version)
        rank = patient.priority if self.rules.order_by_priority else 0
        entry = (rank, patient.clock_start, patient.id, patient.version)
        heapq.heappush(self.first_queue[kind], entry)

    def queue_followup(self, patient, due: float, ready: float | None = None) -> None:
        """Queue a follow-up due on ``due``, bookable from ``ready`` (a rebooking after a DNA).

        The patient keeps ``due`` as ``followup_due`` so a missed appointment does not reset
        how long they have been overdue.
        """
        kind = self.rules.followup_type[patient.pathway]
        patient.followup_due = due
        entry = (due if ready is None else ready, patient.id, patient.version)
        heapq.heappush(self.followup_queue[kind], entry)

    def queue_triage(self, patient) -> None:
        ready = patient.received + self.rules.triage_delay[patient.priority]
        heapq.heappush(self.pending, (ready, patient.id))

    # ----- processes ------------------------------------------------------------------------
    def run(self) -> list[dict]:
        """Simulate the horizon and return one record per month."""
        env = simpy.Environment()
        self.env = env  # the day a clock stops on, for the breach flow
        self.fast_day = FastDay(self) if self.fast else None
        self.arrays = CompiledDay(self) if self.compiled else None
        for process in (self._phase_changes, self._receipts, self._clinics, self._validations, self._census):
            env.process(process(env))
        env.run(until=self.calendar.n_days)
        if self.arrays is not None:
            self.arrays.finish()
        self.fast_day = self.arrays = None  # they refer back to the model: no cycle keeps it alive
        return self.records

    def _phase_changes(self, env: simpy.Environment):
        changes = zip(self.phases[1:], self.rules_by_phase[1:], self.scope_by_phase[1:], strict=True)
        for phase, rules, scope in changes:
            yield env.timeout(phase.first_day + PHASE_AT - env.now)
            self.rules, self.scope = rules, scope
            if self.booking is not None:
                self.booking.set_weights(*rules.weight_from_days)

    def _receipts(self, env: simpy.Environment):
        days = self.arrivals.day
        if not days.size:  # no referrals in the horizon (a list only run down)
            return
        firsts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        ends = np.r_[firsts[1:], days.size].tolist()
        receive, timeout = self.arrays.receive if self.arrays else self._receive, env.timeout
        for day, first, end in zip(days[firsts].tolist(), firsts.tolist(), ends, strict=True):
            yield timeout(day + RECEIPT_AT - env.now)
            receive(first, end)

    def _receive(self, first: int, end: int) -> None:
        """The referrals ``first``..``end - 1`` of the arrivals (one day's) join the run."""
        make = self.fast_day.referral if self.fast_day else make_referral
        for index in range(first, end):
            patient = make(self, index)
            self.add_patient(patient)
            self.queue_triage(patient)
            self.flows.referrals += 1

    def _clinics(self, env: simpy.Environment):
        clinic_day = self._clinic_day
        if self.fast_day:
            clinic_day = self.arrays.clinic_day if self.arrays else self.fast_day.clinic_day
        timeout = env.timeout
        for day in np.flatnonzero(self.calendar.working).tolist():
            yield timeout(day + CLINIC_AT - env.now)
            clinic_day(day)

    def _validations(self, env: simpy.Environment):
        # Compiled, the list lives in arrays and one-off exercises act there; sweeps never run compiled.
        target = self.arrays if self.arrays else self
        for day, job in dated_validations(self.config, self.calendar, self.seed, self.replication):
            yield env.timeout(day + VALIDATION_AT - env.now)
            job(target, day)

    def _census(self, env: simpy.Environment):
        for month, day in enumerate(self.calendar.month_ends):
            yield env.timeout(day + CENSUS_AT - env.now)
            if self.arrays:
                self.arrays.remove_by_wait(day)
                self.arrays.remove_share(self.rules.monthly_removal)
                self.records.append(self.arrays.census(month, day))
                continue
            self._remove_by_wait(day)
            self._remove_share(self.rules.monthly_removal)
            if self.booking is not None:
                self.booking.prune(self.patients)
            self.records.append(census(self, month, day))
            self.flows = MonthFlows(breaches_opening=self.records[-1]["breaches"], breach_since_day=day)

    # ----- a clinic day -----------------------------------------------------------------------
    def _clinic_day(self, day: int) -> None:
        """Triage, then each activity's planned time; unused time then flexes (``_flex``)."""
        for pid in self.rebook_next_day:
            if self.patients[pid].state == State.WAITING_FIRST:
                self.queue_first_contact(self.patients[pid])
        self.rebook_next_day = []
        by_role, planned = self.minutes_by_role[day], self.planned[day]
        self.flows.available_minutes += sum(planned)
        if self.rules.shared_roles:
            free = shared_clinic_day(self, day, by_role, self.rules.shared_roles)
            if any(free):
                self._flex(day, free)
            return
        free = [0.0] * len(by_role)
        for activity, budget in enumerate(planned):
            left, waiting = self._serve(activity, day, budget + self.carry[activity])
            self.carry[activity] = left if waiting else 0.0
            if not waiting and left > 0 and budget > 0:
                share = min(left, budget) / budget
                for role, row in enumerate(by_role):
                    free[role] += row[activity] * share
        if any(free):
            self._flex(day, free)

    def _flex(self, day: int, free: list[float]) -> None:
        """Spend roles' unused time on other activities they may deliver, new patients first."""
        for activity in FLEX_ORDER:
            allowed = [role for role, row in enumerate(self.scope) if row[activity] and free[role] > 0]
            budget = sum(free[role] for role in allowed)
            if budget <= 0:
                continue
            left, _ = self._serve(activity, day, budget)
            for role in allowed:
                free[role] *= left / budget

    def _serve(self, activity: int, day: int, budget: float) -> tuple[float, bool]:
        """Use up to ``budget`` minutes on one activity; return minutes left and whether anyone waits."""
        if activity == TRIAGE:
            return self._triage(day, budget)
        return self._serve_activity(activity, day, budget)

    def _triage(self, day: int, budget: float) -> tuple[float, bool]:
        pending, queue, patients = self.pending, self.triage_queue, self.patients
        while pending and pending[0][0] <= day:
            _, pid = heapq.heappop(pending)
            heapq.heappush(queue, (patients[pid].priority, patients[pid].received, pid))
        cost = self.rules.triage_minutes
        while queue and budget >= cost:
            _, _, pid = heapq.heappop(queue)
            budget -= cost
            self.flows.used_minutes += cost
            self._triage_outcome(patients[pid], day)
        return budget, bool(queue)

    def _triage_outcome(self, patient, day: int) -> None:
        rules = self.rules
        source = self.source_names[patient.source] if patient.source >= 0 else None
        outcome = rules.triage_outcome(patient.triage_draw, source)
        flows = self.flows
        flows.triaged += 1
        if outcome in ("reject", "signpost"):
            self.stop_clock(patient)
            self.move(patient, State.REJECTED if outcome == "reject" else State.SIGNPOSTED)
            if outcome == "reject":
                flows.rejected += 1
            else:
                flows.signposted += 1
            return
        patient.pathway = rules.pathway_names.index(outcome)
        flows.accepted += 1
        flows.demand_minutes += rules.episode_minutes[patient.pathway]
        self.move(patient, State.WAITING_FIRST)
        self.queue_first_contact(patient)

    def _serve_activity(self, activity: int, day: int, budget: float) -> tuple[float, bool]:
        rules = self.rules
        waiting = False
        for kind in rules.activity_types[activity]:
            cost = rules.type_minutes[kind]
            if budget >= cost:
                budget = self._book_sessions(kind, day, budget, cost)
            waiting = waiting or self._has_ready(kind, day)
        return budget, waiting

    def _book_sessions(self, kind: str, day: int, budget: float, cost: float) -> float:
        """Book sessions of one type while minutes last and patients are ready; return minutes left.

        A session sees up to the type's group size; a session nobody comes to is not booked.
        This is the engine's innermost loop (most of a run's time), so lookups are made once.
        """
        rules, flows, attendance = self.rules, self.flows, self.attendance
        group, dna = rules.type_group[kind], rules.type_dna[kind]
        pops = (self._pop_followup, self._pop_first)
        first, second = pops if rules.followups_first else pops[::-1]
        attended, missed = self._attended, self._did_not_attend
        while budget >= cost:
            seen = 0
            for _ in range(group):
                patient = first(kind, day)
                if patient is None:
                    patient = second(kind, day)
                    if patient is None:
                        break
                seen += 1
                if attendance() < dna:
                    missed(patient, day)
                else:
                    attended(patient, day)
            if not seen:
                break
            budget -= cost
            flows.used_minutes += cost
        return budget

    def _pop_first(self, kind: str, day: int):
        """The next first-contact patient: a long waiter in a slot reserved for them, else in order."""
        if self.rules.long_waiter_share:
            aimed = self.long_waiters
            return aimed.book(kind, day, self.rules, self.booking, self.patients, self._pop_in_order)
        return self._pop_in_order(kind, day)

    def _pop_in_order(self, kind: str, day: int):
        if self.booking is not None:
            return self.booking.pop(kind, day, self.patients)
        queue, patients = self.first_queue[kind], self.patients
        while queue:
            _, _, pid, version = heapq.heappop(queue)
            if patients[pid].version == version:
                return patients[pid]
        return None

    def _pop_followup(self, kind: str, day: int):
        queue, patients = self.followup_queue[kind], self.patients
        while queue and queue[0][0] <= day:
            _, pid, version = heapq.heappop(queue)
            if patients[pid].version == version:
                return patients[pid]
        return None

    def _has_ready(self, kind: str, day: int) -> bool:
        patients = self.patients
        if self.booking is not None and self.booking.waiting(kind, patients):
            return True
        first, followup = self.first_queue[kind], self.followup_queue[kind]
        while first and patients[first[0][2]].version != first[0][3]:
            heapq.heappop(first)
        while followup and patients[followup[0][1]].version != followup[0][2]:
            heapq.heappop(followup)
        return bool(first) or bool(followup and followup[0][0] <= day)

    def _attended(self, patient, day: int) -> None:
        rules, flows = self.rules, self.flows
        patient.contacts += 1
        if patient.clock_running and patient.contacts >= rules.clock_stop_contact:
            self.stop_clock(patient, "seen")
            flows.clock_stops += 1
            flows.clock_stop_wait_days += day - patient.clock_start
            patient.clock_stop_day = day
        if patient.state == State.WAITING_FIRST:
            flows.first_contacts += 1
            cdf = rules.followup_cdf[patient.pathway]
            patient.followups_left = bisect.bisect_right(cdf, patient.followup_draw)
            self.move(patient, State.IN_FOLLOWUP)
        else:
            flows.followup_contacts += 1
            patient.followups_left -= 1
            patient.version += 1
        if patient.followups_left <= 0:
            self._discharge(patient)
        else:
            self.queue_followup(patient, day + rules.interval_days[patient.pathway])

    def _did_not_attend(self, patient, day: int) -> None:
        self.flows.dnas += 1
        patient.dnas += 1
        if patient.dnas >= self.rules.dna_discharge_after:
            if patient.state == State.WAITING_FIRST:
                self._remove(patient)
            else:
                self._discharge(patient)
            return
        patient.version += 1
        if patient.state == State.WAITING_FIRST:
            if self.rules.dna_reset and patient.clock_running:
                note_breach_exit(self.flows, patient.clock_start, day, self.target_days, "other")
                patient.clock_start = day
                self.open_clocks[patient.id] = day
            self.rebook_next_day.append(patient.id)
        else:
            self.queue_followup(patient, patient.followup_due, ready=day + 1)

    def _discharge(self, patient) -> None:
        self.stop_clock(patient)
        self.move(patient, State.DISCHARGED)
        self.flows.discharged += 1

    def _remove(self, patient) -> None:
        self.stop_clock(patient, "removed")
        self.move(patient, State.REMOVED)
        self.flows.removed += 1

    def _remove_by_wait(self, day: int) -> None:
        """Removals whose monthly rate depends on weeks waited (``access_policy.removal_by_wait``)."""
        from_days, rates = self.rules.removal_from_days
        if not rates or not self.waiting_first:
            return
        waiting = sorted(self.waiting_first)
        starts = [self.patients[pid].clock_start for pid in waiting]
        for pid in removals_by_wait(waiting, starts, day, from_days, rates, self.removals_rng):
            self._remove(self.patients[pid])

    def _remove_share(self, share: float) -> None:
        """Validation or reneging: remove a random share of those waiting for first contact."""
        if share <= 0 or not self.waiting_first:
            return
        waiting = sorted(self.waiting_first)
        count = self.removals_rng.binomial(len(waiting), share)
        for pid in self.removals_rng.choice(waiting, size=count, replace=False).tolist():
            self._remove(self.patients[pid])
