"""A synthetic patient-level extract drawn from KNOWN parameters, for estimation tests.

Referrals arrive as the simulator draws them (base rate x month-of-year multiplier x
compound annual trend, spread over the days of each month), are triaged after a delay,
wait for a first contact, then have a random number of follow-ups at a jittered interval.
Every booked contact is missed (DNA) with a fixed probability and rebooked. The extract is
what a patient administration system would show on the snapshot date: nothing after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SEASONALITY = (1.06, 1.06, 1.06, 1.06, 1.06, 1.06, 1.06, 0.6, 1.06, 1.06, 1.06, 0.8)


@dataclass(frozen=True)
class SyntheticService:
    """The true parameters behind a synthetic extract."""

    start: dt.date = dt.date(2021, 4, 1)
    months: int = 36
    base_rate: float = 80.0  # referrals a month at `start`, before seasonality
    seasonality: tuple[float, ...] = SEASONALITY
    annual_trend: float = 0.10
    priorities: dict[str, float] = field(default_factory=lambda: {"urgent": 0.05, "routine": 0.95})
    sources: dict[str, float] = field(default_factory=lambda: {"gp": 0.5, "school": 0.3, "parent": 0.2})
    outcomes: dict[str, float] = field(
        default_factory=lambda: {"reject": 0.1, "signpost": 0.1, "specialist": 0.65, "group": 0.15}
    )
    triage_delay_days: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {"urgent": (0, 2), "routine": (2, 8)}  # uniform, median 1 and 5
    )
    mean_wait_weeks: dict[str, float] = field(default_factory=lambda: {"urgent": 2, "routine": 16})
    followups: dict[str, tuple[str, float, float]] = field(
        default_factory=lambda: {"specialist": ("negbin", 4.0, 2.0), "group": ("poisson", 5.0, 0.0)}
    )
    interval_days: dict[str, int] = field(default_factory=lambda: {"specialist": 21, "group": 7})
    jitter_days: int = 3
    dna_rate: float = 0.1

    @property
    def snapshot(self) -> dt.date:
        return (pd.Timestamp(self.start) + pd.DateOffset(months=self.months)).date()

    @property
    def rate_at_snapshot(self) -> float:
        """Deseasonalised monthly rate on the snapshot date (what the simulator calls monthly_rate)."""
        years = (self.snapshot - self.start).days / 365.25
        return self.base_rate * (1 + self.annual_trend) ** years


def _referral_dates(service: SyntheticService, rng: np.random.Generator) -> pd.DatetimeIndex:
    days = pd.date_range(service.start, service.snapshot - dt.timedelta(days=1), freq="D")
    seasonal = np.asarray(service.seasonality)[days.month - 1]
    years = (days - pd.Timestamp(service.start)).days / 365.25
    rate = service.base_rate * seasonal * (1 + service.annual_trend) ** years / days.days_in_month
    return days.repeat(rng.poisson(np.asarray(rate)))


def _choose(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    return rng.choice(list(shares), size=size, p=list(shares.values()))


def _followup_count(rng: np.random.Generator, family: str, mean: float, size: float) -> int:
    if family == "negbin":
        return int(rng.negative_binomial(size, size / (size + mean)))
    return int(rng.poisson(mean))


def _episode(service: SyntheticService, rng: np.random.Generator, pathway: str, first: pd.Timestamp):
    """Follow-up dates and DNAs (one list entry per attended contact) of one episode."""
    count = _followup_count(rng, *service.followups[pathway])
    gaps = service.interval_days[pathway] + rng.integers(
        -service.jitter_days, service.jitter_days + 1, count
    )
    dates = [first + pd.Timedelta(days=int(d)) for d in np.cumsum(gaps)]
    dnas = rng.geometric(1 - service.dna_rate, count + 1) - 1  # misses before each attendance
    return dates, dnas


def true_history(service: SyntheticService, seed: int) -> pd.DataFrame:
    """Every referral's full history, including what happens after the snapshot."""
    rng = np.random.default_rng(seed)
    referral = _referral_dates(service, rng)
    size = referral.size
    priority = _choose(rng, service.priorities, size)
    delay_range = np.array([service.triage_delay_days[p] for p in priority])
    delay = rng.integers(delay_range[:, 0], delay_range[:, 1] + 1)
    triage = referral + pd.to_timedelta(delay, unit="D")
    outcome = _choose(rng, service.outcomes, size)
    mean_wait = np.array([service.mean_wait_weeks[p] * 7 for p in priority])
    first = triage + pd.to_timedelta(np.round(rng.exponential(mean_wait)), unit="D")
    frame = pd.DataFrame({
        "referral_date": referral, "priority": priority, "source": _choose(rng, service.sources, size),
        "triage_date": triage, "triage_outcome": outcome, "first_contact_date": first,
    })
    accepted = ~frame["triage_outcome"].isin(["reject", "signpost"])
    frame.loc[~accepted, "first_contact_date"] = pd.NaT
    episodes = [
        _episode(service, rng, row.triage_outcome, row.first_contact_date) if ok else ([], [])
        for row, ok in zip(frame.itertuples(), accepted, strict=True)
    ]
    frame["followup_dates"] = [dates for dates, _ in episodes]
    frame["contact_dnas"] = [list(dnas) for _, dnas in episodes]
    last = [dates[-1] if dates else pd.NaT for dates, _ in episodes]
    frame["discharge_date"] = pd.to_datetime(pd.Series(last, index=frame.index)).fillna(
        frame["first_contact_date"]
    )
    return frame


def _text(date) -> str:
    return "" if pd.isna(date) else pd.Timestamp(date).strftime("%Y-%m-%d")


def extract_at(history: pd.DataFrame, snapshot: dt.date, with_dates: bool = True) -> pd.DataFrame:
    """The extract as a PAS would give it on the snapshot date: text cells, nothing later."""
    cut = pd.Timestamp(snapshot)
    rows = []
    for number, row in enumerate(history.itertuples(), start=1):
        seen = [d for d in row.followup_dates if d < cut]
        first_seen = not pd.isna(row.first_contact_date) and row.first_contact_date < cut
        attended = (1 + len(seen)) if first_seen else 0
        triaged = row.triage_date < cut
        record = {
            "referral_id": f"R{number:06d}",
            "referral_date": _text(row.referral_date),
            "priority": row.priority,
            "source": row.source,
            "triage_date": _text(row.triage_date) if triaged else "",
            "triage_outcome": row.triage_outcome if triaged else "",
            "first_contact_date": _text(row.first_contact_date) if first_seen else "",
            "followup_contacts": str(len(seen)),
            "discharge_date": _text(row.discharge_date) if row.discharge_date < cut else "",
            "dna_count": str(int(sum(row.contact_dnas[:attended]))),
        }
        if with_dates:
            record["followup_dates"] = ";".join(_text(d) for d in seen)
        rows.append(record)
    return pd.DataFrame(rows)


def write_extract(extract: pd.DataFrame, path: Path) -> Path:
    extract.to_csv(path, index=False)
    return path
