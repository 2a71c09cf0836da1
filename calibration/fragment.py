"""What an extract gives (``Estimates``) and its YAML fragment in the ``sim.engine.config`` schema.

Each estimate's 95% confidence interval is written as a comment beside it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from calibration.followups import FollowupEstimate
from calibration.intervals import MONTH_NAMES, Interval, plain_number
from calibration.referrals import ReferralRate
from calibration.snapshot import SnapshotEstimate


@dataclass
class Estimates:
    """Everything estimated from one extract, ready to write as a baseline YAML fragment."""

    snapshot_date: dt.date
    referrals_used: int
    referrals: ReferralRate
    priorities: dict[str, Interval]  # booking order as given: first is booked first
    sources: dict[str, Interval] | None
    triage_outcomes: dict[str, Interval]
    triage_delay_days: dict[str, Interval]
    dna_rate: Interval | None
    followups: dict[str, FollowupEstimate]
    initial_state: SnapshotEstimate
    warnings: list[str] = field(default_factory=list)

    def to_yaml_fragment(self, dna_appointment_types: Iterable[str] = ()) -> str:
        """A YAML fragment in the ``sim.engine.config`` schema, each CI in a comment.

        Sections: service.start_date, demand, triage, pathways.<name>.followups and
        interval_weeks, initial_state, and ``appointment_types.<type>.dna_rate`` for the
        types named (the extract cannot tell which appointment types a service has).
        """
        return render_fragment(self, list(dna_appointment_types))


def render_fragment(found: Estimates, dna_appointment_types: list[str]) -> str:
    """The fragment's text: service start, demand, triage, pathways, DNA rates, initial state."""
    lines = _header(found)
    lines += _demand_yaml(found)
    lines += _triage_yaml(found)
    lines += _pathways_yaml(found.followups)
    lines += _dna_yaml(found.dna_rate, dna_appointment_types)
    lines += _initial_state_yaml(found.initial_state)
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    """A mapping key that YAML reads back as the same string (quoting yes/no/on/off and the like)."""
    plain = name.replace("_", "").replace("-", "").isalnum() and not name[0].isdigit()
    reserved = name.lower() in {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
    return name if plain and not reserved else json.dumps(name)


def _line(indent: int, key: str, value: str = "", comment: str = "") -> str:
    text = f"{'  ' * indent}{key}:{' ' + value if value else ''}"
    return f"{text:<36}# {comment}" if comment else text


def _share_texts(estimates: dict[str, Interval]) -> dict[str, str]:
    """Shares to 4 decimals that still sum to exactly 1 (the schema checks to 1e-6)."""
    rounded = {k: round(v.value, 4) for k, v in estimates.items()}
    if rounded:
        largest = max(rounded, key=rounded.get)
        rounded[largest] = round(rounded[largest] + 1 - sum(rounded.values()), 4)
    return {k: f"{v:.4f}" for k, v in rounded.items()}


def _shares_yaml(indent: int, key: str, estimates: dict[str, Interval], comment: str) -> list[str]:
    texts = _share_texts(estimates)
    lines = [_line(indent, key, comment=comment)]
    lines += [_line(indent + 1, _key(k), texts[k], v.describe()) for k, v in estimates.items()]
    return lines


def _header(found: Estimates) -> list[str]:
    months = found.referrals.months
    lines = [
        "# Baseline inputs estimated by calibration.estimate from a patient-level extract.",
        f"# Snapshot {found.snapshot_date} (the state at the start of that day); "
        f"{found.referrals_used} referrals;",
        f"# referral volume fitted on {len(months)} months, {months[0]} to {months[-1]}.",
        "# Comments give 95% confidence intervals. Maps merge under `extends:`, so remove any",
        "# priority, source or outcome in the baseline that is not listed here.",
    ]
    return lines + [f"# WARNING: {w}" for w in found.warnings]


def _demand_yaml(found: Estimates) -> list[str]:
    rate = found.referrals
    lines = [
        _line(0, "service"),
        _line(1, "start_date", str(found.snapshot_date), "the snapshot: initial_state is this day"),
        _line(0, "demand"),
        _line(
            1,
            "monthly_rate",
            plain_number(rate.monthly_rate.value),
            f"per month on the snapshot date, before seasonality; {rate.monthly_rate.describe()}",
        ),
    ]
    if rate.seasonality is None:
        lines.append(_line(1, "seasonality", "[" + ", ".join(["1"] * 12) + "]", "too few months to estimate"))
    else:
        lines.append(_line(1, "seasonality", comment="month-of-year multipliers, mean 1"))
        lines += [
            f"{'    - ' + plain_number(m.value):<36}# {name}: {m.describe()}"
            for name, m in zip(MONTH_NAMES, rate.seasonality, strict=True)
        ]
    trend = rate.annual_trend
    trend_note = f"compound growth per year; {trend.describe()}" if trend else "too few months to estimate"
    lines.append(_line(1, "annual_trend", plain_number(trend.value) if trend else "0", trend_note))
    if found.sources:
        lines += _shares_yaml(1, "sources", found.sources, "share of referrals by source")
    lines += _shares_yaml(1, "priorities", found.priorities, "booking order as given: first is booked first")
    return lines


def _triage_yaml(found: Estimates) -> list[str]:
    lines = [_line(0, "triage"), _line(1, "delay_days", comment="median days from referral to triage")]
    lines += [
        _line(2, _key(p), plain_number(d.value), d.describe()) for p, d in found.triage_delay_days.items()
    ]
    return lines + _shares_yaml(1, "outcomes", found.triage_outcomes, "share of referrals triaged")


def _pathways_yaml(followups: dict[str, FollowupEstimate]) -> list[str]:
    lines = [_line(0, "pathways")] if followups else []
    for name, found in followups.items():
        spread = f"variance {plain_number(found.variance)}, mean {plain_number(found.mean.value)}"
        lines += [
            _line(1, _key(name)),
            _line(2, "followups", comment=f"from {found.episodes} episodes old enough to have ended"),
            _line(3, "distribution", found.distribution, spread),
            _line(3, "mean", plain_number(found.mean.value), found.mean.describe()),
        ]
        if found.dispersion is not None:
            size = found.dispersion
            lines.append(_line(3, "dispersion", plain_number(size.value), f"negbin size; {size.describe()}"))
        gap = found.interval_weeks
        if gap is not None and 0 < gap.value <= 104:
            lines.append(_line(2, "interval_weeks", plain_number(gap.value), f"median gap; {gap.describe()}"))
    return lines


def _dna_yaml(rate: Interval | None, types: list[str]) -> list[str]:
    if rate is None:
        return []
    note = f"DNAs per booked contact; {rate.describe()}"
    if not types:
        return [f"# DNA rate {plain_number(rate.value, 3)} ({note}): set appointment_types.<type>.dna_rate"]
    lines = [_line(0, "appointment_types")]
    for name in types:
        lines += [_line(1, _key(name)), _line(2, "dna_rate", plain_number(rate.value, 3), note)]
    return lines


def _initial_state_yaml(state: SnapshotEstimate) -> list[str]:
    waiting = sum(count for _, _, count in state.waiting_list)
    lines = [
        _line(0, "initial_state"),
        _line(1, "waiting_list", comment=f"{waiting} waiting for first contact, {state.breaches} breaches"),
    ]
    lines += [
        f"    - {{from_weeks: {plain_number(a)}, to_weeks: {plain_number(b)}, count: {c}}}"
        for a, b, c in state.waiting_list
    ]
    return lines + [
        _line(1, "urgent_share", f"{state.urgent_share:.4f}", "share of the list of the first priority"),
        _line(1, "awaiting_triage", str(state.awaiting_triage)),
        _line(1, "followup_caseload", str(state.followup_caseload), "seen, not yet discharged"),
    ]
