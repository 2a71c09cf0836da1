"""The compiled engine: a run's patients and queues in arrays, its clinic days in numba.

``ServiceModel`` seeds its starting snapshot as usual; when the run starts, ``CompiledDay`` copies
the patients, the queues (heap lists, layout and all, into one array), the month's flows and the
stock counts into arrays, and from then on the SimPy processes call it instead of the model's own methods:
receipts, clinic days, removals and the census. ``sim.engine.compiled_kernels`` does the work,
statement for statement as the reference path, so the monthly records are identical
(``tests/test_fast_engine.py`` holds all three paths to each other).

Random numbers: every stream is drawn by the same numpy Generators, with the same calls, in the
same order. Attendance draws come from their own stream in the reference's blocks of 4096; the
kernels cannot call a Generator, so blocks are drawn before a clinic day, enough for the most
contacts the day's minutes could buy. Drawing a block early changes nothing, because nothing
else draws from that stream.

Anything the kernels do not implement runs the Python fast path instead (``compiled_supports``).
After the run ``model.patients`` is a read-only view of the arrays as ``Referral`` records.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from sim.engine.census import FLOW_NAMES, MonthFlows, assemble_record
from sim.engine.patients import Referral, State

# Methods the compiled engine replaces besides fast_day.INLINED: a model class overriding one
# (a trace, a banded census) keeps the Python paths so that its override runs.
REPLACED = (
    "_receipts", "_clinics", "_census", "_validations", "_phase_changes", "_remove_by_wait",
    "_remove_share", "_remove", "_discharge", "_did_not_attend", "queue_first_contact",
    "queue_triage", "run",
)  # fmt: skip
FLOW_FIELDS = dataclasses.fields(MonthFlows)
FLOW_TYPES = tuple(type(f.default) for f in FLOW_FIELDS)  # ints back to int in the records
FLOW_DEFAULTS = [f.default for f in FLOW_FIELDS]
# A patient's columns in the arrays: PF's floats and PI's ints, in compiled_kernels' order.
FLOAT_FIELDS = "received clock_start clock_stop_day followup_due triage_draw followup_draw".split()
INT_FIELDS = "priority state pathway contacts dnas followups_left version source clock_running".split()


def entry_point(dispatcher: Any, args: tuple) -> Any:
    """The compiled kernel for these arguments' types, to call without its dispatcher.

    On each call a numba dispatcher works out every argument's type to pick the compiled
    version; with a clinic day's 28 arguments (a typed list among them) that took about as long
    as a baseline clinic day's own work. A run's arguments keep their types, so it is done once.
    """
    key = (dispatcher, tuple(_shape_of(a) for a in args))
    if key not in _ENTRIES:  # numba's typeof of a typed list is slow: once per process, not per run
        _ENTRIES[key] = dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in args))
    return _ENTRIES[key]


_ENTRIES: dict[tuple, Any] = {}


def _shape_of(value: Any) -> tuple:
    """What fixes an argument's numba type, cheaply: arrays by dtype, dimensions and layout, typed
    lists by the type they carry, scalars by their Python type."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.ndim, value.flags.c_contiguous, value.flags.f_contiguous)
    return (type(value).__module__, type(value).__qualname__, str(getattr(value, "_numba_type_", "")))


def compiled_supports(model: Any, reference_class: type) -> bool:
    """Whether the kernels reproduce this model's run: else the Python fast path runs it."""
    if sys.version_info >= (3, 12):  # sum() of floats compensates there; the kernels add plainly
        return False
    if any(getattr(type(model), n) is not getattr(reference_class, n) for n in REPLACED):
        return False
    if model.booking is not None or model.long_waiters is not None:
        return False
    if any(event.validation_sweep for event in model.config.events):  # sweeps read patients one by one
        return False
    try:
        import sim.engine.compiled_kernels  # noqa: F401  (numba)
    except ImportError:
        return False
    kinds = list(model.first_queue)
    for phase, rules in zip(model.phases, model.rules_by_phase, strict=True):
        if list(phase.config.appointment_types) != kinds or min(rules.type_minutes.values()) <= 0:
            return False
        if any(o not in ("reject", "signpost", *rules.pathway_names) for o in rules.outcome_names):
            return False
        for kind, cdf in zip(rules.followup_type, rules.followup_cdf, strict=True):
            if kind is None and cdf[0] < 1.0:  # follow-ups with nowhere to book them
                return False
        if len({len(cdf) for cdf in rules.followup_cdf}) != 1:
            return False
    return True


