"""The service description: a pydantic schema for one whole service.

Every field carries its meaning, unit and allowed range in its ``description`` and
constraints, so that the YAML reference in ``docs/`` can be generated from this module.
Loading YAML and merging scenario files lives in ``sim.engine.scenario``; this module only says
what a valid service is.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.engine.strict import Strict

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PROB_TOLERANCE = 1e-6
ACTIVITIES = ("triage", "new", "followup", "group")
Activity = Literal["triage", "new", "followup", "group"]
Nation = Literal["england", "wales", "scotland", "northern_ireland"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Bounds on what one replication may hold, so that an absurd number is refused with its reason
# instead of exhausting memory; the largest NHS therapy services are well inside them.
MAX_MONTHLY_RATE = 20_000
MAX_PATIENTS = 1_000_000  # referrals expected over the horizon plus the starting snapshot
MAX_ENTRIES = 1_000  # staff groups, waiting-list bands, events
LAST_DATE = dt.date(9999, 12, 31)


def horizon_end(start: dt.date, months: int) -> dt.date | None:
    """The first day after a horizon of ``months`` from ``start``; None past year 9999."""
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1) if index // 12 <= LAST_DATE.year else None


def _check_sums_to_one(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > PROB_TOLERANCE:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:.4g})")
    return shares


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
    horizon_months: int = Field(36, ge=1, le=240, description="Months simulated, from start.")
    rtt_target_weeks: float = Field(
        14, gt=0, le=104, description="Referral-to-treatment target in weeks (Wales 14, England 18)."
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
        return _check_sums_to_one(value, "source shares")

    @field_validator("priorities")
    @classmethod
    def _priorities_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_sums_to_one(value, "priority shares")

    @model_validator(mode="after")
    def _source_priorities_match(self) -> Demand:
        for source, mix in self.source_priorities.items():
            if set(mix) != set(self.priorities):
                wanted = list(self.priorities)
                raise ValueError(f"source_priorities.{source}: needs priorities {wanted}, got {list(mix)}")
            _check_sums_to_one(mix, f"source_priorities.{source} shares")
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
        return _check_sums_to_one(value, "triage outcomes")

    @model_validator(mode="after")
    def _source_outcomes_match(self) -> Triage:
        for source, mix in self.source_outcomes.items():
            if set(mix) != set(self.outcomes):
                wanted = list(self.outcomes)
                raise ValueError(f"source_outcomes.{source}: needs the outcomes {wanted}, got {list(mix)}")
            _check_sums_to_one(mix, f"source_outcomes.{source}")
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

    booking_order: Literal["priority_then_longest_wait", "longest_wait"] = Field(
        "priority_then_longest_wait", description="Order in which waiting patients are booked."
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
    cover_share: Share = Field(
        0.0,
        description=(
            "Share of the time lost to sickness and vacancies covered by bank or agency staff "
            "(0 = none covered)."
        ),
    )

    @field_validator("activity_split")
    @classmethod
    def _split_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_sums_to_one(value, "activity split")

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


class WaitingBand(Strict):
    """Patients on the snapshot waiting list who have waited between two numbers of weeks."""

    from_weeks: float = Field(ge=0, description="Lower edge of the band in weeks waited.")
    to_weeks: float = Field(gt=0, description="Upper edge of the band in weeks waited.")
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
        for event in self.events:
            if not self.service.start_date <= event.date:
                raise ValueError(f"events: {event.date} is before the start date")
        if self.initial_state.patients > MAX_PATIENTS:
            raise ValueError(
                f"initial_state: {self.initial_state.patients:,} patients; at most {MAX_PATIENTS:,} "
                "can be simulated"
            )
        return self

    @property
    def pathway_outcomes(self) -> dict[str, float]:
        """Triage outcome shares restricted to pathways (accepted referrals)."""
        return {k: v for k, v in self.triage.outcomes.items() if k in self.pathways}


Event.model_rebuild()
