"""What one service may hold and how far it may run.

Bounds on what one replication may hold, so that an absurd number is refused with its reason
instead of exhausting memory; the largest NHS therapy services are well inside them.
"""

from __future__ import annotations

import datetime as dt

MAX_MONTHLY_RATE = 20_000
MAX_PATIENTS = 1_000_000  # referrals expected over the horizon plus the starting snapshot
MAX_ENTRIES = 1_000  # staff groups, waiting-list bands, events
MAX_HORIZON_MONTHS = 240  # twenty years: planning questions look three to five years ahead
MAX_WAIT_WEEKS = 1_040  # twenty years waited: band edges of a snapshot; no waiting list is older
LAST_DATE = dt.date(9999, 12, 31)


def horizon_end(start: dt.date, months: int) -> dt.date | None:
    """The first day after a horizon of ``months`` from ``start``; None past year 9999."""
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1) if index // 12 <= LAST_DATE.year else None