def phase_arrays(model: Any, rules: Any, scope: list, per_minute: float) -> tuple:
    """One phase's rules as the kernels' arguments (from ``R_f`` to ``shared``, in order)."""
    kinds = list(model.first_queue)
    names = model.source_names
    outcome_rows = [rules.outcome_cdf] + [
        rules.source_outcome_cdf.get(name, rules.outcome_cdf) if name else rules.outcome_cdf
        for name in names
    ]
    code = {"reject": -1, "signpost": -2} | {p: i for i, p in enumerate(rules.pathway_names)}
    activity = np.full(len(kinds), -1, dtype=np.int64)
    for number, types in enumerate(rules.activity_types):
        for kind in types:
            activity[kinds.index(kind)] = number
    flags = [rules.order_by_priority, rules.clock_stop_contact, rules.dna_reset, rules.dna_discharge_after,
             rules.followups_first, len(kinds)]  # fmt: skip
    return (
        np.array([rules.triage_minutes, model.target_days / 7, per_minute], dtype=float),
        np.array([int(f) for f in flags], dtype=np.int64),
        np.array(outcome_rows, dtype=float),
        np.array([code[o] for o in rules.outcome_names], dtype=np.int64),
        np.array([kinds.index(k) for k in rules.first_type], dtype=np.int64),
        np.array(rules.episode_minutes, dtype=float),
        np.array([rules.type_minutes[k] for k in kinds], dtype=float),
        np.array([rules.type_dna[k] for k in kinds], dtype=float),
        np.array([rules.type_group[k] for k in kinds], dtype=np.int64),
        activity,
        np.array(rules.followup_cdf, dtype=float),
        np.array(rules.interval_days, dtype=float),
        np.array([kinds.index(k) if k else 0 for k in rules.followup_type], dtype=np.int64),
        np.array(scope, dtype=np.bool_),
        np.array(rules.shared_roles, dtype=float).reshape(-1, 3),
    )


def _heaps(queues: list[list[tuple]]) -> np.ndarray:
    """Heap lists as one array of rows of four columns (shorter tuples padded with 0), room to grow."""
    heaps = np.zeros((len(queues), 2 * max(map(len, queues)) + 64, 4))
    for h, entries in enumerate(queues):
        if entries:  # one queue's entries are tuples of one length
            width = len(entries[0])
            rows = np.fromiter(chain.from_iterable(entries), float, width * len(entries))
            heaps[h, : len(entries), :width] = rows.reshape(-1, width)
    return heaps


