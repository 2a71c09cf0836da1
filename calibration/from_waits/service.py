"""A runnable dcsim service built from what a published waiting list implies.

The service starts from the band snapshot of the last fitted month and carries the inferred
flows: referrals joining the list, first-contact slots booked by weeks waited in proportion to
each band's exit rate, and removals by weeks waited (the removal share of those exits). One
clinician role supplies the slots; what the snapshots cannot say (staff, job plans, follow-ups)
is either taken from the analyst's own service file (``base``) or kept to the least that
delivers the inferred first contacts, and the YAML header says which.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from calibration.from_waits.estimate import MAX_RATE, WaitsEstimate, _finite_top
from calibration.waits.history import month_index, month_label
from sim.engine.calendar import calendar_for
from sim.engine.config import Service

HOURS_PER_WTE = 37.5
SLOT_MINUTES = 60
ROLE = "clinician"
# Triage is one minute a referral (the least the schema allows) in a 5% share of the role's
# time: 60 minutes of slots per patient seen against one of triage per referral needs about
# 2%, so 5% triages every referral while referrals are under 3x the first contacts. With 1%,
# triage became the bottleneck and the list grew in every forecast.
TRIAGE_SHARE = 0.05


def start_after(month: str) -> dt.date:
    """The first day after a month's end: where a run from that month-end snapshot starts."""
    return dt.date.fromisoformat(month_label(month_index(month) + 1) + "-01")


def slots_per_wte_month(start: dt.date, horizon: int, nation: str) -> float:
    """First-contact slots one WTE of the clinician role offers in an average month of the run."""
    service = Service(start_date=start, horizon_months=horizon, nation=nation)
    working = int(calendar_for(service).working.sum())
    per_day = HOURS_PER_WTE * (1 - TRIAGE_SHARE) / len(service.clinic_days) * 60 / SLOT_MINUTES
    return working * per_day / horizon


def _snapshot(history_counts: np.ndarray, edges: tuple[float, ...]) -> list[dict[str, Any]]:
    return [
        {"from_weeks": edges[i], "to_weeks": _finite_top(edges, i), "count": int(c)}
        for i, c in enumerate(history_counts)
        if c > 0
    ]


def _profile(edges: tuple[float, ...], values: np.ndarray, name: str) -> list[dict[str, Any]]:
    return [{"from_weeks": float(edges[i]), name: round(float(v), 6)} for i, v in enumerate(values)]


def build_service(
    estimate: WaitsEstimate,
    snapshot: np.ndarray,
    *,
    name: str,
    target_weeks: float,
    horizon: int,
    nation: str = "england",
    base: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The service document (medians of the draws) and its parameter draws, one row per draw."""
    edges, up_to = estimate.edges_weeks, estimate.months[-1]
    start = start_after(up_to)
    rates = np.median(estimate.exit_rates, axis=0)
    per_wte = slots_per_wte_month(start, horizon, nation)
    removal = removal_rates(estimate, snapshot)
    document: dict[str, Any] = copy.deepcopy(base) if base else _plain_service(per_wte, estimate)
    document.pop("parameter_draws", None)
    document.setdefault("service", {}).update(
        name=name, start_date=start.isoformat(), horizon_months=horizon,
        rtt_target_weeks=target_weeks, nation=nation,
    )
    document["service"].pop("title", None)
    document.setdefault("demand", {})["monthly_rate"] = round(float(np.median(estimate.referrals)), 3)
    policy = document.setdefault("access_policy", {})
    policy.update(
        booking_order="by_weeks_waited",
        booking_weights=_profile(edges, _weights(rates), "weight"),
        removal_by_wait=_profile(edges, np.median(removal, axis=0), "monthly_rate"),
        validation_removal_rate=0.0, reneging_rate=0.0,
    )
    document["initial_state"] = {"waiting_list": _snapshot(snapshot, edges), "within_band": "sloped"}
    draws = _draws(estimate, removal, per_wte, inferred_capacity=base is None)
    return document, draws


def _weights(rates: np.ndarray) -> np.ndarray:
    # Booking weights are relative; a band nobody leaves still gets a sliver, so the list's
    # ordering stays defined when its rate is estimated as exactly zero.
    top = float(rates.max())
    if top <= 0:
        return np.ones_like(rates)
    return np.maximum(rates / top, 0.01)


def _plain_service(per_wte: float, estimate: WaitsEstimate) -> dict[str, Any]:
    """The least service that delivers the inferred first contacts: one role, one appointment type."""
    wte = max(float(np.median(estimate.forecast_seen)) / per_wte, 0.01)
    return {
        "service": {"clinic_days": ["mon", "tue", "wed", "thu", "fri"], "bank_holidays": True},
        "demand": {"priorities": {"routine": 1.0}, "sources": {"professional": 1.0}},
        "triage": {
            "delay_days": {"routine": 0}, "minutes_per_referral": 1, "outcomes": {"waiting_list": 1.0}
        },
        "pathways": {"waiting_list": {"first_contact": "first_appointment"}},
        "appointment_types": {"first_appointment": {"activity": "new", "minutes": SLOT_MINUTES}},
        "job_plans": {
            ROLE: {
                "hours_per_wte": HOURS_PER_WTE, "non_clinical_share": 0,
                "activity_split": {"triage": TRIAGE_SHARE, "new": 1 - TRIAGE_SHARE}, "annual_leave_days": 0,
                "sickness_rate": 0, "turnover_rate": 0, "flexible": True,
            }
        },
        "workforce": [{"role": ROLE, "wte": round(wte, 4)}],
    }


def removal_rates(estimate: WaitsEstimate, snapshot: np.ndarray) -> np.ndarray:
    """Monthly removal rate by band, per draw: the exit-rate profile, scaled to the flow balance.

    The cohort fit says who leaves (how the exit rate rises or falls with weeks waited); the
    list's own balance says how many: the removal share of the exits the forecast assumes.
    Taking the cohort rates' level as it is would remove the list several times over where
    the band fit overstates exits (long waits, few months), so only their shape is used.
    """
    rates = np.asarray(estimate.exit_rates, dtype=float)
    implied = rates @ np.asarray(snapshot, dtype=float)
    wanted = estimate.removal_share * estimate.forecast_exits
    scale = np.divide(wanted, implied, out=np.zeros_like(wanted), where=implied > 0)
    return np.minimum(rates * scale[:, None], MAX_RATE)


def _draws(
    estimate: WaitsEstimate, removal: np.ndarray, per_wte: float, inferred_capacity: bool
) -> pd.DataFrame:
    edges = estimate.edges_weeks
    columns: dict[str, np.ndarray] = {"demand.monthly_rate": np.round(estimate.referrals, 3)}
    if inferred_capacity:
        columns["workforce.0.wte"] = np.round(np.maximum(estimate.forecast_seen / per_wte, 0.01), 4)
    for band in range(len(edges) - 1):
        weights = np.array([_weights(r)[band] for r in estimate.exit_rates])
        columns[f"access_policy.booking_weights.{band}.weight"] = np.round(weights, 6)
        columns[f"access_policy.removal_by_wait.{band}.monthly_rate"] = np.round(removal[:, band], 6)
    frame = pd.DataFrame(columns)
    frame.insert(0, "draw", np.arange(1, len(frame) + 1))
    return frame
