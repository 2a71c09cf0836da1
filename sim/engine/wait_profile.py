"""Values that depend on how long a patient has waited: booking weights and removal rates.

Each list gives values from a number of weeks waited until the next entry's ``from_weeks``;
the last entry holds for every longer wait, so no value is ever left without effect.
"""

from __future__ import annotations

from itertools import pairwise

from pydantic import Field

from sim.engine.field_types import Share
from sim.engine.strict import Strict

MAX_WAIT_WEEKS = 1040.0  # twenty years: longer than any list holds a referral


class WaitWeight(Strict):
    """Relative chance that a first-contact slot goes to a patient who has waited this long."""

    from_weeks: float = Field(ge=0, le=MAX_WAIT_WEEKS, description="Weeks waited from which it holds.")
    weight: float = Field(ge=0, le=1e6, description="Relative booking weight (0: never booked at this wait).")


class WaitRemoval(Strict):
    """Share of patients who have waited this long removed each month without being seen."""

    from_weeks: float = Field(ge=0, le=MAX_WAIT_WEEKS, description="Weeks waited from which it holds.")
    monthly_rate: Share = Field(description="Share removed each month (reneging, moving away, validation).")


def check_profile(entries: list, what: str) -> list:
    """Entries start at 0 weeks and rise strictly, so every wait has exactly one value."""
    if entries and entries[0].from_weeks != 0:
        raise ValueError(f"{what} must start at from_weeks 0 (every wait needs a value)")
    for lower, upper in pairwise(entries):
        if upper.from_weeks <= lower.from_weeks:
            raise ValueError(
                f"{what}: from_weeks must rise strictly ({lower.from_weeks:g} then {upper.from_weeks:g})"
            )
    return entries



class LongWaiters(Strict):
    """A share of first-contact slots reserved for patients waiting over a number of weeks.

    Of every first-contact booking of an appointment type, ``share`` (counted slot by slot, so
    0.3 is exactly 3 in every 10) goes to the longest waiter among those waiting over
    ``over_weeks``. A reserved slot with no such patient bookable falls back to the booking order,
    so aiming capacity never leaves a slot empty while someone waits.
    """

    share: float = Field(
        gt=0, le=1, description="Share of first-contact slots reserved for long waiters (1 = every slot)."
    )
    over_weeks: float = Field(
        ge=0, le=MAX_WAIT_WEEKS, description="Long waiters are those waiting over this many weeks."
    )