class CompiledDay:
    """A ``ServiceModel``'s run state in arrays, and the processes' work on it."""

    def __init__(self, model: Any) -> None:
        from sim.engine import compiled_census
        from sim.engine import compiled_kernels as k

        self.k, self.c, self.model = k, compiled_census, model
        # Most contacts a minute of clinic can buy: bounds the attendance draws a day may need.
        per_minute = max(max(r.type_group.values()) / min(r.type_minutes.values())
                         for r in model.rules_by_phase)  # fmt: skip
        self.phase = {
            id(r): phase_arrays(model, r, s, per_minute)
            for r, s in zip(model.rules_by_phase, model.scope_by_phase, strict=True)
        }
        self.triage_delay = {id(r): np.asarray(r.triage_delay, dtype=float) for r in model.rules_by_phase}
        seeded, arrivals = model.patients, model.arrivals
        total = len(seeded) + arrivals.day.size
        self.PF, self.PI = np.zeros((total, 6)), np.zeros((total, 9), dtype=np.int64)
        if seeded:  # patient ids are their places in the list
            for columns, fields in ((self.PF, FLOAT_FIELDS), (self.PI, INT_FIELDS)):
                for column, field in enumerate(fields):  # a field at a time: a third faster than rows
                    values = map(attrgetter(field), seeded)
                    columns[: len(seeded), column] = np.fromiter(values, columns.dtype, len(seeded))
        new = slice(len(seeded), total)
        self.PF[new, k.RECEIVED] = self.PF[new, k.CLOCK_START] = arrivals.day.astype(float)
        self.PF[new, k.CLOCK_STOP_DAY] = self.PF[new, k.FOLLOWUP_DUE] = np.nan
        self.PF[new, k.TRIAGE_DRAW], self.PF[new, k.FOLLOWUP_DRAW] = model.triage_draws, model.followup_draws
        self.PI[new, k.PRIORITY], self.PI[new, k.SOURCE] = arrivals.priority, model.arrival_sources
        self.PI[new, k.STATE], self.PI[new, k.PATHWAY], self.PI[new, k.RUNNING] = k.AWAITING_TRIAGE, -1, 1
        queues = [model.pending, model.triage_queue, *model.first_queue.values()]
        queues += model.followup_queue.values()
        self.heaps = _heaps(queues)
        self.sizes = np.array([len(q) for q in queues], dtype=np.int64)
        self.FL = np.array([getattr(model.flows, f.name) for f in FLOW_FIELDS], dtype=float)
        self.SC = np.array(model.state_count, dtype=np.int64)
        self.ST = np.array([len(seeded), 0, 0], dtype=np.int64)
        self.rebook = np.zeros(total + 1, dtype=np.int64)
        self.carry = np.array(model.carry, dtype=float)
        block = model.attendance
        self.att = np.array(block._block[block._next :], dtype=float)
        # Their rows are clinic days' arguments: C-contiguous float64, the types its entry point takes.
        self.minutes = np.ascontiguousarray(model.minutes, dtype=float)
        self.planned = np.ascontiguousarray(model.planned_minutes, dtype=float)
        self.kinds = len(model.first_queue)
        self.limit = model.target_days / 7
        self.entries: dict[str, Any] = {}
        self._bind()

    def _entry(self, name: str, module: Any, args: tuple) -> Any:
        """``entry_point`` of a kernel, found on its first call in the run (the types never change)."""
        if name not in self.entries:
            self.entries[name] = entry_point(getattr(module, name), args)
        return self.entries[name]

    def _bind(self) -> None:
        """Each phase's kernels and their arguments after the first ones (when an array is replaced).

        Made once, not on each call: a baseline run makes about 1,800 receipt and clinic-day calls.
        """
        k = self.k
        state = (self.PF, self.PI, self.heaps, self.sizes, self.FL, self.SC, self.ST)
        day_state = (self.minutes, self.planned, *state, self.att, self.rebook, self.carry)
        self.calls = {}
        for key, arrays in self.phase.items():
            day_args, receive_args = day_state + arrays, state + (self.triage_delay[key],)
            self.calls[key] = (
                self._entry("clinic_day", k, (0, *day_args)), day_args,
                self._entry("receive", k, (0, 0, *receive_args)), receive_args,
            )  # fmt: skip

    # ----- processes ---------------------------------------------------------------------------
    def receive(self, first: int, end: int) -> None:
        """Arrival rows ``first``..``end - 1`` join (``ServiceModel._receive``)."""
        _, _, kernel, args = self.calls[id(self.model.rules)]
        need = kernel(first, end, *args)
        if need:  # the kernel changed nothing: bigger heaps, then the same call
            self._grow(-need)
            _, _, kernel, args = self.calls[id(self.model.rules)]
            kernel(first, end, *args)

    def clinic_day(self, day: int) -> None:
        """``ServiceModel._clinic_day``."""
        kernel, args, _, _ = self.calls[id(self.model.rules)]
        need = kernel(day, *args)
        while need:  # the kernel changed nothing: more draws, or bigger heaps, then run the day
            if need > 0:
                self._draw_attendance(need)
            else:
                self._grow(-need)
            kernel, args, _, _ = self.calls[id(self.model.rules)]
            need = kernel(day, *args)

    def _grow(self, capacity: int) -> None:
        """Heaps with room for ``capacity`` rows each (at least twice as many as now)."""
        heaps = np.zeros((self.heaps.shape[0], max(capacity, 2 * self.heaps.shape[1]), 4))
        heaps[:, : self.heaps.shape[1]] = self.heaps
        self.heaps = heaps
        self._bind()

    def _draw_attendance(self, need: int) -> None:
        """More attendance draws, in the reference's blocks, after those not yet used."""
        block = self.model.attendance
        parts = [self.att[self.ST[self.k.ATT_NEXT] :]]
        have = parts[0].size
        while have < need:
            parts.append(block._rng.random(block._size))
            have += parts[-1].size
        self.att = np.concatenate(parts)
        self.ST[self.k.ATT_NEXT] = 0
        self._bind()

    def _waiting(self) -> np.ndarray:
        args = (self.PI, int(self.ST[self.k.N_PATIENTS]))
        return self._entry("waiting_first", self.c, args)(*args)

    def _remove(self, pids: Any) -> None:
        """Remove these patients in turn, in one kernel call."""
        pids = np.asarray(pids, dtype=np.int64)
        if pids.size:
            args = (self.PF, self.PI, self.FL, self.SC, pids, int(self.model.env.now), self.limit)
            self._entry("remove_all", self.c, args)(*args)

    def remove_by_wait(self, day: int) -> None:
        """``ServiceModel._remove_by_wait``."""
        from sim.engine.booking import removals_by_wait

        from_days, rates = self.model.rules.removal_from_days
        if not rates:
            return
        waiting = self._waiting()
        if not waiting.size:
            return
        starts = self.PF[waiting, self.k.CLOCK_START].tolist()
        rng = self.model.removals_rng
        self._remove(removals_by_wait(waiting.tolist(), starts, day, from_days, rates, rng))

    def remove_share(self, share: float) -> None:
        """``ServiceModel._remove_share``."""
        if share <= 0:
            return
        waiting = self._waiting()
        if not waiting.size:
            return
        rng = self.model.removals_rng  # the reference draws from a list of the same ids: the same draws
        count = rng.binomial(waiting.size, share)
        self._remove(rng.choice(waiting, size=count, replace=False))

    _remove_share = remove_share  # the name a one-off validation calls (list_validation.ValidatedList)

    def census(self, month: int, day: int) -> dict:
        """``census.census``, and the next month's flows started as ``ServiceModel._census`` does."""
        c, model = self.c, self.model
        args = (day, int(self.ST[self.k.N_PATIENTS]), self.PF, self.PI, self.heaps, self.sizes, self.FL,
                self.kinds, self.limit, float(day - model.rules.overdue_days))  # fmt: skip
        out, waits = self._entry("census_figures", c, args)(*args)
        figures = out.tolist()
        count = int(figures[c.WAITING])
        stocks = {
            "waiting": count,
            "breaches": int(figures[c.BREACHES]),
            "wait_p50_weeks": figures[c.WAIT_P50],
            "wait_p92_weeks": figures[c.WAIT_P92],
            "max_wait_weeks": figures[c.WAIT_MAX],
            "wait_mean_weeks": float(waits.mean()) if count else 0.0,  # numpy's pairwise sum
        }
        overdue = {
            "followup_overdue": int(figures[c.OVERDUE]),
            "followup_overdue_p50_weeks": figures[c.OVERDUE_P50],
            "followup_overdue_p92_weeks": figures[c.OVERDUE_P92],
            "followup_overdue_max_weeks": figures[c.OVERDUE_MAX],
        }
        values = zip(FLOW_NAMES, FLOW_TYPES, self.FL.tolist(), strict=True)
        flows = {name: kind(v) for name, kind, v in values}
        still, due_by = int(figures[c.STILL_WAITING]), int(figures[c.DUE_BY])
        record = assemble_record(flows, stocks, still, due_by, overdue, self.SC.tolist(), model, month)
        self.FL[:] = FLOW_DEFAULTS
        self.FL[self.k.BREACHES_OPENING], self.FL[self.k.BREACH_SINCE] = record["breaches"], day
        return record

    def finish(self) -> None:
        """Leave the model's own stocks as the run ended them, its patients as a view of the arrays."""
        model = self.model
        model.patients = ArrayPatients(self.PF, self.PI, int(self.ST[self.k.N_PATIENTS]))
        model.state_count = self.SC.tolist()
        model.carry[:] = self.carry.tolist()


class ArrayPatients(Sequence):
    """The run's patients as ``Referral`` records, made when read (most runs never read them)."""

    def __init__(self, PF: np.ndarray, PI: np.ndarray, n: int) -> None:
        self.PF, self.PI, self.n = PF, PI, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.n))]
        if not -self.n <= index < self.n:
            raise IndexError(index)
        index %= self.n
        received, start, stopped, due, triage, followup = self.PF[index].tolist()
        priority, state, pathway, contacts, dnas, left, version, source, running = self.PI[index].tolist()
        return Referral(index, received, priority, State(state), start, bool(running), pathway, triage,
                        followup, contacts, dnas, left, version, stopped, source, due)  # fmt: skip
