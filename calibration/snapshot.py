"""The lists on the snapshot date (the simulation's first day), from a patient-level extract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

BAND_WEEKS = 4


@dataclass(frozen=True)
class SnapshotEstimate:
    """Lists on the snapshot date: first-contact waiting list by weeks-waiting band, and more."""

    date: dt.date
    waiting_list: list[tuple[float, float, int]]  # (from_weeks, to_weeks, count)
    breaches: int
    urgent_share: float
    awaiting_triage: int
    followup_caseload: int


def band_edges(longest_weeks: float, target_weeks: float) -> list[float]:
    """4-week bands up to the longest wait, split at the target so breaches seed exactly."""
    top = max(BAND_WEEKS, BAND_WEEKS * np.ceil((longest_weeks + 1e-9) / BAND_WEEKS))
    edges = set(np.arange(0, top + BAND_WEEKS / 2, BAND_WEEKS).tolist())
    if target_weeks < top:
        edges.add(float(target_weeks))
    return sorted(edges)


def snapshot_lists(
    extract: pd.DataFrame,
    snapshot: pd.Timestamp,
    pathways: list[str],
    target_weeks: float,
    most_urgent: str | None,
) -> SnapshotEstimate:
    """Who was where at the start of the snapshot day."""
    before = lambda column: extract[column] < snapshot  # noqa: E731 - NaT compares False
    accepted = before("triage_date") & extract["triage_outcome"].isin(pathways)
    waiting = extract[accepted & ~before("first_contact_date") & ~before("discharge_date")]
    weeks = (snapshot - waiting["referral_date"]).dt.days.to_numpy() / 7
    edges = band_edges(weeks.max() if weeks.size else 0.0, target_weeks)
    counts, _ = np.histogram(weeks, bins=edges)
    bands = [(float(a), float(b), int(c)) for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]
    urgent = float((waiting["priority"] == most_urgent).mean()) if len(waiting) else 0.0
    return SnapshotEstimate(
        date=snapshot.date(),
        waiting_list=bands,
        breaches=int(np.sum(weeks > target_weeks)),
        urgent_share=urgent,
        awaiting_triage=int((~before("triage_date")).sum()),
        followup_caseload=int((before("first_contact_date") & ~before("discharge_date")).sum()),
    )
