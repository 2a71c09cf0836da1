"""Where inside its weeks band each snapshot patient's wait falls.

A published band such as 18-52 weeks is wide. Spreading its patients uniformly over it puts as
many at 50 weeks as at 19, but on a real list fewer have waited longer, so a uniform spread sends
too many over 52 weeks within months. ``within_band: sloped`` gives each band an exponential
density whose slope is read from the neighbouring bands (the change of log density per day
between them), so the spread follows the list's own shape; the band counts are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WaitBand:
    """Patients who have waited from ``from_weeks`` up to ``to_weeks`` (the top may be infinite)."""

    from_weeks: float
    to_weeks: float
    count: float


def _centre(low: float, width: float, slope: float) -> float:
    """The wait at which an exponential density equals its own average over the band."""
    if abs(slope * width) < 1e-9:
        return low + width / 2
    return low - math.log(-math.expm1(-slope * width) / (slope * width)) / slope


def band_slopes(bands: list, rounds: int = 4) -> list[float]:
    """Decay rate per day of each band's density (positive: fewer at longer waits).

    The slope between two bands is their change of log average density over the distance
    between the waits where each band's density equals its average; those waits depend on the
    slopes, so a few rounds settle both (on an exactly exponential list, to its exact rate).
    """
    ordered = sorted(range(len(bands)), key=lambda i: bands[i].from_weeks)
    lows = [bands[i].from_weeks * 7 for i in ordered]
    widths = [bands[i].to_weeks * 7 - lo for i, lo in zip(ordered, lows, strict=True)]
    # Half a patient in an empty band keeps the logarithm finite without inventing a shape.
    log_density = [
        math.log(max(bands[i].count, 0.5) / w) for i, w in zip(ordered, widths, strict=True)
    ]
    slope = [0.0] * len(ordered)
    for _ in range(rounds):
        centres = [_centre(lo, w, k) for lo, w, k in zip(lows, widths, slope, strict=True)]
        new = []
        for rank in range(len(ordered)):
            before, after = max(rank - 1, 0), min(rank + 1, len(ordered) - 1)
            if before == after:
                new.append(0.0)
                continue
            new.append(-(log_density[after] - log_density[before]) / (centres[after] - centres[before]))
        slope = new
    slopes = [0.0] * len(bands)
    for rank, index in enumerate(ordered):
        slopes[index] = slope[rank]
    return slopes


def sloped_waits(low: float, high: float, slope: float, u: np.ndarray) -> np.ndarray:
    """Days waited in [low, high) with density proportional to exp(-slope x), from uniforms ``u``."""
    width = high - low
    if abs(slope * width) < 1e-9:
        return low + u * width
    # Inverse of the truncated exponential's distribution function.
    return low - np.log1p(-u * -np.expm1(-slope * width)) / slope
