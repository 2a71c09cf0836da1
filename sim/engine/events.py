"""Dated events: changes during the horizon (posts added or vacated, extra sessions, set fields,
list validation and validation sweeps, recruitment freezes), exactly one action per event."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.engine.field_types import Activity, Share
from sim.engine.strict import Strict

EVENT_ACTIONS = (
    "add_staff",
    "remove_staff",
    "extra_sessions",
    "set",
    "validate_list",
    "recruitment_freeze",
    "validation_sweep",
)
MAX_SWEEP_ROUNDS = 52


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
    validation_sweep: ValidationSweep | None = Field(
        None,
        description=(
            "Validation in rounds from the date: a fixed pool of stale entries, each round finding a "
            "share of those not yet found, so each round removes fewer."
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


class ValidationSweep(Strict):
    """A validation sweep: a finite pool of stale entries on the first-contact list, found in rounds.

    The pool is fixed on the event's date: each patient then waiting for a first contact (for at
    least ``min_weeks_waited``) is stale with probability ``stale_share``; referrals joining later
    are not. Each round finds each stale entry not yet found with probability ``find_share`` and
    removes it; a stale entry that leaves the list meanwhile (seen, removed) leaves the pool. So
    round k removes about N0 x stale_share x find_share x (1 - find_share)^(k - 1), against the
    permanent monthly share of ``access_policy.validation_removal_rate``.
    """

    stale_share: float = Field(
        gt=0,
        le=1,
        description=(
            "Share of those waiting for a first contact on the date who no longer need the service "
            "(the pool the rounds search)."
        ),
    )
    find_share: float = Field(
        gt=0, le=1, description="Share of the stale entries not yet found that each round finds and removes."
    )
    rounds: int = Field(
        1, ge=1, le=MAX_SWEEP_ROUNDS, description="Rounds of contact (letters, calls), the first on the date."
    )
    every_weeks: float | None = Field(
        None, ge=1, le=52, description="Weeks between rounds (needed when rounds is above 1)."
    )
    min_weeks_waited: float = Field(
        0,
        ge=0,
        le=520,
        description="Only those waiting at least this many weeks on the date can be stale (0: everyone).",
    )

    @model_validator(mode="after")
    def _rounds_can_take_effect(self) -> ValidationSweep:
        if self.rounds > 1 and self.every_weeks is None:
            raise ValueError("rounds above 1 need every_weeks (the weeks between rounds)")
        if self.rounds == 1 and self.every_weeks is not None:
            raise ValueError("every_weeks applies only when rounds is above 1 (one round has no gap)")
        if self.rounds > 1 and self.find_share == 1:
            raise ValueError(
                "find_share 1 finds every stale entry in the first round, so the rounds after it would "
                "remove nobody; use rounds: 1 (or a find_share below 1)"
            )
        return self

    def round_days(self) -> list[int]:
        """Days after the event's date on which the rounds run, the first on the date itself."""
        gap = (self.every_weeks or 0.0) * 7
        return [round(k * gap) for k in range(self.rounds)]


Event.model_rebuild()
