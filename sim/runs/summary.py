"""Aggregating replications: summaries across replications per scenario x month.

Kept apart from the model, as in the nhp_model style: the model produces monthly records,
this module only reduces them.
"""

from __future__ import annotations

import pandas as pd

ID_COLUMNS = ("scenario", "replication", "month", "candidate")  # candidate: see sim.runs.conditioning
CONTRACT_COLUMNS = (
    "scenario",
    "replication",
    "month",
    "referrals",
    "accepted",
    "signposted",
    "rejected",
    "first_contacts",
    "waiting",
    "breaches",
    "wait_p50_weeks",
    "wait_p92_weeks",
    "max_wait_weeks",
    "followup_waiting",
    "followup_overdue",
    "removed",
    "discharged",
    "clinical_hours",
    "utilisation",
)
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


def metric_columns(monthly: pd.DataFrame) -> list[str]:
    """Numeric metric columns of a monthly table (everything but identifiers)."""
    return [c for c in monthly.columns if c not in ID_COLUMNS and pd.api.types.is_numeric_dtype(monthly[c])]


def order_columns(monthly: pd.DataFrame) -> pd.DataFrame:
    """Contract columns first, in the documented order, then the rest."""
    first = [c for c in CONTRACT_COLUMNS if c in monthly.columns]
    return monthly[first + [c for c in monthly.columns if c not in first]]


def summarise(monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario x month: ``<metric>_mean``, ``_p10``, ``_p50``, ``_p90`` of each metric."""
    grouped = monthly.groupby(["scenario", "month"], sort=False)[metric_columns(monthly)]
    parts = [grouped.mean().add_suffix("_mean")]
    parts += [grouped.quantile(q).add_suffix(f"_{name}") for name, q in QUANTILES.items()]
    summary = pd.concat(parts, axis=1)
    columns = [f"{m}_{s}" for m in metric_columns(monthly) for s in ("mean", *QUANTILES)]
    return summary[columns].reset_index()


def metric_band(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric from a summary: scenario, month, mean, p10, p50, p90."""
    names = {f"{metric}_{s}": s for s in ("mean", *QUANTILES)}
    return summary[["scenario", "month", *names]].rename(columns=names)
