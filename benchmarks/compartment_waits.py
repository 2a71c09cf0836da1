"""A plain day-by-day waiting list, written apart from dcsim's engine, to make band histories
whose flows are known.

Each day: Poisson referrals join (a monthly rate, optionally seasonal); each waiting patient is
removed unseen with a hazard set by the weeks band they wait in; then the day's first-contact
slots (Poisson around ``capacity`` a month) are taken, a stated share by patients drawn at
random (urgent or clinically prioritised bookings) and the rest longest wait first. With no
capacity, patients leave only by the hazards, which is then all of their exits ("seen" stays 0).

A burn-in with its own capacity builds the list a history starts from (a backlog when the
burn-in's capacity is short of demand). Month-end lists cut into weeks bands are what a
provider would publish; the simulator also records the truth the bands do not show: each
month's referrals, first contacts and removals, and which band every patient leaving a month
was in at the month's start (so the monthly exit rate by band is counted, not assumed).

Used by ``benchmarks/from_waits_recovery.py`` and ``tests/test_from_waits.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from calibration.waits import BandHistory

DAYS_PER_MONTH = 365.25 / 12
EDGES = (0.0, 1.0, 2.0, 4.0, 12.0, 18.0, 52.0, math.inf)  # the CHS SitRep's weeks bands
FIRST_YEAR = 2020  # history month labels count from January of this year, burn-in included


@dataclass(frozen=True)
class Waits:
    """What drives one synthetic list; rates are per month, removal rates by band of ``EDGES``."""

    referrals: float
    removal: tuple[float, ...]  # monthly probability of removal unseen, by band
    capacity: float | None = None  # first contacts offered a month in the history (None: none)
    burn_in_capacity: float | None = None  # the same before the history (None: as ``capacity``)
    random_share: float = 0.0  # share of slots booked in random order rather than longest wait first
    seasonality: tuple[float, ...] | None = None  # 12 referral multipliers, January first
    months: int = 8  # published months
    burn_in: int = 24  # months simulated before the first published one


@dataclass
class Synthetic:
    """A published history and the flows that made it, by month label."""

    history: BandHistory
    referrals: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    # month -> (patients per band at the previous month end, of them how many left this month)
    start_bands: dict[str, np.ndarray] = field(default_factory=dict)
    left_by_band: dict[str, np.ndarray] = field(default_factory=dict)
    removed_by_band: dict[str, np.ndarray] = field(default_factory=dict)

    def mean(self, flow: str, months) -> float:
        values = getattr(self, flow)
        return float(np.mean([values[m] for m in months]))

    def exit_rates(self, months, pooled: int = 0) -> np.ndarray:
        """Monthly share of each band's patients (at a month's start) gone by its end, over
        ``months``; the first ``pooled`` bands are counted as one, as an estimate that cannot
        tell them apart reports them."""
        return self._rates(self.left_by_band, months, pooled)

    def removal_rates(self, months, pooled: int = 0) -> np.ndarray:
        """As ``exit_rates``, counting only those removed unseen."""
        return self._rates(self.removed_by_band, months, pooled)

    def _rates(self, leaving: dict[str, np.ndarray], months, pooled: int) -> np.ndarray:
        start = np.sum([self.start_bands[m] for m in months], axis=0).astype(float)
        left = np.sum([leaving[m] for m in months], axis=0).astype(float)
        if pooled:
            start[:pooled], left[:pooled] = start[:pooled].sum(), left[:pooled].sum()
        return np.divide(left, start, out=np.full(start.shape, np.nan), where=start > 0)


def _band(waits: np.ndarray) -> np.ndarray:
    # Completed days waited: a patient at exactly 28 days is in 4-12 weeks, so the bands under 4
    # weeks hold the last 28 days' joiners, as the estimate reads them (side="left" put 29 there,
    # and every trial's referrals read 3.6% high).
    return np.searchsorted(np.array(EDGES[1:-1]) * 7, waits, side="right")


def simulate(spec: Waits, seed: int) -> Synthetic:
    """Run the list day by day; publish each month end after the burn-in."""
    rng = np.random.default_rng(seed)
    n_bands = len(EDGES) - 1
    daily_removal = np.array([-math.log(1 - r) / DAYS_PER_MONTH for r in spec.removal])
    waits = np.array([], dtype=float)
    start_band = np.array([], dtype=int)  # band at the last month end; -1 for joiners since
    flows = {"referrals": 0, "seen": 0, "removed": 0}
    left = np.zeros(n_bands, dtype=int)
    removed = np.zeros(n_bands, dtype=int)
    previous = np.zeros(n_bands, dtype=int)
    counts, labels, record = [], [], {}
    last_day = int((spec.burn_in + spec.months) * DAYS_PER_MONTH)
    for day in range(1, last_day + 1):
        month = int(day / DAYS_PER_MONTH)
        capacity = (
            spec.capacity if month >= spec.burn_in or spec.burn_in_capacity is None else spec.burn_in_capacity
        )
        rate = spec.referrals * (spec.seasonality[month % 12] if spec.seasonality else 1.0)
        joiners = rng.poisson(rate / DAYS_PER_MONTH)
        waits = np.append(waits + 1, np.zeros(joiners))
        start_band = np.append(start_band, np.full(joiners, -1))
        flows["referrals"] += joiners
        gone = rng.random(waits.size) < daily_removal[_band(waits)]
        flows["removed"] += int(gone.sum())
        exited = start_band[gone]
        removed += np.bincount(exited[exited >= 0], minlength=n_bands)
        if capacity:
            slots = min(rng.poisson(capacity / DAYS_PER_MONTH), int((~gone).sum()))
            at_random = rng.binomial(slots, spec.random_share)
            waiting = np.flatnonzero(~gone)
            picked = rng.choice(waiting, size=at_random, replace=False)
            rest = np.setdiff1d(waiting, picked, assume_unique=True)
            # Longest wait first: the oldest of those still waiting (ties broken by position).
            oldest = rest[np.argsort(-waits[rest], kind="stable")[: slots - at_random]]
            seen = np.zeros(waits.size, dtype=bool)
            seen[picked], seen[oldest] = True, True
            flows["seen"] += int(seen.sum())
            gone |= seen
        exited = start_band[gone]
        left += np.bincount(exited[exited >= 0], minlength=n_bands)
        waits, start_band = waits[~gone], start_band[~gone]
        if int((day + 1) / DAYS_PER_MONTH) > month:  # the last day of a month
            band = _band(waits)
            label = f"{FIRST_YEAR + month // 12}-{month % 12 + 1:02d}"
            if month >= spec.burn_in:
                counts.append(np.bincount(band, minlength=n_bands))
                labels.append(label)
                record.setdefault("referrals", {})[label] = flows["referrals"]
                record.setdefault("seen", {})[label] = flows["seen"]
                record.setdefault("removed", {})[label] = flows["removed"]
                record.setdefault("start_bands", {})[label] = previous
                record.setdefault("left_by_band", {})[label] = left.copy()
                record.setdefault("removed_by_band", {})[label] = removed.copy()
            previous = np.bincount(band, minlength=n_bands)
            start_band = band.copy()
            flows = dict.fromkeys(flows, 0)
            left[:], removed[:] = 0, 0
    counts_a = np.array(counts)
    history = BandHistory("synthetic", None, None, None, EDGES, tuple(labels), counts_a, counts_a.sum(axis=1))
    return Synthetic(history, **record)


def compartment_history(referrals: float, monthly_exit: list[float], months: int, seed: int):
    """Month-end band counts of a list with Poisson referrals and exit hazards by band (no
    capacity rule), and the true exits a month in the months after the first."""
    synthetic = simulate(Waits(referrals, tuple(monthly_exit), months=months), seed)
    return synthetic.history, synthetic.mean("removed", synthetic.history.months[1:])
