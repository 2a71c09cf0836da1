"""Scoring forecast bands against held-out figures, and the naive forecasts they must beat.

A forecast for one month is five quantiles (10, 25, 50, 75, 90%): the 50% band is p25-p75
and the 80% band p10-p90. Scores: coverage of each band (and, where the points carry the
forecast's probability below and at or below each figure, the coverage of a randomised PIT,
which ties at a band's edge do not inflate), its mean width, the interval
score of Gneiting & Raftery (2007, eq. 43), which rewards narrow bands and charges
2/alpha times the distance by which a figure falls outside, and the mean absolute error and
bias of the median.

The naive forecasts are those of Hyndman & Athanasopoulos, *Forecasting: principles and
practice* (3rd ed., section 5.5), with normal bands from the spread of their one-step
residuals on the training months: the last value carried forward (a random walk), linear
drift from the first to the last value, and the seasonal naive (the value twelve months
before), used where the training months include a full year and one more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

QUANTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
BANDS = {"50": ("p25", "p75", 0.5), "80": ("p10", "p90", 0.2)}  # name: (low, high, alpha)
SEASON = 12
NAIVE_METHODS = ("carry_forward", "drift", "seasonal_naive")


def pit_coverage(pit_low: np.ndarray, pit_high: np.ndarray, alpha: float) -> np.ndarray:
    """Chance that a randomised PIT lies in the central (1 - alpha) band, per figure.

    ``pit_low`` and ``pit_high`` are the forecast's probability of a value below the figure
    and at or below it. For counts a figure often ties with the band's edge (a held-out zero
    sits inside every band that reaches zero), so the share inside the band overstates
    coverage; drawing the PIT uniformly between the two (Czado, Gneiting & Held 2009)
    makes it exactly uniform for a correct forecast, and this is the chance it falls in
    (alpha/2, 1 - alpha/2). Its mean over figures is nominal for a calibrated forecast.
    """
    low, high = alpha / 2, 1 - alpha / 2
    width = pit_high - pit_low
    overlap = np.clip(np.minimum(pit_high, high) - np.maximum(pit_low, low), 0, None)
    point = ((pit_low > low) & (pit_low < high)).astype(float)
    return np.where(width > 0, overlap / np.where(width > 0, width, 1), point)


def model_pit(forecast: pd.DataFrame, metric: str, months: list[str], observed: list[float]) -> pd.DataFrame:
    """Per month, the share of replications below the observed figure and at or below it."""
    rows = []
    for month, y in zip(months, observed, strict=True):
        values = forecast.loc[forecast["month"] == month, metric].to_numpy(float)
        rows.append({"pit_low": float(np.mean(values < y)), "pit_high": float(np.mean(values <= y))})
    return pd.DataFrame(rows, index=months)


def normal_pit(quantiles: dict[str, np.ndarray], observed: np.ndarray) -> np.ndarray:
    """The PIT of figures under a naive method's normal band (its median and 10-90% spread)."""
    sd = (np.asarray(quantiles["p90"]) - np.asarray(quantiles["p10"])) / (2 * norm.ppf(0.9))
    centre = np.asarray(quantiles["p50"])
    gap = observed - centre
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, norm.cdf(gap / sd), np.where(gap >= 0, 1.0, 0.0))


def interval_score(low: np.ndarray, high: np.ndarray, observed: np.ndarray, alpha: float) -> np.ndarray:
    """Gneiting & Raftery's interval score of the central (1 - alpha) band: lower is better."""
    below = np.clip(low - observed, 0, None)
    above = np.clip(observed - high, 0, None)
    return (high - low) + 2 / alpha * (below + above)


