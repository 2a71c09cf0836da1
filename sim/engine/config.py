"""The service description: a pydantic schema for one whole service.

Every field carries its meaning, unit and allowed range in its ``description`` and
constraints, so that the YAML reference in ``docs/`` can be generated from this module.
Loading YAML and merging scenario files lives in ``sim.engine.scenario``; this module only says
what a valid service is. Its larger blocks live beside it, by concern: job plans and staff
(``sim.engine.job_plans``), the starting snapshot (``sim.engine.initial_state``) and dated
events (``sim.engine.events``); shared field types in ``sim.engine.field_types`` and the
size bounds in ``sim.engine.size_limits``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.events import Event
from sim.engine.field_types import Activity, Nation, Share, Weekday, check_sums_to_one
from sim.engine.initial_state import InitialState
from sim.engine.job_plans import JobPlan, StaffGroup
from sim.engine.pay_bands import Costs
from sim.engine.size_limits import (
    MAX_ENTRIES,
    MAX_HORIZON_MONTHS,
    MAX_MONTHLY_RATE,
    MAX_PATIENTS,
    horizon_end,
)
from sim.engine.strict import Strict
from sim.engine.wait_profile import LongWaiters, WaitRemoval, WaitWeight, check_profile

MAX_RTT_TARGET_WEEKS = 104  # two years: no waiting-time standard is longer


class Service(Strict):
    """Who the service is, when the simulation starts and how long it runs."""

    name: str = Field("Community service", description="Service name used in reports.")
    start_date: dt.date = Field(
        description=(
            "First simulated day. `initial_state` is the list as it stands on this day before any of "
            "its activity: snapshot waits are measured on start_date (a list reported at the close "
            "of 31 March is given with start_date 1 April, one day's wait added)."
        )
    )
    horizon_months: int = Field(36, ge=1, le=MAX_HORIZON_MONTHS, description="Months simulated, from start.")
    rtt_target_weeks: float = Field(
        14,
        gt=0,
        le=MAX_RTT_TARGET_WEEKS,
        description="Referral-to-treatment target in weeks (Wales 14, England 18).",
    )
    nation: Nation = Field("wales", description="UK nation whose bank holidays close clinics.")
    clinic_days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
        description="Days of the week clinics run; contracted hours are spread over them.",
    )
    bank_holidays: bool = Field(True, description="Clinics close on the nation's bank holidays.")

    @model_validator(mode="after")
    def _horizon_in_calendar(self) -> Service:
        if horizon_end(self.start_date, self.horizon_months) is None:
            raise ValueError("start_date + horizon_months runs past the year 9999")
        return self

    @field_validator("clinic_days")
    @classmethod
    def _some_clinic_days(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value):
            raise ValueError("needs at least one day, each named once")
        return value


class Demand(Strict):
    """Referrals received: a non-homogeneous Poisson process."""

    monthly_rate: float = Field(
        gt=0, le=MAX_MONTHLY_RATE, description="Mean referrals per month before multipliers."
    )
    seasonality: list[Annotated[float, Field(ge=0, le=12)]] = Field(
        default_factory=lambda: [1.0] * 12,
        description="Twelve multipliers, January to December; they should average about 1.",
    )
    annual_trend: float = Field(
        0.0, gt=-1, le=5, description="Compound growth per year as a share (0.18 = +18%/year)."
    )
    multiplier: float = Field(
        1.0, ge=0, le=100, description="Step multiplier on volume (events change it from a date)."
    )
    sources: dict[str, Share] = Field(
        default_factory=lambda: {"professional": 1.0},
        description="Share of referrals from each source; must sum to 1 (sources differ by their mixes).",
    )
    priorities: dict[str, Share] = Field(
        default_factory=lambda: {"urgent": 0.05, "routine": 0.95},
        description="Share of referrals by priority; order of keys is booking order (first = most urgent).",
    )

    source_priorities: dict[str, dict[str, Share]] = Field(
        default_factory=dict,
        description=(
            "Optional priority mix of named sources (each sums to 1, keys as in `priorities`); "
            "sources not named use `priorities`."
        ),
    )

    @field_validator("seasonality")
    @classmethod
    def _twelve_months(cls, value: list[float]) -> list[float]:
        if len(value) != 12:
            raise ValueError(f"needs 12 monthly multipliers, got {len(value)}")
        return value

    @field_validator("sources")
    @classmethod
    def _sources_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_sums_to_one(value, "source shares")

    @field_validator("priorities")
    @classmethod
    def _priorities_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_sums_to_one(value, "priority shares")

    @model_validator(mode="after")
    def _source_priorities_match(self) -> Demand:
        for source, mix in self.source_priorities.items():
            if set(mix) != set(self.priorities):
                wanted = list(self.priorities)
                raise ValueError(f"source_priorities.{source}: needs priorities {wanted}, got {list(mix)}")
            check_sums_to_one(mix, f"source_priorities.{source} shares")
        return self


class Triage(Strict):
    """Clinician triage of each referral, consuming triage time from job plans."""

    delay_days: dict[str, Annotated[float, Field(ge=0, le=365)]] = Field(
        default_factory=lambda: {"urgent": 1, "routine": 5},
        description="Days from receipt before a referral can be triaged, by priority (admin/vetting).",
    )
    minutes_per_referral: float = Field(
        20, ge=1, le=480, description="Clinician minutes to triage one referral."
    )
    outcomes: dict[str, Share] = Field(
        description=(
            "Probability of each triage outcome: `reject` (redirected elsewhere), `signpost` "
            "(universal offer, no 1:1 capacity) and one key per pathway name; must sum to 1."
        )
    )

    source_outcomes: dict[str, dict[str, Share]] = Field(
        default_factory=dict,
        description=(
            "Optional triage outcome mix of named sources (each sums to 1, same outcome names as "
            "`outcomes`), e.g. parents signposted more often than GPs; sources not named use `outcomes`."
        ),
    )

    @field_validator("outcomes")
    @classmethod
    def _outcomes_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_sums_to_one(value, "triage outcomes")

    @model_validator(mode="after")
    def _source_outcomes_match(self) -> Triage:
        for source, mix in self.source_outcomes.items():
            if set(mix) != set(self.outcomes):
                wanted = list(self.outcomes)
                raise ValueError(f"source_outcomes.{source}: needs the outcomes {wanted}, got {list(mix)}")
            check_sums_to_one(mix, f"source_outcomes.{source}")
        return self


class FollowupCount(Strict):
    """How many follow-up contacts an episode has after its first contact."""

    distribution: Literal["fixed", "poisson", "negbin", "geometric"] = Field(
        "poisson", description="Family of the follow-up count distribution."
    )
    mean: float = Field(ge=0, le=100, description="Mean follow-ups per episode.")
    dispersion: float = Field(2.0, gt=0, description="negbin only: size parameter (smaller = more spread).")


class Pathway(Strict):
    """An accepted episode: first contact, then follow-ups at intervals until discharge."""

    first_contact: str = Field(description="Appointment type of the first contact.")
    followup: str | None = Field(None, description="Appointment type of follow-ups.")
    followups: FollowupCount = Field(
        default_factory=lambda: FollowupCount(distribution="fixed", mean=0),
        description="Follow-up count distribution.",
    )
    interval_weeks: float = Field(4, gt=0, le=104, description="Weeks between contacts.")


class AppointmentType(Strict):
    """A kind of contact: how long it takes, which activity's time it uses, DNA rate."""

    activity: Activity = Field(description="Job-plan activity whose time this contact uses.")
    minutes: float = Field(ge=1, le=480, description="Clinician minutes per slot (session).")
    dna_rate: Share = Field(0.0, description="Probability a booked patient does not attend.")
    group_size: int = Field(1, ge=1, le=50, description="Patients served per slot (groups > 1).")


