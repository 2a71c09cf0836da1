"""Job plans and staff in post: how a role's hours become clinical time, and who holds the posts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.field_types import ACTIVITIES, PROB_TOLERANCE, Activity, Share, check_sums_to_one
from sim.engine.strict import Strict


class ClinicalTime(Strict):
    """How a role's clinical time is shared between follow-ups and new patients each clinic day."""

    rule: Literal["template", "caseload_first"] = Field(
        "template",
        description=(
            "`template`: each activity gets its `activity_split` share, unused time flexes (see "
            "`flexible`); follow-up demand never takes new-patient time. `caseload_first`: the role's "
            "new + follow-up time is one pool; follow-ups due are booked first, new patients get the rest."
        ),
    )
    max_followup_share: Share = Field(
        1.0, description="caseload_first only: most of the role's clinical time follow-ups may take."
    )
    min_new_share: Share = Field(
        0.0,
        description="caseload_first only: share of the role's clinical time kept for new assessments.",
    )

    @model_validator(mode="after")
    def _caps_need_caseload_first(self) -> ClinicalTime:
        if self.rule == "template" and (self.max_followup_share < 1 or self.min_new_share > 0):
            raise ValueError(
                "max_followup_share and min_new_share apply under rule caseload_first; under template "
                "new patients and follow-ups get their activity_split shares"
            )
        return self


class JobPlan(Strict):
    """How a role's contracted hours become clinical time, and the workforce dynamics of the role."""

    hours_per_wte: float = Field(37.5, gt=0, le=60, description="Contracted hours/week per WTE.")
    non_clinical_share: Share = Field(
        0.25, description="Share of hours not patient-facing (admin, supervision, CPD, travel)."
    )
    activity_split: dict[Activity, Share] = Field(
        description="Split of clinical time across triage/new/followup/group; must sum to 1."
    )
    may_deliver: list[Activity] = Field(
        default_factory=lambda: list(ACTIVITIES),
        description="Activities this role may deliver (its split must stay inside them).",
    )
    flexible: bool = Field(
        True,
        description=(
            "On a clinic day, time planned for an activity with nobody waiting is spent on the "
            "role's other may_deliver activities (new assessments first)."
        ),
    )
    annual_leave_days: float = Field(
        29, ge=0, le=60, description="Annual leave days per year (excluding bank holidays)."
    )
    leave_pattern: Literal["staggered", "random_weeks"] = Field(
        "staggered",
        description=(
            "`staggered`: each post's leave weeks are spread evenly through the year, posts out of "
            "step (a rota keeping cover even); `random_weeks`: each week is leave at random, "
            "independently per post (lumpier: several posts can be away at once)."
        ),
    )
    sickness_rate: Share = Field(0.045, description="Share of working days lost to sickness.")
    ramp_up_weeks: float = Field(
        12, ge=0, le=104, description="Weeks for a new starter to reach full productivity."
    )
    ramp_up_start: Share = Field(0.5, description="New starter productivity on day one.")
    turnover_rate: Annotated[float, Field(ge=0, le=2)] = Field(
        0.0, description="Leavers per WTE per year (0.12 = 12% annual turnover)."
    )
    recruitment_lag_weeks: float = Field(
        16, ge=0, le=156, description="Weeks from a leaver to the replacement starting."
    )
    clinical_time: ClinicalTime = Field(
        default_factory=ClinicalTime,
        description="Rule sharing clinical time between follow-ups and new patients.",
    )
    vacancy_cover_share: Share = Field(
        0.0,
        description=(
            "Share of a vacant post's time worked by bank or agency staff while it is recruited "
            "to (0 = none covered)."
        ),
    )
    sickness_cover_share: Share = Field(
        0.0,
        description="Share of a sick day worked by bank or agency staff (0 = none covered).",
    )

    @field_validator("activity_split")
    @classmethod
    def _split_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_sums_to_one(value, "activity split")

    @model_validator(mode="after")
    def _split_within_scope(self) -> JobPlan:
        outside = [a for a, s in self.activity_split.items() if s > 0 and a not in self.may_deliver]
        if outside:
            raise ValueError(f"activity_split gives time to {outside}, not in may_deliver")
        time = self.clinical_time
        pool = self.activity_split.get("new", 0.0) + self.activity_split.get("followup", 0.0)
        if time.min_new_share > 0 and "new" not in self.may_deliver:
            raise ValueError("clinical_time.min_new_share: this role may not deliver new assessments")
        if time.min_new_share > pool + PROB_TOLERANCE:
            raise ValueError(
                f"clinical_time.min_new_share {time.min_new_share:g} is more than the role's new + "
                f"follow-up time ({pool:g} of its clinical time)"
            )
        return self


class StaffGroup(Strict):
    """Staff of one role in post (or funded) between optional dates."""

    role: str = Field(description="Role name; must have a job plan.")
    wte: float = Field(ge=0, le=2000, description="Whole-time equivalents.")
    start: dt.date | None = Field(None, description="First day in post (None = already in post).")
    end: dt.date | None = Field(None, description="Last day in post (None = beyond the horizon).")

    @model_validator(mode="after")
    def _dates_in_order(self) -> StaffGroup:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end is before start")
        return self
