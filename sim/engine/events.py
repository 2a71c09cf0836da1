"""Dated events: changes during the horizon (posts added or vacated, extra sessions, set fields,
list validation, recruitment freezes), exactly one action per event."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.engine.field_types import Activity, Share
from sim.engine.strict import Strict

EVENT_ACTIONS = ("add_staff", "remove_staff", "extra_sessions", "set", "validate_list", "recruitment_freeze")


class Event(Strict):
    """A dated change during the horizon; exactly one action per event."""

    date: dt.date = Field(description="Day the change takes effect.")
    until: dt.date | None = Field(None, description="Last day (extra_sessions and recruitment_freeze).")
    label: str | None = Field(None, description="What this models, shown in reports.")
    add_staff: StaffChange | None = Field(None, description="Posts added (recruited) from the date.")
    remove_staff: StaffChange | None = Field(None, description="Posts vacated from the date.")
    extra_sessions: ExtraSessions | None = Field(
        None, description="Fixed-term extra clinical hours (overtime, locum, insourcing)."
    )
    set: dict[str, object] | None = Field(
        None, description="Dotted field paths set to new values from the date."
    )
    validate_list: ListValidation | None = Field(
        None, description="One-off validation exercise removing a share of the waiting list."
    )
    recruitment_freeze: RecruitmentFreeze | None = Field(
        None,
        description=(
            "Leavers from `date` to `until` are not replaced until the freeze ends (then the usual lag)."
        ),
    )

    @model_validator(mode="after")
    def _one_action(self) -> Event:
        actions = EVENT_ACTIONS
        given = [a for a in actions if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(f"an event needs exactly one of {list(actions)}, got {given}")
        if self.until and self.until < self.date:
            raise ValueError("until is before date")
        if self.remove_staff is not None and self.remove_staff.recruitment_lag_weeks:
            raise ValueError("remove_staff leaves posts vacant; a recruitment lag belongs to add_staff")
        if self.extra_sessions is not None and self.until is None:
            raise ValueError("extra_sessions needs an `until` date")
        if self.recruitment_freeze is not None and self.until is None:
            raise ValueError("recruitment_freeze needs an `until` date")
        if self.until is not None and self.extra_sessions is None and self.recruitment_freeze is None:
            raise ValueError("until applies to extra_sessions and recruitment_freeze only")
        return self


class StaffChange(Strict):
    """WTE of a role added or removed by an event."""

    role: str = Field(description="Role name; must have a job plan.")
    wte: float = Field(gt=0, le=500, description="Whole-time equivalents.")
    recruitment_lag_weeks: float = Field(
        0, ge=0, le=156, description="Weeks from the event to the post being filled."
    )


class ExtraSessions(Strict):
    """Extra clinical hours per week for one activity between two dates."""

    activity: Activity = Field(description="Activity the extra hours are spent on.")
    hours_per_week: float = Field(gt=0, le=2000, description="Clinical hours per week added.")
    on_bank_holiday: Literal["skip", "move_to_next_working_day"] = Field(
        "skip",
        description=(
            "A session day that is a bank holiday: `skip` loses it (bought per clinic day), "
            "`move_to_next_working_day` runs its hours on the next clinic day (even after `until`)."
        ),
    )


class RecruitmentFreeze(Strict):
    """A recruitment freeze: leavers are not replaced while it lasts."""

    roles: list[str] | None = Field(None, description="Roles frozen (None = every role).")


class ListValidation(Strict):
    """A validation exercise: a share of the first-contact waiting list no longer needs the service."""

    share: Share = Field(description="Share of patients waiting for first contact removed.")


Event.model_rebuild()
