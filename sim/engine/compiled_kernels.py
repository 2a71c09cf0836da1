"""Compiled (numba) kernels of the clinic day, on arrays: the reference logic, statement for statement.

``sim.engine.compiled_day`` holds a run's patients and queues in arrays and calls these once a
clinic day, once a receipt day and once per removal. Each function here mirrors a reference
method of ``ServiceModel`` (named in its docstring) and does the same arithmetic on the same
float64 values in the same order, so the monthly figures are identical to the last bit
(``tests/test_fast_engine.py``). Sums are taken left to right as Python 3.11's ``sum`` does;
``compiled_day`` does not run on a Python whose ``sum`` compensates (3.12 on).

Queues are the heaps of ``sim.engine.compiled_heaps``, indexed: pending triage, the triage
queue, then first contacts and follow-ups by appointment type.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.compiled_heaps import pop, push, room

# Patient columns: floats in PF, ints in PI.
RECEIVED, CLOCK_START, CLOCK_STOP_DAY, FOLLOWUP_DUE, TRIAGE_DRAW, FOLLOWUP_DRAW = range(6)
PRIORITY, STATE, PATHWAY, CONTACTS, DNAS, LEFT, VERSION, SOURCE, RUNNING = range(9)
# States, as sim.engine.patients.State.
AWAITING_TRIAGE, WAITING_FIRST, IN_FOLLOWUP, DISCHARGED, REMOVED, REJECTED, SIGNPOSTED = range(7)
# Flow counters, in MonthFlows field order.
(REFERRALS, TRIAGED, ACCEPTED, SIGNPOSTED_N, REJECTED_N, FIRST_CONTACTS, CLOCK_STOPS, STOP_WAIT_DAYS,
 FOLLOWUP_CONTACTS, DNAS_N, REMOVED_N, DISCHARGED_N, AVAILABLE, USED, DEMAND, BREACHES_OPENING,
 BREACH_SINCE, CROSSED_AND_LEFT, BREACH_SEEN, BREACH_REMOVED, BREACH_OTHER) = range(21)  # fmt: skip
# Run counters in ST.
N_PATIENTS, ATT_NEXT, N_REBOOK = range(3)
PENDING, TRIAGE_QUEUE, FIRST0 = 0, 1, 2
# Activities, as sim.engine.field_types.ACTIVITIES; FLEX_ORDER as the reference's.
TRIAGE, NEW, FOLLOWUP, GROUP = 0, 1, 2, 3
FLEX_ORDER = (NEW, FOLLOWUP, GROUP, TRIAGE)
# Rule scalars: R_f floats, R_i ints.
TRIAGE_MINUTES, LIMIT_WEEKS, CONTACTS_PER_MINUTE = 0, 1, 2
BY_PRIORITY, STOP_AT, DNA_RESET, DNA_DISCHARGE_AFTER, FOLLOWUPS_FIRST, N_KINDS = range(6)


@njit(cache=True)
def pysum(values):
    """Python 3.11's sum() of floats: left to right from 0."""
    total = 0.0
    for value in values:
        total += value
    return total


# ----- patient movements ------------------------------------------------------------------------
@njit(cache=True)
def _move(PI, SC, pid, state):
    """ServiceModel.move."""
    SC[PI[pid, STATE]] -= 1
    SC[state] += 1
    PI[pid, STATE] = state
    PI[pid, VERSION] += 1


@njit(cache=True)
def _breach_exit(FL, start, day, limit, why):
    """census.note_breach_exit."""
    if (day - start) / 7 <= limit:
        return
    FL[why] += 1
    if (FL[BREACH_SINCE] - start) / 7 <= limit:
        FL[CROSSED_AND_LEFT] += 1


@njit(cache=True)
def _stop_clock(PF, PI, FL, pid, day, limit, why):
    """ServiceModel.stop_clock."""
    if PI[pid, RUNNING]:
        _breach_exit(FL, PF[pid, CLOCK_START], day, limit, why)
        PI[pid, RUNNING] = 0


@njit(cache=True)
def remove(PF, PI, FL, SC, pid, day, limit):
    """ServiceModel._remove."""
    _stop_clock(PF, PI, FL, pid, day, limit, BREACH_REMOVED)
    _move(PI, SC, pid, REMOVED)
    FL[REMOVED_N] += 1


@njit(cache=True)
def _discharge(PF, PI, FL, SC, pid, day, limit):
    """ServiceModel._discharge."""
    _stop_clock(PF, PI, FL, pid, day, limit, BREACH_OTHER)
    _move(PI, SC, pid, DISCHARGED)
    FL[DISCHARGED_N] += 1


