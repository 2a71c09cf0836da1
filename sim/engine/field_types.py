"""Field types the blocks of the service schema share: shares, activities, weekdays, nations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PROB_TOLERANCE = 1e-6
ACTIVITIES = ("triage", "new", "followup", "group")
Activity = Literal["triage", "new", "followup", "group"]
Nation = Literal["england", "wales", "scotland", "northern_ireland"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_sums_to_one(shares: dict[str, float], what: str) -> dict[str, float]:
    """``shares`` if they sum to 1 (within ``PROB_TOLERANCE``); a ValueError naming ``what`` if not."""
    total = sum(shares.values())
    if abs(total - 1.0) > PROB_TOLERANCE:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:.4g})")
    return shares