class DnaPolicy(Strict):
    """What happens when a patient does not attend."""

    action: Literal["rebook", "reset_clock"] = Field(
        "rebook", description="rebook keeps the RTT clock; reset_clock restarts it at the DNA."
    )
    discharge_after: int = Field(
        2, ge=1, le=20, description="Discharge back to the referrer after this many DNAs."
    )


class AccessPolicy(Strict):
    """Booking and waiting-list rules."""

    booking_order: Literal["priority_then_longest_wait", "longest_wait", "by_weeks_waited"] = Field(
        "priority_then_longest_wait",
        description=(
            "Order in which waiting patients are booked; `by_weeks_waited` gives each slot to a waiting "
            "patient drawn with chance proportional to `booking_weights` of their weeks waited."
        ),
    )
    booking_weights: list[WaitWeight] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        description="by_weeks_waited only: relative booking weight by weeks waited (first entry from 0).",
    )
    removal_by_wait: list[WaitRemoval] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        description="Monthly share of the first-contact list removed unseen, by weeks waited (first from 0).",
    )
    long_waiters: LongWaiters | None = Field(
        None,
        description=(
            "Aim capacity at long waiters: reserve a share of first-contact slots for patients waiting "
            "over N weeks, longest first; a reserved slot nobody that long can take follows "
            "`booking_order` (e.g. {share: 0.3, over_weeks: 14}; a dated `set` can switch it on or off)."
        ),
    )
    clock_stops_at_contact: int = Field(
        1, ge=1, le=10, description="The RTT clock stops at this attended contact (1 = first)."
    )
    dna: DnaPolicy = Field(default_factory=DnaPolicy, description="Did-not-attend policy.")
    validation_removal_rate: Share = Field(
        0.0, description="Share of the first-contact waiting list removed each month by validation."
    )
    reneging_rate: Share = Field(
        0.0, description="Share of the first-contact waiting list leaving each month unprompted."
    )
    followups_first: bool = Field(
        True, description="When an activity serves first and follow-up contacts, book follow-ups first."
    )
    followup_overdue_weeks: float = Field(
        2.0, ge=0, le=52, description="A follow-up is overdue once this many weeks past its due date."
    )

    @field_validator("booking_weights")
    @classmethod
    def _weights_in_order(cls, value: list[WaitWeight]) -> list[WaitWeight]:
        check_profile(value, "booking_weights")
        if value and not any(w.weight > 0 for w in value):
            raise ValueError("booking_weights: at least one weight must be above 0")
        return value

    @field_validator("removal_by_wait")
    @classmethod
    def _removals_in_order(cls, value: list[WaitRemoval]) -> list[WaitRemoval]:
        return check_profile(value, "removal_by_wait")

    @model_validator(mode="after")
    def _weights_need_their_order(self) -> AccessPolicy:
        weighted = self.booking_order == "by_weeks_waited"
        if weighted and not self.booking_weights:
            raise ValueError("booking_order by_weeks_waited needs booking_weights")
        if self.booking_weights and not weighted:
            raise ValueError("booking_weights apply only when booking_order is by_weeks_waited")
        if self.long_waiters is not None and self.booking_order == "longest_wait":
            raise ValueError(
                "long_waiters: has no effect under booking_order longest_wait (every slot already goes "
                "to the longest waiter); use it with priority_then_longest_wait or by_weeks_waited"
            )
        return self


