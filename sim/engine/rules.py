"""The operational rules of one phase, flattened for the model's inner loop.

The model consults these many thousands of times per replication, so pydantic attribute
look-ups are resolved once here into plain lists, dicts and cumulative tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.engine.booking import profile_days
from sim.engine.config import FollowupCount, ServiceConfig
from sim.engine.field_types import ACTIVITIES

MAX_FOLLOWUPS = 200


def followup_cdf(count: FollowupCount) -> list[float]:
    """Cumulative probabilities of 0, 1, 2, ... follow-ups (last entry 1)."""
    k = np.arange(MAX_FOLLOWUPS + 1)
    if count.distribution == "fixed":
        whole, part = math.floor(count.mean), count.mean - math.floor(count.mean)
        pmf = np.zeros(k.size)
        pmf[whole] += 1 - part
        pmf[min(whole + 1, MAX_FOLLOWUPS)] += part
    elif count.distribution == "poisson":
        pmf = stats.poisson.pmf(k, count.mean)
    elif count.distribution == "geometric":
        pmf = stats.geom.pmf(k + 1, 1 / (1 + count.mean))
    else:
        size = count.dispersion
        pmf = stats.nbinom.pmf(k, size, size / (size + count.mean))
    cdf = np.cumsum(pmf)
    cdf[-1] = 1.0
    return cdf.tolist()


def _slot_minutes(config: ServiceConfig, kind: str | None) -> float:
    """Clinician minutes per patient for an appointment type (a group shares its session)."""
    if kind is None:
        return 0.0
    appointment = config.appointment_types[kind]
    return appointment.minutes / appointment.group_size


def _episode_minutes(config: ServiceConfig, name: str) -> float:
    """Expected clinician minutes of one episode on a pathway: the workload a referral brings."""
    pathway = config.pathways[name]
    followups = pathway.followups.mean * _slot_minutes(config, pathway.followup)
    return _slot_minutes(config, pathway.first_contact) + followups


def _shared_roles(config: ServiceConfig) -> list[tuple[int, float, float]]:
    """(capacity row, max_followup_share, min_new_share) of each role under caseload_first."""
    return [
        (row, plan.clinical_time.max_followup_share, plan.clinical_time.min_new_share)
        for row, plan in enumerate(config.job_plans.values())
        if plan.clinical_time.rule == "caseload_first"
    ]


@dataclass(frozen=True)
class Rules:
    """Everything the model needs from one phase's config, as plain Python values."""

    triage_minutes: float
    triage_delay: list[float]
    outcome_cdf: list[float]
    outcome_names: list[str]
    pathway_names: list[str]
    first_type: list[str]
    followup_type: list[str | None]
    followup_cdf: list[list[float]]
    interval_days: list[float]
    episode_minutes: list[float]
    type_minutes: dict[str, float]
    type_dna: dict[str, float]
    type_group: dict[str, int]
    activity_types: list[list[str]]
    order_by_priority: bool
    clock_stop_contact: int
    dna_reset: bool
    dna_discharge_after: int
    followups_first: bool
    monthly_removal: float
    overdue_days: float
    shared_roles: list[tuple[int, float, float]]
    source_outcome_cdf: dict[str, list[float]]
    wait_weighted: bool = False
    weight_from_days: tuple[list[float], list[float]] = ([], [])
    removal_from_days: tuple[list[float], list[float]] = ([], [])
    long_waiter_share: float = 0.0
    long_waiter_days: float = 0.0

    @classmethod
    def from_config(cls, config: ServiceConfig) -> Rules:
        pathways = list(config.pathways)
        outcomes = config.triage.outcomes
        types = config.appointment_types
        policy = config.access_policy
        return cls(
            triage_minutes=config.triage.minutes_per_referral,
            triage_delay=[config.triage.delay_days[p] for p in config.demand.priorities],
            outcome_cdf=np.cumsum(list(outcomes.values())).tolist(),
            outcome_names=list(outcomes),
            pathway_names=pathways,
            first_type=[config.pathways[p].first_contact for p in pathways],
            followup_type=[config.pathways[p].followup for p in pathways],
            followup_cdf=[followup_cdf(config.pathways[p].followups) for p in pathways],
            interval_days=[config.pathways[p].interval_weeks * 7 for p in pathways],
            episode_minutes=[_episode_minutes(config, p) for p in pathways],
            type_minutes={t: a.minutes for t, a in types.items()},
            type_dna={t: a.dna_rate for t, a in types.items()},
            type_group={t: a.group_size for t, a in types.items()},
            activity_types=[[t for t, a in types.items() if a.activity == act] for act in ACTIVITIES],
            order_by_priority=policy.booking_order == "priority_then_longest_wait",
            clock_stop_contact=policy.clock_stops_at_contact,
            dna_reset=policy.dna.action == "reset_clock",
            dna_discharge_after=policy.dna.discharge_after,
            followups_first=policy.followups_first,
            monthly_removal=min(policy.validation_removal_rate + policy.reneging_rate, 1.0),
            overdue_days=policy.followup_overdue_weeks * 7,
            shared_roles=_shared_roles(config),
            source_outcome_cdf={
                source: np.cumsum([mix[o] for o in outcomes]).tolist()
                for source, mix in config.triage.source_outcomes.items()
            },
            wait_weighted=policy.booking_order == "by_weeks_waited",
            weight_from_days=profile_days(policy.booking_weights, "weight"),
            removal_from_days=profile_days(policy.removal_by_wait, "monthly_rate"),
            long_waiter_share=policy.long_waiters.share if policy.long_waiters else 0.0,
            long_waiter_days=policy.long_waiters.over_weeks * 7 if policy.long_waiters else 0.0,
        )

    def triage_outcome(self, u: float, source: str | None = None) -> str:
        """Outcome name for a uniform draw (inverse CDF, so draws stay aligned across scenarios).

        A source with its own outcome mix (``triage.source_outcomes``) is triaged by that mix.
        """
        cdf = self.source_outcome_cdf.get(source, self.outcome_cdf) if source else self.outcome_cdf
        for name, edge in zip(self.outcome_names, cdf, strict=True):
            if u < edge:
                return name
        return self.outcome_names[-1]