@njit(cache=True)
def _queue_first(PF, PI, heaps, sizes, pid, R_i, first_type):
    """ServiceModel.queue_first_contact (booking order only: no weighted booking, no long waiters)."""
    rank = PI[pid, PRIORITY] if R_i[BY_PRIORITY] else 0
    h = FIRST0 + first_type[PI[pid, PATHWAY]]
    push(heaps, sizes, h, rank, PF[pid, CLOCK_START], pid, PI[pid, VERSION])


@njit(cache=True)
def receive(first, end, PF, PI, heaps, sizes, FL, SC, ST, triage_delay):
    """ServiceModel._receive: arrivals first..end-1 (their rows filled at set-up) join the run.

    Returns 0, or minus the heap capacity needed (changing nothing) when the pending heap might fill.
    """
    capacity = room(sizes, heaps.shape[1], end - first)
    if capacity:
        return -capacity
    start = ST[N_PATIENTS]  # the next patient id: the arrivals' rows follow the snapshot's
    for pid in range(start, start + end - first):
        ST[N_PATIENTS] = pid + 1
        SC[AWAITING_TRIAGE] += 1  # add_patient; the clock runs from receipt
        push(heaps, sizes, PENDING, PF[pid, RECEIVED] + triage_delay[PI[pid, PRIORITY]], pid, 0.0, 0.0)
        FL[REFERRALS] += 1
    return 0


# ----- a clinic day ---------------------------------------------------------------------------
@njit(cache=True)
def _triage(day, budget, PF, PI, heaps, sizes, FL, SC, R_f, R_i, OC, OCODE, first_type, episode):
    """ServiceModel._triage and _triage_outcome."""
    while sizes[PENDING] and heaps[PENDING, 0, 0] <= day:
        _, p, _, _ = pop(heaps, sizes, PENDING)
        pid = int(p)
        push(heaps, sizes, TRIAGE_QUEUE, PI[pid, PRIORITY], PF[pid, RECEIVED], pid, 0.0)
    cost = R_f[TRIAGE_MINUTES]
    while sizes[TRIAGE_QUEUE] and budget >= cost:
        _, _, p, _ = pop(heaps, sizes, TRIAGE_QUEUE)
        pid = int(p)
        budget -= cost
        FL[USED] += cost
        cdf = OC[PI[pid, SOURCE] + 1]  # row 0: no source (or one without its own mix)
        u = PF[pid, TRIAGE_DRAW]
        outcome = OCODE[OCODE.size - 1]
        for k in range(OCODE.size):
            if u < cdf[k]:
                outcome = OCODE[k]
                break
        FL[TRIAGED] += 1
        if outcome < 0:  # -1 reject, -2 signpost
            _stop_clock(PF, PI, FL, pid, day, R_f[LIMIT_WEEKS], BREACH_OTHER)
            _move(PI, SC, pid, REJECTED if outcome == -1 else SIGNPOSTED)
            FL[REJECTED_N if outcome == -1 else SIGNPOSTED_N] += 1
            continue
        PI[pid, PATHWAY] = outcome
        FL[ACCEPTED] += 1
        FL[DEMAND] += episode[outcome]
        _move(PI, SC, pid, WAITING_FIRST)
        _queue_first(PF, PI, heaps, sizes, pid, R_i, first_type)
    return budget, sizes[TRIAGE_QUEUE] > 0


@njit(cache=True)
def _pop_valid(heaps, sizes, h, PI, day, due_only):
    """_pop_first / _pop_followup: the next entry whose version is current, or -1."""
    while sizes[h]:
        if due_only and heaps[h, 0, 0] > day:
            return -1
        if due_only:
            _, p, v, _ = pop(heaps, sizes, h)
        else:
            _, _, p, v = pop(heaps, sizes, h)
        if PI[int(p), VERSION] == v:
            return int(p)
    return -1


