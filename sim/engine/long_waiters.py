"""Capacity aimed at long waiters: which first-contact slots are reserved, and for whom.

Under ``access_policy.long_waiters`` a share of each appointment type's first-contact bookings
is reserved for patients waiting over N weeks. The share is counted slot by slot with a running
credit (0.3 books exactly 3 reserved slots in every 10, no random draw), so the lever moves no
random stream and two scenarios with the same seed differ only by where the slots went. A
reserved slot goes to the longest waiter over N weeks; with nobody that long bookable, it falls
back to the booking order, because a slot left empty while others wait would cost first
contacts that the lever is meant to redirect, not remove.
"""

from __future__ import annotations

from heapq import heappop, heappush

CREDIT_TOLERANCE = 1e-9  # 0.3 added ten times is 2.9999999999999996: still three reserved slots


class LongWaiterSlots:
    """Each appointment type's reserve credit, and its first-contact list longest waiter first.

    The list holds (clock start, patient id, version) entries beside the booking order's own
    queue; an entry whose patient has since moved (seen, removed, rebooked) is stale by version
    and dropped when it reaches the top, as in the booking queue.
    """

    def __init__(self, kinds) -> None:
        self.credit: dict[str, float] = {k: 0.0 for k in kinds}
        self.queue: dict[str, list[tuple[float, int, int]]] = {k: [] for k in kinds}

    def add(self, kind: str, clock_start: float, pid: int, version: int) -> None:
        heappush(self.queue[kind], (clock_start, pid, version))

    def reserve(self, kind: str, share: float) -> bool:
        """Whether the next first-contact booking of ``kind`` is a reserved slot (and count it)."""
        credit = self.credit[kind] + share
        reserved = credit >= 1 - CREDIT_TOLERANCE
        self.credit[kind] = credit - 1 if reserved else credit
        return reserved

    def unbooked(self, kind: str, share: float, reserved: bool) -> None:
        """Take back a ``reserve`` whose slot nobody was booked into (the list was empty)."""
        self.credit[kind] += (1.0 if reserved else 0.0) - share

    def book(self, kind: str, day: int, rules, booking, patients, in_order) -> object | None:
        """The patient booked into the next first-contact slot of ``kind`` on ``day``.

        ``rules``: the phase's ``Rules``; ``booking``: the model's ``WeightedBooking`` or None
        (then this object's own list is the long waiters'); ``in_order(kind, day)`` pops by the
        booking order. None when nobody waits.
        """
        share = rules.long_waiter_share
        reserved = self.reserve(kind, share)
        if reserved:
            latest = day - rules.long_waiter_days  # waiting over N weeks: clock started before this
            if booking is not None:
                patient = booking.pop_longest(kind, latest, patients)
            else:
                patient = self.pop(kind, latest, patients)
            if patient is not None:
                return patient
        patient = in_order(kind, day)  # no long waiter bookable: the slot goes to the next in order
        if patient is None:
            self.unbooked(kind, share, reserved)
        return patient

    def pop(self, kind: str, latest_start: float, patients) -> object | None:
        """The longest waiter whose clock started before ``latest_start``; None when there is none."""
        queue = self.queue[kind]
        while queue and queue[0][0] < latest_start:
            _, pid, version = heappop(queue)
            if patients[pid].version == version:
                return patients[pid]
        return None
