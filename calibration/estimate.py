"""Direct estimates of a service's baseline inputs from a patient-level extract.

What history gives directly (referral volume, seasonality and trend, priority and source
mix, triage outcomes and delays, DNA rate, follow-ups per episode and their interval, the
snapshot waiting list) is estimated here with 95% confidence intervals and written as a
YAML fragment in the schema of ``sim.engine.config`` (``calibration.fragment``). Parameters history
cannot give directly (effective clinical hours, removal rates) are left to
simulation-based fitting. The pieces live in their own modules: ``referrals`` (volume),
``followups``, ``snapshot`` (the lists on the first day) and ``intervals`` (the CIs).

The snapshot date is the simulation's first day: "by the snapshot" means before that day.
The booking order of priorities is the service's policy, so it is given (from the
baseline's ``demand.priorities`` or an option), never guessed from triage delays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from calibration.cells import DataError
from calibration.extract import NOT_ACCEPTED, ExclusionReport, read_extract
from calibration.followups import FollowupEstimate, episode_cohort, estimate_followups, negbin_size
from calibration.fragment import Estimates
from calibration.intervals import Interval, median_interval, plain_number, ratio_interval, wilson
from calibration.referrals import ReferralRate, fit_referral_rate, monthly_referrals
from calibration.snapshot import SnapshotEstimate, band_edges, snapshot_lists
from sim.engine.config import MAX_RTT_TARGET_WEEKS
from sim.engine.scenario import load_config

__all__ = [  # the helpers are re-exported: analysts and tests meet them through this module
    "Estimates",
    "FollowupEstimate",
    "Interval",
    "ReferralRate",
    "SnapshotEstimate",
    "band_edges",
    "estimate",
    "estimate_file",
    "fit_referral_rate",
    "median_interval",
    "negbin_size",
    "plain_number",
    "wilson",
]


# --- mix, triage, attendance ----------------------------------------------------------------


def shares(values: pd.Series, categories: Iterable[str] = ()) -> dict[str, Interval]:
    """Share of each category (given ones first, then the rest by frequency) with Wilson CIs."""
    counts = values.dropna().value_counts()
    order = list(dict.fromkeys([*categories, *counts.index]))
    total = int(counts.sum())
    return {name: wilson(int(counts.get(name, 0)), total) for name in order}


def triage_delays(triaged: pd.DataFrame) -> dict[str, Interval]:
    """Median days from referral to triage by priority (includes any queue for triage time)."""
    days = (triaged["triage_date"] - triaged["referral_date"]).dt.days
    return {str(p): median_interval(d) for p, d in days.groupby(triaged["priority"])}


def dna_rate(extract: pd.DataFrame, snapshot: pd.Timestamp) -> Interval | None:
    """DNAs per booked contact (attended + missed), over episodes closed by the snapshot."""
    if "dna_count" not in extract.columns:
        return None
    closed = extract[(extract["discharge_date"] < snapshot) & extract["dna_count"].notna()]
    attended = closed["first_contact_date"].notna() + closed["followup_contacts"]
    booked = (attended + closed["dna_count"]).to_numpy(dtype=float)
    if booked.sum() == 0:
        return None
    return ratio_interval(closed["dna_count"].to_numpy(dtype=float), booked)


def _check_priorities(extract: pd.DataFrame, order: list[str] | None) -> list[str]:
    """The booking order as given; a priority in the extract outside it names its row."""
    if not order:
        raise DataError(
            "extract: priority order not given: name the priorities, most urgent first "
            "(--priorities urgent,routine or --config with demand.priorities)"
        )
    order = [str(p).lower() for p in order]
    unknown = extract["priority"][~extract["priority"].isin(order)]
    if not unknown.empty:
        raise DataError(
            f"extract: row {unknown.index[0]}, column priority: {unknown.iloc[0]!r} is not one of the "
            f"priorities given ({', '.join(order)}); {len(unknown)} rows like this"
        )
    return order


def _check_outcomes(extract: pd.DataFrame, pathway_names: list[str] | None) -> list[str]:
    """Pathway names: those given (any other outcome is an error) or every other outcome seen."""
    seen = extract["triage_outcome"].dropna()
    if pathway_names is None:
        return sorted(set(seen) - set(NOT_ACCEPTED))
    allowed = {*NOT_ACCEPTED, *pathway_names}
    unknown = seen[~seen.isin(allowed)]
    if not unknown.empty:
        raise DataError(
            f"extract: row {unknown.index[0]}, column triage_outcome: {unknown.iloc[0]!r} is not "
            f"reject, signpost or a pathway ({', '.join(pathway_names)}); {len(unknown)} rows like this"
        )
    return list(pathway_names)


def estimate(
    extract: pd.DataFrame,
    snapshot_date: dt.date | str,
    rtt_target_weeks: float = 14,
    pathway_names: list[str] | None = None,
    *,
    priority_order: Iterable[str] | None = None,
    history_start: dt.date | None = None,
) -> Estimates:
    """Estimate the baseline inputs from an extract (as returned by ``read_extract``).

    ``priority_order`` is the booking order, most urgent first (as ``demand.priorities``
    lists it); a priority in the extract outside it is an error naming its row.
    Only referrals received before ``snapshot_date`` are used. ``history_start`` is the first
    day the extract is complete from (default: the first of the month of the first referral).
    """
    snapshot = pd.Timestamp(snapshot_date)
    data = extract[extract["referral_date"] < snapshot]
    if data.empty:
        raise DataError(f"extract: no referrals before the snapshot date {snapshot.date()}")
    warnings = []
    if len(data) < len(extract):
        warnings.append(f"{len(extract) - len(data)} referrals on or after the snapshot date ignored")
    pathways = _check_outcomes(data, pathway_names)
    counts, notes = monthly_referrals(data, snapshot, history_start)
    rate, more = fit_referral_rate(counts, snapshot)
    warnings += notes + more
    triaged = data[data["triage_date"] < snapshot]
    delays = triage_delays(triaged)
    order = _check_priorities(data, list(priority_order or []))
    mix = shares(data["priority"], order)
    followups = {}
    for name in pathways:
        episodes, note = episode_cohort(data[data["triage_outcome"] == name], snapshot)
        if note:
            warnings.append(f"pathway {name}: {note}")
        if len(episodes):
            followups[name] = estimate_followups(episodes)
    sources = shares(data["source"]) if "source" in data.columns and data["source"].notna().any() else None
    return Estimates(
        snapshot_date=snapshot.date(),
        referrals_used=len(data),
        referrals=rate,
        priorities={p: mix[p] for p in order},
        sources=sources,
        triage_outcomes=shares(triaged["triage_outcome"], [*NOT_ACCEPTED, *pathways]),
        triage_delay_days={p: delays[p] for p in order if p in delays},
        dna_rate=dna_rate(data, snapshot),
        followups=followups,
        initial_state=snapshot_lists(data, snapshot, pathways, rtt_target_weeks, order[0]),
        warnings=warnings,
    )


def _default_snapshot(extract: pd.DataFrame) -> dt.date:
    """The first of the month after the last referral: an extract taken at a month end."""
    last = extract["referral_date"].max()
    return (last.to_period("M") + 1).to_timestamp().date()


def estimate_file(
    path: str | Path,
    config: str | Path | None = None,
    priority_order: list[str] | None = None,
    pathway_names: list[str] | None = None,
    snapshot_date: str | None = None,
    rtt_target_weeks: float | None = None,
) -> tuple[str, ExclusionReport]:
    """Read an extract and estimate from it: the YAML fragment's text and the rows excluded.

    Priority order, pathway names, RTT target and appointment types (for DNA rates) come from
    the options, else from the baseline ``config``. Problems raise ``DataError`` naming the
    file, row and column.
    """
    source = str(path)
    if rtt_target_weeks is not None and not 0 < rtt_target_weeks <= MAX_RTT_TARGET_WEEKS:
        raise DataError(
            f"--target-weeks: {rtt_target_weeks}: must be above 0 and at most {MAX_RTT_TARGET_WEEKS} "
            "(as the schema's service.rtt_target_weeks)"
        )
    service = load_config(config) if config else None
    if service is not None:
        priority_order = priority_order or list(service.demand.priorities)
        pathway_names = pathway_names or list(service.pathways)
        rtt_target_weeks = rtt_target_weeks or service.service.rtt_target_weeks
    extract, report = read_extract(path)
    if extract.empty:
        raise DataError(f"{source}: no usable rows ({report.total} excluded)")
    try:
        snapshot = dt.date.fromisoformat(snapshot_date) if snapshot_date else _default_snapshot(extract)
    except ValueError:
        raise DataError(f"--snapshot {snapshot_date}: not a date (use YYYY-MM-DD)") from None
    try:
        found = estimate(
            extract, snapshot, rtt_target_weeks or 14, pathway_names, priority_order=priority_order
        )
    except DataError as error:
        raise DataError(str(error).replace("extract:", f"{source}:", 1)) from None
    types = list(service.appointment_types) if service is not None else []
    return found.to_yaml_fragment(types), report
