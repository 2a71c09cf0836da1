"""Naive forecasters of one measure, as predictive quantiles for horizons 1..H.

Each takes the fitted history of one measure (1-D, consecutive months, oldest first) and
returns ``{"q10", "q25", "q50", "q75", "q90"}`` -> array of length H. They are the yardsticks
of Hyndman & Athanasopoulos (*Forecasting: principles and practice*, 3rd ed., 5.5) that dcsim
must beat on real services, plus carry-forward with a band calibrated on the panel's earlier
origins (split-conformal in spirit: the band is the empirical distribution of past errors).

Counts cannot go below zero, so every lower quantile is clipped at zero.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

LEVELS: dict[str, float] = {"q10": 0.10, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q90": 0.90}
SEASON = 12

Quantiles = dict[str, np.ndarray]


def _as_history(history: np.ndarray) -> np.ndarray:
    y = np.asarray(history, dtype=float)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError("history must be a non-empty 1-D array of monthly values")
    return y


def normal_band(centre: np.ndarray, sd: np.ndarray) -> Quantiles:
    """Quantiles of a normal band around ``centre``, clipped at zero (counts)."""
    return {k: np.clip(centre + norm.ppf(q) * sd, 0, None) for k, q in LEVELS.items()}


def point_band(centre: np.ndarray) -> Quantiles:
    """A degenerate band: every quantile is the point forecast (a method with no spread)."""
    return {k: np.clip(np.asarray(centre, dtype=float), 0, None) for k in LEVELS}


def carry_forward(history: np.ndarray, horizon: int) -> Quantiles:
    """The last value, for every horizon, with no band (the point forecast is the method)."""
    y = _as_history(history)
    return point_band(np.full(horizon, y[-1]))


def random_walk(history: np.ndarray, horizon: int) -> Quantiles:
    """Carry-forward with a normal band: sd of the month-to-month changes times sqrt(h).

    The sd is the sample sd of the fitted changes (ddof 1), the band issue 23's baseline was
    measured with (benchmarks/panel_baseline.py reproduces its 71% and 57%; the root mean square
    of ``calibration.scoring`` gives 77% and 62% there). With one change it is that change's
    size; with none there is no band.
    """
    y = _as_history(history)
    h = np.arange(1, horizon + 1, dtype=float)
    changes = np.diff(y)
    if len(changes) >= 2:
        sigma = float(np.std(changes, ddof=1))
    else:
        sigma = float(np.abs(changes).sum())
    return normal_band(np.full(horizon, y[-1]), sigma * np.sqrt(h))


def drift(history: np.ndarray, horizon: int) -> Quantiles:
    """The line from the first to the last fitted value, extended, with its normal band.

    The band is Hyndman & Athanasopoulos' drift variance, sigma^2 h (1 + h / (T - 1)), from
    the residuals of the changes about the slope; with two months there is no residual spread.
    """
    y = _as_history(history)
    n = len(y)
    h = np.arange(1, horizon + 1, dtype=float)
    if n < 2:
        return carry_forward(y, horizon)
    slope = (y[-1] - y[0]) / (n - 1)
    sigma = float(np.sqrt(np.sum((np.diff(y) - slope) ** 2) / (n - 2))) if n >= 3 else 0.0
    return normal_band(y[-1] + h * slope, sigma * np.sqrt(h * (1 + h / (n - 1))))


def seasonal_naive(history: np.ndarray, horizon: int, season: int = SEASON) -> Quantiles:
    """The value a season (12 months) before each target month, where the history reaches it.

    The panel's fitted windows are at most six months, so this is usually carry-forward; it
    warns when it falls back, so the reader of a score knows which method was scored. The band
    is the normal band of the seasonal differences where there are any, else the random walk's.
    """
    y = _as_history(history)
    n = len(y)
    if n < season + 1:
        warnings.warn(
            f"seasonal_naive: {n} fitted months, fewer than {season + 1}; carrying the last value forward",
            stacklevel=2,
        )
        return random_walk(y, horizon)
    h = np.arange(1, horizon + 1)
    k = (h - 1) // season + 1
    index = n - 1 + h - season * k
    sigma = float(np.sqrt(np.mean((y[season:] - y[:-season]) ** 2)))
    return normal_band(y[index], sigma * np.sqrt(k))


def relative_errors(past: pd.DataFrame, origin: str, measure: str) -> dict[int, np.ndarray]:
    """Relative errors of carry-forward by horizon, from earlier origins only.

    ``past`` has columns ``origin, horizon, measure, target, forecast, actual`` (months as
    'YYYY-MM'). A row is usable at ``origin`` only when its target month is before ``origin``:
    the figure it scores was published before the forecast is made. The error is
    (actual - forecast) / max(forecast, 1), so a zero carried forward does not divide by zero.
    """
    rows = past[(past["measure"] == measure) & (past["target"] < origin)]
    scale = np.maximum(rows["forecast"].to_numpy(float), 1.0)
    error = (rows["actual"].to_numpy(float) - rows["forecast"].to_numpy(float)) / scale
    horizons = rows["horizon"].to_numpy(int)
    return {int(h): error[horizons == h] for h in np.unique(horizons)}


def conformal_band(
    last: float, errors: dict[int, np.ndarray], horizon: int, min_errors: int = 20
) -> Quantiles:
    """``last`` carried forward with the band last * (1 + quantiles of the relative errors at h).

    ``errors`` maps horizon -> relative errors (from :func:`relative_errors`). Where fewer than
    ``min_errors`` exist at h, those of the nearest shorter horizon with enough are used,
    scaled by sqrt(h / h') (a random walk's growth); with none at all the band is a point.
    """
    found: Quantiles = {k: np.full(horizon, float(last)) for k in LEVELS}
    for step in range(1, horizon + 1):
        usable = [h for h in errors if h <= step and len(errors[h]) >= min_errors]
        if not usable:
            continue
        source = max(usable)
        for k, q in LEVELS.items():
            value = np.quantile(errors[source], q) * np.sqrt(step / source)
            found[k][step - 1] = max(last + max(last, 1.0) * value, 0.0)
    return found


def conformal_carry_forward(
    history: np.ndarray,
    horizon: int,
    past: pd.DataFrame,
    origin: str,
    measure: str,
    min_errors: int = 20,
) -> Quantiles:
    """Carry-forward with a band from the panel's past relative errors at each horizon.

    ``past`` is the table of carry-forward forecasts described in :func:`relative_errors`; only
    its rows whose target month is before ``origin`` are used (no look-ahead). A benchmark
    scoring many series at one origin computes :func:`relative_errors` once and calls
    :func:`conformal_band` per series, which is the same calculation.
    """
    y = _as_history(history)
    return conformal_band(float(y[-1]), relative_errors(past, origin, measure), horizon, min_errors)


SIMPLE_METHODS = {
    "carry_forward": carry_forward,
    "drift": drift,
    "seasonal_naive": seasonal_naive,
    "random_walk": random_walk,
}