@njit(cache=True)
def _book_sessions(kind, day, budget, cost, PF, PI, heaps, sizes, FL, SC, ST, att, rebook, R_f, R_i,
                   tdna, tgroup, FC, interval, followup_type):  # fmt: skip
    """ServiceModel._book_sessions with _attended and _did_not_attend."""
    group, dna, limit = tgroup[kind], tdna[kind], R_f[LIMIT_WEEKS]
    first_h, followup_h = FIRST0 + kind, FIRST0 + R_i[N_KINDS] + kind
    while budget >= cost:
        seen = 0
        for _ in range(group):
            if R_i[FOLLOWUPS_FIRST]:
                pid = _pop_valid(heaps, sizes, followup_h, PI, day, True)
                if pid < 0:
                    pid = _pop_valid(heaps, sizes, first_h, PI, day, False)
            else:
                pid = _pop_valid(heaps, sizes, first_h, PI, day, False)
                if pid < 0:
                    pid = _pop_valid(heaps, sizes, followup_h, PI, day, True)
            if pid < 0:
                break
            seen += 1
            if ST[ATT_NEXT] >= att.size:
                raise IndexError("attendance draws ran out: the day's bound is wrong")
            u = att[ST[ATT_NEXT]]
            ST[ATT_NEXT] += 1
            if u < dna:  # _did_not_attend
                FL[DNAS_N] += 1
                PI[pid, DNAS] += 1
                if PI[pid, DNAS] >= R_i[DNA_DISCHARGE_AFTER]:
                    if PI[pid, STATE] == WAITING_FIRST:
                        remove(PF, PI, FL, SC, pid, day, limit)
                    else:
                        _discharge(PF, PI, FL, SC, pid, day, limit)
                    continue
                PI[pid, VERSION] += 1
                if PI[pid, STATE] == WAITING_FIRST:
                    if R_i[DNA_RESET] and PI[pid, RUNNING]:
                        _breach_exit(FL, PF[pid, CLOCK_START], day, limit, BREACH_OTHER)
                        PF[pid, CLOCK_START] = day
                    rebook[ST[N_REBOOK]] = pid
                    ST[N_REBOOK] += 1
                else:  # queue_followup(patient, followup_due, ready=day + 1)
                    h = FIRST0 + R_i[N_KINDS] + followup_type[PI[pid, PATHWAY]]
                    push(heaps, sizes, h, day + 1, pid, PI[pid, VERSION], 0.0)
                continue
            PI[pid, CONTACTS] += 1  # _attended
            if PI[pid, RUNNING] and PI[pid, CONTACTS] >= R_i[STOP_AT]:
                start = PF[pid, CLOCK_START]
                _breach_exit(FL, start, day, limit, BREACH_SEEN)
                PI[pid, RUNNING] = 0
                FL[CLOCK_STOPS] += 1
                FL[STOP_WAIT_DAYS] += day - start
                PF[pid, CLOCK_STOP_DAY] = day
            pathway = PI[pid, PATHWAY]
            if PI[pid, STATE] == WAITING_FIRST:
                FL[FIRST_CONTACTS] += 1
                PI[pid, LEFT] = np.searchsorted(FC[pathway], PF[pid, FOLLOWUP_DRAW], side="right")
                _move(PI, SC, pid, IN_FOLLOWUP)
            else:
                FL[FOLLOWUP_CONTACTS] += 1
                PI[pid, LEFT] -= 1
                PI[pid, VERSION] += 1
            if PI[pid, LEFT] <= 0:
                _discharge(PF, PI, FL, SC, pid, day, limit)
            else:
                due = day + interval[pathway]
                PF[pid, FOLLOWUP_DUE] = due
                h = FIRST0 + R_i[N_KINDS] + followup_type[pathway]
                push(heaps, sizes, h, due, pid, PI[pid, VERSION], 0.0)
        if not seen:
            break
        budget -= cost
        FL[USED] += cost
    return budget


@njit(cache=True)
def _serve(activity, day, budget, PF, PI, heaps, sizes, FL, SC, ST, att, rebook, R_f, R_i, OC, OCODE,
           first_type, episode, tmin, tdna, tgroup, tact, FC, interval, followup_type):  # fmt: skip
    """ServiceModel._serve, _serve_activity and _has_ready."""
    if activity == TRIAGE:
        return _triage(day, budget, PF, PI, heaps, sizes, FL, SC, R_f, R_i, OC, OCODE, first_type, episode)
    waiting = False
    kinds = R_i[N_KINDS]
    for kind in range(kinds):
        if tact[kind] != activity:
            continue
        cost = tmin[kind]
        if budget >= cost:
            budget = _book_sessions(kind, day, budget, cost, PF, PI, heaps, sizes, FL, SC, ST, att, rebook,
                                    R_f, R_i, tdna, tgroup, FC, interval, followup_type)  # fmt: skip
        if not waiting:
            first, followup = FIRST0 + kind, FIRST0 + kinds + kind
            while sizes[first] and PI[int(heaps[first, 0, 2]), VERSION] != heaps[first, 0, 3]:
                pop(heaps, sizes, first)
            while sizes[followup] and PI[int(heaps[followup, 0, 1]), VERSION] != heaps[followup, 0, 2]:
                pop(heaps, sizes, followup)
            waiting = sizes[first] > 0 or (sizes[followup] > 0 and heaps[followup, 0, 0] <= day)
    return budget, waiting


