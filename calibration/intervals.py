"""Point estimates with 95% confidence intervals, and numbers written plainly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = stats.norm.ppf(0.975)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plain_number(value: float, digits: int = 4) -> str:
    """A number with about ``digits`` significant figures, in plain (never exponent) notation."""
    if not np.isfinite(value):
        return "inf"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% confidence interval."""

    value: float
    low: float
    high: float

    def contains(self, truth: float) -> bool:
        return self.low <= truth <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low

    def describe(self) -> str:
        return f"95% CI {plain_number(self.low, 3)} to {plain_number(self.high, 3)}"


def wilson(successes: int, trials: int) -> Interval:
    """A proportion with its Wilson score interval (sound near 0 and 1, unlike the normal one)."""
    if trials == 0:
        return Interval(0.0, 0.0, 1.0)
    share = successes / trials
    centre = (share + Z95**2 / (2 * trials)) / (1 + Z95**2 / trials)
    half = Z95 * np.sqrt(share * (1 - share) / trials + Z95**2 / (4 * trials**2)) / (1 + Z95**2 / trials)
    low = 0.0 if successes == 0 else centre - half  # exact at the edges, not 1e-18 from them
    high = 1.0 if successes == trials else centre + half
    return Interval(share, float(low), float(high))


def median_interval(values: Iterable[float]) -> Interval:
    """The median with a distribution-free interval from binomial order statistics."""
    ordered = np.sort(np.asarray(list(values), dtype=float))
    n = ordered.size
    low = int(max(stats.binom.ppf(0.025, n, 0.5) - 1, 0))
    high = int(min(stats.binom.ppf(0.975, n, 0.5), n - 1))
    return Interval(float(np.median(ordered)), float(ordered[low]), float(ordered[high]))


def ratio_interval(numerator: np.ndarray, denominator: np.ndarray) -> Interval:
    """sum(num)/sum(den) with a patient-clustered (linearised) interval.

    DNAs cluster in patients, so treating every contact as independent would be too narrow.
    """
    total = denominator.sum()
    ratio = numerator.sum() / total
    n = numerator.size
    residual = numerator - ratio * denominator
    se = np.sqrt(n / max(n - 1, 1) * np.sum(residual**2)) / total
    return Interval(float(ratio), float(max(0.0, ratio - Z95 * se)), float(min(1.0, ratio + Z95 * se)))
