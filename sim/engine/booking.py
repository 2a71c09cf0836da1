"""Booking by weeks waited, and removals that depend on weeks waited.

Real community lists are not booked strictly in wait order: a service sees some new referrals
within weeks and leaves others waiting a year, and the published weeks bands show it. Under
``booking_order: by_weeks_waited`` each first-contact slot goes to a waiting patient drawn with
chance proportional to the booking weight of their weeks waited, so a profile of weights turns
into the profile of waits that clock stops come from.
"""

from __future__ import annotations

import bisect

import numpy as np

from sim.engine.streams import UniformBlock


def profile_days(entries: list, value: str) -> tuple[list[float], list[float]]:
    """(from_days, values) of a wait profile, ascending; empty lists for no profile."""
    return [e.from_weeks * 7 for e in entries], [float(getattr(e, value)) for e in entries]


class WeightedBooking:
    """The first-contact lists of each appointment type, booked by weeks-waited weights.

    Each list keeps entries sorted by RTT clock start, so a band of weeks waited is a contiguous
    slice found by bisection; one uniform draw picks the slice (by weight x patients in it) and
    the patient within it. Entries of patients who have since left keep their place until drawn
    or until ``prune`` (at each month end) drops them.
    """

    def __init__(self, kinds, from_days: list[float], weights: list[float], draws: UniformBlock) -> None:
        self.starts: dict[str, list[float]] = {k: [] for k in kinds}
        self.entries: dict[str, list[tuple[int, int]]] = {k: [] for k in kinds}
        self.from_days, self.weights, self.draws = from_days, weights, draws

    def set_weights(self, from_days: list[float], weights: list[float]) -> None:
        self.from_days, self.weights = from_days, weights

    def add(self, kind: str, clock_start: float, pid: int, version: int) -> None:
        starts = self.starts[kind]
        at = bisect.bisect_right(starts, clock_start)
        starts.insert(at, clock_start)
        self.entries[kind].insert(at, (pid, version))

    def pop(self, kind: str, day: int, patients) -> object | None:
        """The next patient booked into a slot of ``kind`` on ``day`` (None when nobody waits)."""
        starts, entries = self.starts[kind], self.entries[kind]
        while starts:
            at = self._draw_index(starts, day)
            if at is None:
                return None
            del starts[at]
            pid, version = entries.pop(at)
            if patients[pid].version == version:
                return patients[pid]
        return None

    def pop_longest(self, kind: str, latest_start: float, patients) -> object | None:
        """The longest waiter of ``kind`` whose clock started before ``latest_start`` (a slot
        reserved for long waiters, ``sim.engine.long_waiters``); None when there is none."""
        starts, entries = self.starts[kind], self.entries[kind]
        while starts and starts[0] < latest_start:
            del starts[0]
            pid, version = entries.pop(0)
            if patients[pid].version == version:
                return patients[pid]
        return None

    def _draw_index(self, starts: list[float], day: int) -> int | None:
        # Patients waiting at least from_days[j] are those with clock start <= day - from_days[j]:
        # the first bisect_right(...) entries. Band j is the slice between band j+1's count and its own.
        counts = [bisect.bisect_right(starts, day - f) for f in self.from_days]
        counts.append(0)
        masses = [w * (counts[j] - counts[j + 1]) for j, w in enumerate(self.weights)]
        total = sum(masses)
        if total <= 0:
            return None
        u = self.draws() * total
        chosen = None
        for j, mass in enumerate(masses):
            if mass <= 0:
                continue
            chosen = j
            if u < mass:
                break
            u -= mass
        low, high = counts[chosen + 1], counts[chosen]
        return min(low + int(u / self.weights[chosen]), high - 1)

    def waiting(self, kind: str, patients) -> bool:
        entries = self.entries[kind]
        return any(patients[pid].version == version for pid, version in entries)

    def prune(self, patients) -> None:
        """Drop entries of patients no longer waiting, so band counts stay true."""
        for kind, entries in self.entries.items():
            keep = [i for i, (pid, version) in enumerate(entries) if patients[pid].version == version]
            if len(keep) < len(entries):
                self.entries[kind] = [entries[i] for i in keep]
                self.starts[kind] = [self.starts[kind][i] for i in keep]


def removals_by_wait(
    waiting: list[int], clock_starts: list[float], day: int, from_days: list[float], rates: list[float],
    rng: np.random.Generator,
) -> list[int]:
    """Patients (ids from ``waiting``, in that order) removed this month by their wait's rate."""
    if not waiting or not rates:
        return []
    waited = day - np.asarray(clock_starts, dtype=float)
    rate = np.asarray(rates)[np.searchsorted(np.asarray(from_days), waited, side="right") - 1]
    removed = rng.random(len(waiting)) < rate
    return [pid for pid, gone in zip(waiting, removed.tolist(), strict=True) if gone]