class ParameterDraws(Strict):
    """Parameter sets from a calibration, one per replication (`dcsim calibrate` writes the file)."""

    file: str = Field(
        description=(
            "CSV of draws: a `draw` column, one column per field (dotted path, as in `--fit`) "
            "and optionally `weight`; a relative path is read from the YAML file's folder."
        )
    )
    use: bool = Field(
        True,
        description="Give each replication one draw (false: all run the scenario's own values).",
    )


class ServiceConfig(Strict):
    """A whole service: demand, triage, pathways, capacity, policies and the starting snapshot."""

    title: str | None = Field(
        None,
        min_length=1,
        max_length=80,
        description="Short label for this scenario in board tables, charts and reports "
        "(e.g. 'Three funded Band 6 posts'); not passed on to files that extend this one. "
        "Default: the file name.",
    )
    service: Service
    demand: Demand
    triage: Triage
    pathways: dict[str, Pathway]
    appointment_types: dict[str, AppointmentType]
    access_policy: AccessPolicy = Field(default_factory=AccessPolicy)
    job_plans: dict[str, JobPlan]
    workforce: list[StaffGroup] = Field(max_length=MAX_ENTRIES)
    initial_state: InitialState = Field(default_factory=InitialState)
    events: list[Event] = Field(default_factory=list, max_length=MAX_ENTRIES)
    parameter_draws: ParameterDraws | None = Field(
        None, description="Calibrated parameter draws carried into runs (see sim.runs.parameter_draws)."
    )
    costs: Costs | None = Field(
        None, description="Pay assumptions for staff costs (default: Agenda for Change 2025/26 by band)."
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> ServiceConfig:
        for name, pathway in self.pathways.items():
            for kind in (pathway.first_contact, pathway.followup):
                if kind is not None and kind not in self.appointment_types:
                    raise ValueError(f"pathways.{name}: unknown appointment type {kind!r}")
            if pathway.followup is None and pathway.followups.mean > 0:
                raise ValueError(f"pathways.{name}: has follow-ups but no followup appointment type")
        for name, kind in self.appointment_types.items():
            if kind.activity == "triage":
                raise ValueError(f"appointment_types.{name}: triage time is not booked as appointments")
        unknown = set(self.triage.outcomes) - {"reject", "signpost"} - set(self.pathways)
        if unknown:
            raise ValueError(f"triage.outcomes: {sorted(unknown)} are not pathways")
        for source in (*self.demand.source_priorities, *self.triage.source_outcomes):
            if source not in self.demand.sources:
                raise ValueError(f"demand.sources: no source {source!r} (named in a per-source mix)")
        for priority in self.demand.priorities:
            if priority not in self.triage.delay_days:
                raise ValueError(f"triage.delay_days: no delay for priority {priority!r}")
        roles = [g.role for g in self.workforce] + [
            c.role for e in self.events for c in (e.add_staff, e.remove_staff) if c is not None
        ]
        roles += [r for e in self.events if e.recruitment_freeze for r in e.recruitment_freeze.roles or []]
        for role in roles:
            if role not in self.job_plans:
                raise ValueError(f"workforce: role {role!r} has no job plan")
        for role in self.costs.pay if self.costs is not None else []:
            if role not in self.job_plans:  # a misspelt role would leave the real one at its band's pay
                raise ValueError(f"costs.pay: role {role!r} has no job plan")
        if self.access_policy.long_waiters is not None and not self._first_contact_time():
            raise ValueError(
                "access_policy.long_waiters: no job plan or extra session gives time to a first-contact "
                "appointment type's activity, so there are no slots to reserve"
            )
        for event in self.events:
            if not self.service.start_date <= event.date:
                raise ValueError(f"events: {event.date} is before the start date")
        if self.initial_state.patients > MAX_PATIENTS:
            raise ValueError(
                f"initial_state: {self.initial_state.patients:,} patients; at most {MAX_PATIENTS:,} "
                "can be simulated"
            )
        return self

    def _first_contact_time(self) -> bool:
        """Whether any time (planned, flexed or extra) can reach a first-contact appointment type."""
        activities = {self.appointment_types[p.first_contact].activity for p in self.pathways.values()}
        for plan in self.job_plans.values():
            planned = {a for a, share in plan.activity_split.items() if share > 0}
            if activities & (set(plan.may_deliver) if plan.flexible else planned):
                return True
        return any(e.extra_sessions and e.extra_sessions.activity in activities for e in self.events)

    @property
    def pathway_outcomes(self) -> dict[str, float]:
        """Triage outcome shares restricted to pathways (accepted referrals)."""
        return {k: v for k, v in self.triage.outcomes.items() if k in self.pathways}