def scores(points: pd.DataFrame) -> dict[str, float]:
    """Scores of forecast points (columns observed, p10..p90) pooled over origins and months."""
    y = points["observed"].to_numpy(dtype=float)
    result: dict[str, float] = {"points": int(len(points))}
    for name, (low_q, high_q, alpha) in BANDS.items():
        low, high = points[low_q].to_numpy(dtype=float), points[high_q].to_numpy(dtype=float)
        result[f"coverage_{name}"] = float(np.mean((low <= y) & (y <= high)))
        if "pit_low" in points:
            pit = pit_coverage(points["pit_low"].to_numpy(float), points["pit_high"].to_numpy(float), alpha)
            result[f"pit_coverage_{name}"] = float(np.mean(pit))
        result[f"width_{name}"] = float(np.mean(high - low))
        result[f"interval_score_{name}"] = float(np.mean(interval_score(low, high, y, alpha)))
    error = points["p50"].to_numpy(dtype=float) - y
    result["mae"] = float(np.mean(np.abs(error)))
    result["bias"] = float(np.mean(error))
    return result


def _band(point: np.ndarray, sd: np.ndarray) -> dict[str, np.ndarray]:
    return {name: point + norm.ppf(q) * sd for name, q in QUANTILES.items()}


def naive_forecasts(train: np.ndarray, steps: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Quantiles of each naive method ``steps`` months after the last training value.

    ``train`` holds consecutive monthly values (no gaps). A method is left out when the
    training months are too few to measure its residual spread.
    """
    y = np.asarray(train, dtype=float)
    h = np.asarray(steps, dtype=float)
    n, found = len(y), {}
    if n >= 2:
        sigma = np.sqrt(np.mean(np.diff(y) ** 2))
        found["carry_forward"] = _band(np.full(h.shape, y[-1]), sigma * np.sqrt(h))
    if n >= 3:
        slope = (y[-1] - y[0]) / (n - 1)
        residual = np.diff(y) - slope
        sigma = np.sqrt(np.sum(residual**2) / (n - 2))
        found["drift"] = _band(y[-1] + h * slope, sigma * np.sqrt(h * (1 + h / (n - 1))))
    if n >= SEASON + 1:
        sigma = np.sqrt(np.mean((y[SEASON:] - y[:-SEASON]) ** 2))
        k = np.floor((h - 1) / SEASON) + 1
        index = (n - 1 + h - SEASON * k).astype(int)
        found["seasonal_naive"] = _band(y[index], sigma * np.sqrt(k))
    return found


def model_quantiles(forecast: pd.DataFrame, metric: str, months: list[str]) -> pd.DataFrame:
    """The fan's quantiles of ``metric`` in ``months`` (one row per month, columns p10..p90)."""
    rows = forecast[forecast["month"].isin(months)].groupby("month")[metric]
    table = pd.DataFrame({name: rows.quantile(q) for name, q in QUANTILES.items()})
    return table.reindex(months)


HORIZON_SCORE_COLUMNS = [
    "method", "measure", "horizon", "n", "coverage_50", "coverage_80", "interval_score_80", "mae", "mape",
]


def horizon_scores(points: pd.DataFrame) -> pd.DataFrame:
    """Scores per method x measure x horizon of points with columns method, measure, horizon,
    actual and p10..p90: n, 50% and 80% coverage, the 80% interval score, the median's MAE and
    its MAPE over the points whose actual is above zero (a zero has no percentage error, so it
    is left out of MAPE only; NaN when every actual is zero). The panel benchmark
    (benchmarks/real_panel.py) and ``dcsim backtest`` on waits both score with this."""
    rows = []
    for (method, measure, horizon), group in points.groupby(["method", "measure", "horizon"]):
        found = scores(group.rename(columns={"actual": "observed"}))
        y, med = group["actual"].to_numpy(float), group["p50"].to_numpy(float)
        positive = y > 0
        mape = float(np.mean(np.abs(med[positive] - y[positive]) / y[positive])) if positive.any() else np.nan
        rows.append({"method": method, "measure": measure, "horizon": int(horizon), "n": found["points"]})
        rows[-1].update({k: found[k] for k in ("coverage_50", "coverage_80", "interval_score_80", "mae")})
        rows[-1]["mape"] = mape
    return pd.DataFrame(rows, columns=HORIZON_SCORE_COLUMNS)
