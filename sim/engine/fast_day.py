"""The fast path of a clinic day: the reference logic of ``ServiceModel`` with its calls inlined.

``ServiceModel`` keeps the readable reference path (``_clinic_day``, ``_serve``,
``_book_sessions``, ``_pop_first``, ``_pop_followup``, ``_has_ready``, ``_attended``, triage).
A run spends most of its time there, in a handful of Python function calls per contact. This
module does the same operations on the same records, heaps and counters in the same order,
with the per-contact calls (pops, attendance draw, attendance, clock stop, state move, follow-up
booking) written out in one loop. It consumes every random stream in the same order, so the
monthly figures are identical (``tests/test_fast_engine.py`` holds it to the reference path).

Rare branches (a did-not-attend, a discharge) call the reference methods themselves, and the
month-end jobs (removals, validation, census) stay in ``ServiceModel``. A configuration the
fast path does not know how to run falls back to the reference path: ``fast_path_supports``.
``DCSIM_ENGINE=reference`` (or ``ServiceModel(..., engine="reference")``) forces it.
The default engine, "fast", runs ``sim.engine.compiled_day`` (numba) where it applies and this
module elsewhere; "interpreted" runs this module only.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from heapq import heappop, heappush
from typing import Any

from sim.engine.config import AccessPolicy, ServiceConfig
from sim.engine.field_types import ACTIVITIES
from sim.engine.patients import Referral, State
from sim.engine.shared_time import shared_clinic_day

TRIAGE = ACTIVITIES.index("triage")
FLEX_ORDER = tuple(ACTIVITIES.index(a) for a in ("new", "followup", "group", "triage"))
ENGINES = ("fast", "interpreted", "reference")
WAITING_FIRST, IN_FOLLOWUP = State.WAITING_FIRST, State.IN_FOLLOWUP
AWAITING_TRIAGE, REJECTED, SIGNPOSTED = State.AWAITING_TRIAGE, State.REJECTED, State.SIGNPOSTED

# What the fast path implements. Booking orders it pops in; access-policy fields whose effect
# it reproduces. A policy field added later (and set away from its default) sends the run to
# the reference path until the fast path learns it.
FAST_BOOKING_ORDERS = frozenset({"priority_then_longest_wait", "longest_wait"})
FAST_POLICY_FIELDS = frozenset(
    {
        "booking_order",
        "long_waiters",
        "clock_stops_at_contact",
        "dna",
        "validation_removal_rate",
        "reneging_rate",
        "followups_first",
        "followup_overdue_weeks",
    }
)


def fast_path_supports(config: ServiceConfig) -> bool:
    """Whether the fast clinic day reproduces the reference path for this (phase's) config.

    The single place to extend when the reference path learns a new option: return False for
    any setting the fast path does not implement.
    """
    policy = config.access_policy
    if policy.booking_order not in FAST_BOOKING_ORDERS:
        return False
    for name, field in AccessPolicy.model_fields.items():
        if name not in FAST_POLICY_FIELDS and getattr(policy, name) != field.get_default(
            call_default_factory=True
        ):
            return False
    return True


# The reference methods whose work the fast path does inline: a model class that overrides
# one (a trace logging each contact, say) runs the reference path so that its override runs.
INLINED = (
    "_clinic_day",
    "_flex",
    "_serve",
    "_triage",
    "_triage_outcome",
    "_serve_activity",
    "_book_sessions",
    "_pop_first",
    "_pop_in_order",
    "_pop_followup",
    "_has_ready",
    "_attended",
    "queue_followup",
    "move",
    "stop_clock",
    "add_patient",
)


def engine_choice(engine: str | None = None) -> str:
    return engine or os.environ.get("DCSIM_ENGINE") or "fast"


def compiled_engine_wanted(engine: str | None = None) -> bool:
    """Whether the compiled kernels may run (``sim.engine.compiled_day``): the "fast" engine only."""
    return engine_choice(engine) == "fast"


def use_fast_path(
    configs: list[ServiceConfig], model_class: type, reference_class: type, engine: str | None = None
) -> bool:
    """Fast path unless asked for the reference (argument, else ``DCSIM_ENGINE``) or unsupported.

    ``configs``: every phase's config. ``model_class`` must not override any ``INLINED``
    method of ``reference_class``.
    """
    choice = engine_choice(engine)
    if choice not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {choice!r}")
    if choice == "reference" or any(
        getattr(model_class, n) is not getattr(reference_class, n) for n in INLINED
    ):
        return False
    return all(fast_path_supports(config) for config in configs)


class FastDay:
    """A clinic day on a ``ServiceModel``'s own state; ``clinic_day`` replaces ``_clinic_day``."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.carry = model.carry  # the same list: shared_clinic_day updates it in place
        self._days = model.arrivals.day.tolist()
        self._priorities = model.arrivals.priority.tolist()

    # ----- referrals --------------------------------------------------------------------------
    def referral(self, model: Any, index: int) -> Referral:
        """``patients.make_referral`` from lists instead of numpy scalars (same values)."""
        day = float(self._days[index])
        return Referral(
            id=len(model.patients),
            received=day,
            priority=int(self._priorities[index]),
            source=model.arrival_sources[index],
            state=AWAITING_TRIAGE,
            clock_start=day,
            triage_draw=model.triage_draws[index],
            followup_draw=model.followup_draws[index],
        )

    # ----- a clinic day -------------------------------------------------------------------------
    def clinic_day(self, day: int) -> None:
        """As ``ServiceModel._clinic_day``."""
        model = self.model
        patients = model.patients
        for pid in model.rebook_next_day:
            if patients[pid].state == WAITING_FIRST:
                model.queue_first_contact(patients[pid])
        model.rebook_next_day = []
        by_role, planned = model.minutes_by_role[day], model.planned[day]
        model.flows.available_minutes += sum(planned)
        shared = model.rules.shared_roles
        if shared:
            free = shared_clinic_day(self, day, by_role, shared)
            if any(free):
                self._flex(day, free)
            return
        carry = self.carry
        free = [0.0] * len(by_role)
        for activity, budget in enumerate(planned):
            left, waiting = self._serve(activity, day, budget + carry[activity])
            carry[activity] = left if waiting else 0.0
            if not waiting and left > 0 and budget > 0:
                share = min(left, budget) / budget
                for role, row in enumerate(by_role):
                    free[role] += row[activity] * share
        if any(free):
            self._flex(day, free)

    def _flex(self, day: int, free: list[float]) -> None:
        """As ``ServiceModel._flex``."""
        scope = self.model.scope
        for activity in FLEX_ORDER:
            allowed = [role for role, row in enumerate(scope) if row[activity] and free[role] > 0]
            budget = sum(free[role] for role in allowed)
            if budget <= 0:
                continue
            left, _ = self._serve(activity, day, budget)
            for role in allowed:
                free[role] *= left / budget

    def _serve(self, activity: int, day: int, budget: float) -> tuple[float, bool]:
        """As ``ServiceModel._serve`` (with ``_serve_activity`` and ``_has_ready``)."""
        if activity == TRIAGE:
            return self._triage(day, budget)
        model = self.model
        rules, patients = model.rules, model.patients
        waiting = False
        for kind in rules.activity_types[activity]:
            cost = rules.type_minutes[kind]
            if budget >= cost:
                budget = self._book_sessions(kind, day, budget, cost)
            if not waiting:
                first, followup = model.first_queue[kind], model.followup_queue[kind]
                while first and patients[first[0][2]].version != first[0][3]:
                    heappop(first)
                while followup and patients[followup[0][1]].version != followup[0][2]:
                    heappop(followup)
                waiting = bool(first) or bool(followup and followup[0][0] <= day)
        return budget, waiting

    def _triage(self, day: int, budget: float) -> tuple[float, bool]:
        """As ``ServiceModel._triage`` and ``_triage_outcome``."""
        model = self.model
        pending, queue, patients = model.pending, model.triage_queue, model.patients
        while pending and pending[0][0] <= day:
            _, pid = heappop(pending)
            heappush(queue, (patients[pid].priority, patients[pid].received, pid))
        rules, flows = model.rules, model.flows
        cost = rules.triage_minutes
        if not (queue and budget >= cost):
            return budget, bool(queue)
        state_count, waiting_first, names = model.state_count, model.waiting_first, model.source_names
        pathway_index = {name: number for number, name in enumerate(rules.pathway_names)}
        while queue and budget >= cost:
            _, _, pid = heappop(queue)
            budget -= cost
            flows.used_minutes += cost
            patient = patients[pid]
            source = names[patient.source] if patient.source >= 0 else None
            outcome = rules.triage_outcome(patient.triage_draw, source)
            flows.triaged += 1
            if outcome == "reject" or outcome == "signpost":
                model.stop_clock(patient)
                model.move(patient, REJECTED if outcome == "reject" else SIGNPOSTED)
                if outcome == "reject":
                    flows.rejected += 1
                else:
                    flows.signposted += 1
                continue
            patient.pathway = pathway_index[outcome]
            flows.accepted += 1
            flows.demand_minutes += rules.episode_minutes[patient.pathway]
            state_count[patient.state] -= 1
            state_count[WAITING_FIRST] += 1
            if patient.state == WAITING_FIRST:
                waiting_first.discard(pid)
            waiting_first.add(pid)
            patient.state = WAITING_FIRST
            patient.version += 1
            model.queue_first_contact(patient)
        return budget, bool(queue)

    def _book_sessions(self, kind: str, day: int, budget: float, cost: float) -> float:
        """As ``ServiceModel._book_sessions`` with the pops, draws and ``_attended`` inlined."""
        model = self.model
        rules, flows, patients = model.rules, model.flows, model.patients
        group, dna = rules.type_group[kind], rules.type_dna[kind]
        first_queue, followup_queue = model.first_queue[kind], model.followup_queue[kind]
        followups_first = rules.followups_first
        stop_at, followup_cdf = rules.clock_stop_contact, rules.followup_cdf
        interval_days, followup_type = rules.interval_days, rules.followup_type
        queues, open_clocks = model.followup_queue, model.open_clocks
        state_count, waiting_first = model.state_count, model.waiting_first
        limit = model.target_days / 7  # as note_breach_exit compares
        missed, discharge = model._did_not_attend, model._discharge
        attendance = model.attendance
        block, draw = attendance._block, attendance._next
        size = len(block)
        # Slots aimed at long waiters: the reference pop itself, so both paths book the same patient.
        pop_first = model._pop_first if rules.long_waiter_share else None
        while budget >= cost:
            seen = 0
            for _ in range(group):
                patient = None  # _pop_followup then _pop_first, or the other way round
                if followups_first:
                    while followup_queue and followup_queue[0][0] <= day:
                        _, pid, version = heappop(followup_queue)
                        if patients[pid].version == version:
                            patient = patients[pid]
                            break
                if patient is None and pop_first is not None:
                    patient = pop_first(kind, day)
                elif patient is None:
                    while first_queue:
                        _, _, pid, version = heappop(first_queue)
                        if patients[pid].version == version:
                            patient = patients[pid]
                            break
                if patient is None and not followups_first:
                    while followup_queue and followup_queue[0][0] <= day:
                        _, pid, version = heappop(followup_queue)
                        if patients[pid].version == version:
                            patient = patients[pid]
                            break
                if patient is None:
                    break
                seen += 1
                if draw >= size:
                    block = attendance._rng.random(attendance._size).tolist()
                    size, draw = len(block), 0
                u = block[draw]
                draw += 1
                if u < dna:
                    attendance._block, attendance._next = block, draw
                    missed(patient, day)
                    continue
                # ServiceModel._attended
                patient.contacts += 1
                if patient.clock_running and patient.contacts >= stop_at:
                    start = patient.clock_start
                    if (day - start) / 7 > limit:  # note_breach_exit(..., "seen")
                        flows.breach_seen += 1
                        if (flows.breach_since_day - start) / 7 <= limit:
                            flows.breach_crossed_and_left += 1
                    patient.clock_running = False
                    del open_clocks[patient.id]
                    flows.clock_stops += 1
                    flows.clock_stop_wait_days += day - start
                    patient.clock_stop_day = day
                if patient.state == WAITING_FIRST:
                    flows.first_contacts += 1
                    patient.followups_left = bisect_right(
                        followup_cdf[patient.pathway], patient.followup_draw
                    )
                    state_count[WAITING_FIRST] -= 1
                    state_count[IN_FOLLOWUP] += 1
                    waiting_first.discard(patient.id)
                    patient.state = IN_FOLLOWUP
                else:
                    flows.followup_contacts += 1
                    patient.followups_left -= 1
                patient.version += 1
                if patient.followups_left <= 0:
                    discharge(patient)
                else:
                    due = day + interval_days[patient.pathway]
                    patient.followup_due = due
                    heappush(queues[followup_type[patient.pathway]], (due, patient.id, patient.version))
            if not seen:
                break
            budget -= cost
            flows.used_minutes += cost
        attendance._block, attendance._next = block, draw
        return budget
