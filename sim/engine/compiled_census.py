"""Compiled (numba) month-end work of the compiled engine: the census's stock figures and removals.

``sim.engine.census.census_record`` reads the running clocks and the follow-up queues with a dozen
numpy calls on masked copies of the patient arrays; at one census a month that was a fifth of a
baseline replication. ``census_figures`` walks the arrays once and returns the same figures:
counts, maxima and centiles are exact whatever the order they are found in, and centiles are
numpy's "linear" percentile step for step (``_centile``). The mean wait stays numpy's (its
pairwise sum), on the waits this returns in patient order, as the reference takes them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.compiled_kernels import (
    BREACH_SINCE,
    CLOCK_START,
    FIRST0,
    FOLLOWUP_DUE,
    RUNNING,
    STATE,
    VERSION,
    WAITING_FIRST,
    remove,
)  # fmt: skip

# Figures of census_figures, in its array's order.
(WAITING, BREACHES, WAIT_P50, WAIT_P92, WAIT_MAX, STILL_WAITING, DUE_BY, OVERDUE, OVERDUE_P50,
 OVERDUE_P92, OVERDUE_MAX) = range(11)  # fmt: skip
N_FIGURES = 11


@njit(cache=True)
def _centile(ordered, q):
    """np.percentile(values, 100 * q) of sorted values (method "linear"): its index, weight and lerp."""
    n = ordered.size
    virtual = (n - 1) * q
    if virtual >= n - 1:  # numpy takes the last value for both neighbours, so any weight gives it
        return ordered[n - 1]
    below = np.floor(virtual)
    a, b = ordered[int(below)], ordered[int(below) + 1]
    gamma = virtual - below
    diff = b - a
    if gamma >= 0.5:
        return b - diff * (1 - gamma)
    return a + diff * gamma


@njit(cache=True)
def _centiles(values, out, at):
    """census._centiles (median, 92nd centile; 0 if none) into out[at], out[at + 1]; NaN-free values."""
    if values.size == 0:
        out[at], out[at + 1] = 0.0, 0.0
        return
    ordered = np.sort(values)
    out[at], out[at + 1] = _centile(ordered, 0.5), _centile(ordered, 0.92)


@njit(cache=True)
def census_figures(day, n, PF, PI, heaps, sizes, FL, n_kinds, limit, late):
    """census_record's stock figures and census._followup_backlog, and the waits in patient order.

    ``limit``: the target in weeks (target_days / 7); ``late``: day - overdue_days.
    """
    out = np.zeros(N_FIGURES)
    waits = np.empty(n)
    since = FL[BREACH_SINCE]
    count, breaches, still, longest = 0, 0, 0, 0.0
    for pid in range(n):
        if PI[pid, RUNNING] != 1:
            continue
        start = PF[pid, CLOCK_START]
        wait = (day - start) / 7
        waits[count] = wait
        count += 1
        if wait > limit:
            breaches += 1
            if (since - start) / 7 <= limit:
                still += 1
        if count == 1 or wait > longest:
            longest = wait
    waits = waits[:count]
    out[WAITING], out[BREACHES], out[STILL_WAITING] = count, breaches, still
    out[WAIT_MAX] = longest if count else 0.0
    _centiles(waits, out, WAIT_P50)
    total = 0
    for h in range(FIRST0 + n_kinds, FIRST0 + 2 * n_kinds):
        total += sizes[h]
    late_weeks = np.empty(total)
    due_by, overdue = 0, 0
    for h in range(FIRST0 + n_kinds, FIRST0 + 2 * n_kinds):
        rows = heaps[h]
        for row in range(sizes[h]):  # heap order, as the reference reads its lists
            pid = int(rows[row, 1])
            due = PF[pid, FOLLOWUP_DUE]
            if PI[pid, VERSION] == rows[row, 2] and due <= day:
                due_by += 1
                if due < late:
                    late_weeks[overdue] = (day - due) / 7
                    overdue += 1
    late_weeks = late_weeks[:overdue]
    out[DUE_BY], out[OVERDUE] = due_by, overdue
    _centiles(late_weeks, out, OVERDUE_P50)
    out[OVERDUE_MAX] = late_weeks.max() if overdue else 0.0
    return out, waits


@njit(cache=True)
def waiting_first(PI, n):
    """Ids waiting for first contact, ascending (sorted(model.waiting_first))."""
    return np.flatnonzero(PI[:n, STATE] == WAITING_FIRST)


@njit(cache=True)
def remove_all(PF, PI, FL, SC, pids, day, limit):
    """ServiceModel._remove of each of ``pids`` in turn."""
    for pid in pids:
        remove(PF, PI, FL, SC, pid, day, limit)
