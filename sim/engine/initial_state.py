"""The snapshot a run starts from: the waiting list by weeks waited, triage backlog, caseload."""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.field_types import Share
from sim.engine.size_limits import MAX_ENTRIES, MAX_PATIENTS, MAX_WAIT_WEEKS
from sim.engine.strict import Strict


class WaitingBand(Strict):
    """Patients on the snapshot waiting list who have waited between two numbers of weeks."""

    from_weeks: float = Field(ge=0, le=MAX_WAIT_WEEKS, description="Lower edge of the band in weeks waited.")
    to_weeks: float = Field(gt=0, le=MAX_WAIT_WEEKS, description="Upper edge of the band in weeks waited.")
    count: int = Field(ge=0, le=MAX_PATIENTS, description="Patients in the band.")

    @model_validator(mode="after")
    def _band_in_order(self) -> WaitingBand:
        if self.to_weeks <= self.from_weeks:
            raise ValueError("to_weeks must be greater than from_weeks")
        return self


class InitialState(Strict):
    """The real snapshot a run starts from."""

    waiting_list: list[WaitingBand] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        description="Waiting list for first contact by weeks-waiting band; bands may not overlap.",
    )
    within_band: Literal["uniform", "sloped"] = Field(
        "uniform",
        description=(
            "How waits spread inside each band: uniformly, or sloped as the density of the "
            "neighbouring bands says (fewer at longer waits on most lists)."
        ),
    )
    urgent_share: Share = Field(
        0.0, description="Share of the snapshot list that is of the most urgent priority."
    )
    awaiting_triage: int = Field(
        0, ge=0, le=MAX_PATIENTS, description="Referrals received but not yet triaged."
    )
    followup_caseload: int = Field(
        0, ge=0, le=MAX_PATIENTS, description="Patients in follow-up (clock stopped)."
    )

    @field_validator("waiting_list")
    @classmethod
    def _bands_apart(cls, bands: list[WaitingBand]) -> list[WaitingBand]:
        ordered = sorted(enumerate(bands), key=lambda pair: (pair[1].from_weeks, pair[1].to_weeks))
        for (first, lower), (second, upper) in pairwise(ordered):
            if upper.from_weeks < lower.to_weeks:
                raise ValueError(
                    f"entry {second} ({upper.from_weeks:g}-{upper.to_weeks:g} weeks) overlaps entry "
                    f"{first} ({lower.from_weeks:g}-{lower.to_weeks:g} weeks)"
                )
        return bands

    @property
    def patients(self) -> int:
        return sum(b.count for b in self.waiting_list) + self.awaiting_triage + self.followup_caseload