@njit(cache=True)
def clinic_day(day, minutes, planned_minutes, PF, PI, heaps, sizes, FL, SC, ST, att, rebook, carry, R_f, R_i,
               OC, OCODE, first_type, episode, tmin, tdna, tgroup, tact, FC, interval, followup_type, scope,
               shared):  # fmt: skip
    """ServiceModel._clinic_day, with shared_time.shared_clinic_day and _flex, on ``minutes[day]``.

    Returns 0; or, before changing anything, how many attendance draws the day needs when fewer
    are left (the most contacts its minutes could buy); or minus the heap capacity it needs when
    a heap might fill (the most pushes the day could make onto any one heap).
    """
    by_role, planned = minutes[day], planned_minutes[day]
    need = int((pysum(planned) + pysum(carry)) * R_f[CONTACTS_PER_MINUTE]) + 64
    if att.size - ST[ATT_NEXT] < need:
        return need
    # Pending to triage queue, triage to first contacts, rebookings, and one push per contact.
    pushes = 2 * sizes[PENDING] + sizes[TRIAGE_QUEUE] + ST[N_REBOOK] + need
    capacity = room(sizes, heaps.shape[1], pushes)
    if capacity:
        return -capacity
    args = (PF, PI, heaps, sizes, FL, SC, ST, att, rebook, R_f, R_i, OC, OCODE, first_type, episode, tmin,
            tdna, tgroup, tact, FC, interval, followup_type)  # fmt: skip
    waiting_rebook = rebook[: ST[N_REBOOK]].copy()
    ST[N_REBOOK] = 0
    for pid in waiting_rebook:
        if PI[pid, STATE] == WAITING_FIRST:
            _queue_first(PF, PI, heaps, sizes, pid, R_i, first_type)
    FL[AVAILABLE] += pysum(planned)
    roles, activities = by_role.shape
    free = np.zeros(roles)
    if shared.shape[0]:
        _shared_day(day, by_role, free, carry, shared, args)
    else:
        for activity in range(activities):
            budget = planned[activity]
            left, waiting = _serve(activity, day, budget + carry[activity], *args)
            carry[activity] = left if waiting else 0.0
            if not waiting and left > 0 and budget > 0:
                share = (left if left <= budget else budget) / budget  # min(left, budget)
                for role in range(roles):
                    free[role] += by_role[role, activity] * share
    if np.any(free != 0.0):
        for activity in FLEX_ORDER:  # _flex
            budget = 0.0
            for role in range(roles):
                if scope[role, activity] and free[role] > 0:
                    budget += free[role]
            if budget <= 0:
                continue
            left, _ = _serve(activity, day, budget, *args)
            for role in range(roles):
                if scope[role, activity] and free[role] > 0:
                    free[role] *= left / budget
    return 0


@njit(cache=True)
def _spend(activity, day, time, free, carry, keep, args):
    """shared_time._spend."""
    budget = pysum(time)
    left, waiting = _serve(activity, day, budget + carry[activity], *args)
    carry[activity] = left if waiting else 0.0
    if waiting or left <= 0 or budget <= 0:
        return 0.0
    share = (left if left <= budget else budget) / budget
    for role in range(time.size):
        if not keep[role]:
            free[role] += time[role] * share
    return share


@njit(cache=True)
def _shared_day(day, by_role, free, carry, shared, args):
    """shared_time.shared_clinic_day: some roles' new and follow-up minutes are one pool."""
    roles = by_role.shape[0]
    allowance = by_role[:, FOLLOWUP].copy()
    new_time = by_role[:, NEW].copy()
    pooled = np.zeros(roles, dtype=np.bool_)
    nobody = np.zeros(roles, dtype=np.bool_)
    for s in range(shared.shape[0]):
        role, max_followup, min_new = int(shared[s, 0]), shared[s, 1], shared[s, 2]
        row = by_role[role]
        clinical = pysum(row)  # followup_allowance
        cap = (row[NEW] + row[FOLLOWUP]) - min_new * clinical
        other = max_followup * clinical
        if other < cap:
            cap = other
        allowance[role] = cap if cap > 0.0 else 0.0
        new_time[role] = row[NEW] + row[FOLLOWUP] - allowance[role]
        pooled[role] = True
    _spend(TRIAGE, day, by_role[:, TRIAGE].copy(), free, carry, nobody, args)
    unused = _spend(FOLLOWUP, day, allowance, free, carry, pooled, args)
    for role in range(roles):
        if pooled[role]:
            new_time[role] += allowance[role] * unused
    _spend(NEW, day, new_time, free, carry, nobody, args)
    _spend(GROUP, day, by_role[:, GROUP].copy(), free, carry, nobody, args)
