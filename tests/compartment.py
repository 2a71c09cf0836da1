"""A plain compartment simulator of a waiting list by weeks band: truth built without dcsim's engine.

Day by day: Poisson referrals, and each waiting patient leaving with a hazard set by the band of
weeks waited. Its month-end lists, cut into the CHS weeks bands, are what a provider would
publish. ``tests/test_from_waits.py`` and ``tests/test_fit_waits.py`` check what dcsim infers
from them against the referrals and exits that made them.
"""

from __future__ import annotations

import math

import numpy as np

from calibration.waits import BandHistory

EDGES = (0.0, 1.0, 2.0, 4.0, 12.0, 18.0, 52.0, math.inf)


def compartment_history(referrals: float, monthly_exit: list[float], months: int, seed: int):
    """Month-end band counts of a list with Poisson referrals and exit hazards by band, and the
    true exits in each month after the first."""
    rng = np.random.default_rng(seed)
    daily = [-math.log(1 - r) / (365.25 / 12) for r in monthly_exit]
    waits = np.array([], dtype=float)
    counts, labels, exits, left = [], [], [], 0
    for day in range(1, int((months + 24) * 365.25 / 12)):
        waits = np.append(waits + 1, np.zeros(rng.poisson(referrals * 12 / 365.25)))
        band = np.searchsorted(np.array(EDGES[1:-1]) * 7, waits, side="left")
        stay = rng.random(waits.size) >= np.asarray(daily)[band]
        left += int((~stay).sum())
        waits = waits[stay]
        month = int(day / (365.25 / 12))
        if int((day + 1) / (365.25 / 12)) > month and month >= 24:  # last day of a month, after burn-in
            band = np.searchsorted(np.array(EDGES[1:-1]) * 7, waits, side="left")
            counts.append(np.bincount(band, minlength=7))
            exits.append(left)
            labels.append(f"{2020 + month // 12}-{month % 12 + 1:02d}")
        if int((day + 1) / (365.25 / 12)) > month:
            left = 0
    counts = np.array(counts)
    history = BandHistory("synthetic", None, None, None, EDGES, tuple(labels), counts, counts.sum(axis=1))
    return history, float(np.mean(exits[1:]))
