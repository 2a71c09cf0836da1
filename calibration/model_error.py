"""The model-error layer: widen any method's band by how far its medians have missed real services.

A method's own band (dcsim's replications and parameter draws, a naive method's normal band)
says how uncertain the future is *if the method is right*. Real services show where it is
wrong. This layer takes a table of the method's past forecasts (series, origin, horizon,
measure, median, actual), keeps **only rows whose target month is before the current origin**
(a scored month must not have been seen when the band is made), and measures the error of the
median on a log1p scale, e = log1p(actual) - log1p(median), by measure and horizon, pooled
over the panel and optionally blended with the series' own errors.

The final band, on the log1p scale around the method's median c:
    q_k = c + e_50 + sign_k * combine(|s_k|, |e_k - e_50|)
where s_k is the method's own offset at level k and e_k the error quantile. ``combine`` is
``max`` (the default) or ``quadrature`` (sqrt of the sum of squares). The past errors of the
median already contain the within-model noise of those earlier forecasts, so adding the
method's spread in quadrature counts that noise twice; ``max`` keeps whichever is wider.
Measured on the full panel (benchmarks/real_panel.py --layer compartmental,random_walk, 394
series, origins from Oct 2024 scored): 80% coverage 0.84-0.88 with max against 0.87-0.91 with
quadrature, 50% coverage 0.51-0.63 against 0.56-0.68, and a lower 80% interval score with max
in 21 of 24 measure x horizon cells (waiting list and over 18 weeks); so max is the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.naive import LEVELS, Quantiles

BANDS = {"50": ("q25", "q75"), "80": ("q10", "q90")}
COMBINE = ("max", "quadrature")


def log_errors(past: pd.DataFrame) -> pd.DataFrame:
    """``past`` with its error column: log1p(actual) - log1p(median), both clipped at zero."""
    out = past.copy()
    out["error"] = np.log1p(np.clip(out["actual"].to_numpy(float), 0, None)) - np.log1p(
        np.clip(out["median"].to_numpy(float), 0, None)
    )
    return out


def usable(past: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Rows of ``past`` whose target month is before ``origin``: the no-look-ahead rule."""
    return past[past["target"] < origin]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile of ``values`` with ``weights`` (the inverse of the weighted empirical cdf, midpoints)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


@dataclass
class ErrorTable:
    """Empirical quantiles of a method's log1p errors by measure and horizon, and where from."""

    quantiles: pd.DataFrame  # columns measure, horizon, n, q10..q90
    months: tuple[str, ...] = field(default_factory=tuple)  # target months the errors scored
    origin: str | None = None  # the origin this table may be used at (all months before it)

    def lookup(self, measure: str, horizon: int) -> dict[str, float] | None:
        """Error quantiles at ``horizon``; a shorter horizon's scaled by sqrt(h/h') when absent."""
        rows = self.quantiles[self.quantiles["measure"] == measure]
        rows = rows[rows["horizon"] <= horizon]
        if rows.empty:
            return None
        row = rows.loc[rows["horizon"].idxmax()]
        scale = np.sqrt(horizon / row["horizon"])
        median = float(row["q50"])
        # The median error is a bias, not a spread: it is kept, and only the spread is scaled.
        return {k: median + (float(row[k]) - median) * scale for k in LEVELS}


def estimate(
    past: pd.DataFrame,
    origin: str,
    series: str | None = None,
    min_n: int = 20,
    own_min: int = 6,
    own_k: float = 20.0,
) -> ErrorTable:
    """The layer at ``origin`` from past forecasts (columns series, origin, target, horizon,
    measure, median, actual); only rows with target before ``origin`` are used.

    With ``series`` given and at least ``own_min`` of its own errors at a measure and horizon,
    its errors are blended with the pool, weight n_own / (n_own + own_k) on its own (a
    credibility weight: a service's own misses count more the more of them there are).
    Horizons with fewer than ``min_n`` pooled errors are left out (``lookup`` then borrows).
    """
    rows = log_errors(usable(past, origin))
    out = []
    for (measure, horizon), group in rows.groupby(["measure", "horizon"]):
        errors = group["error"].to_numpy(float)
        if len(errors) < min_n:
            continue
        weights = np.full(len(errors), 1.0 / len(errors))
        if series is not None:
            own = (group["series"] == series).to_numpy()
            n_own = int(own.sum())
            if n_own >= own_min and n_own < len(errors):
                share = n_own / (n_own + own_k)
                weights = np.where(own, share / n_own, (1 - share) / (len(errors) - n_own))
        found = {"measure": measure, "horizon": int(horizon), "n": len(errors)}
        found.update({k: weighted_quantile(errors, weights, q) for k, q in LEVELS.items()})
        out.append(found)
    table = pd.DataFrame(out, columns=["measure", "horizon", "n", *LEVELS])
    return ErrorTable(table, tuple(sorted(rows["target"].unique())), origin)


def widen(
    quantiles: Quantiles, table: ErrorTable, measure: str, combine: str = "max"
) -> tuple[Quantiles, pd.DataFrame]:
    """The method's quantiles (q10..q90 per horizon) with model error added; and the breakdown.

    The breakdown has one row per horizon and band: the half-width on the log1p scale from the
    method's own spread and from model error, and each one's share of their summed squares
    (what the report and manifest show as "how much of the band is model error").
    """
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}")
    centre = np.log1p(np.clip(np.asarray(quantiles["q50"], dtype=float), 0, None))
    horizon = len(centre)
    own = {k: np.log1p(np.clip(np.asarray(quantiles[k], dtype=float), 0, None)) - centre for k in LEVELS}
    final = {k: np.asarray(quantiles[k], dtype=float).copy() for k in LEVELS}
    parts = []
    for i in range(horizon):
        errors = table.lookup(measure, i + 1)
        if errors is None:
            continue
        shift = errors["q50"]
        for k, q in LEVELS.items():
            model = errors[k] - shift
            sign = -1.0 if q < 0.5 else 1.0
            a, b = abs(own[k][i]), abs(model)
            width = max(a, b) if combine == "max" else float(np.hypot(a, b))
            final[k][i] = max(np.expm1(centre[i] + shift + sign * width), 0.0)
        for band, (lo, hi) in BANDS.items():
            own_half = (abs(own[lo][i]) + abs(own[hi][i])) / 2
            model_half = (abs(errors[lo] - shift) + abs(errors[hi] - shift)) / 2
            total = own_half**2 + model_half**2
            parts.append(
                {
                    "measure": measure,
                    "horizon": i + 1,
                    "band": band,
                    "own_half_width": own_half,
                    "model_error_half_width": model_half,
                    "own_share": own_half**2 / total if total > 0 else 1.0,
                    "model_error_share": model_half**2 / total if total > 0 else 0.0,
                }
            )
    stacked = np.sort(np.vstack([final[k] for k in LEVELS]), axis=0)
    return {k: stacked[j] for j, k in enumerate(LEVELS)}, pd.DataFrame(parts)


def widen_rows(rows: pd.DataFrame, table: ErrorTable, combine: str = "max") -> pd.DataFrame:
    """:func:`widen` for many forecasts at once: ``rows`` has columns measure, horizon, q10..q90.

    Returns a copy with the widened quantiles and, per row, ``model_error_share_80``: model
    error's share of the squared 80% half-width (the same attribution as :func:`widen`).
    """
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}")
    out = rows.copy()
    out["model_error_share_80"] = np.nan
    centre_all = np.log1p(np.clip(rows["q50"].to_numpy(float), 0, None))
    for (measure, horizon), index in rows.groupby(["measure", "horizon"]).indices.items():
        errors = table.lookup(measure, int(horizon))
        if errors is None:
            continue
        centre, shift = centre_all[index], errors["q50"]
        widened = []
        for k, q in LEVELS.items():
            own = np.abs(np.log1p(np.clip(rows[k].to_numpy(float)[index], 0, None)) - centre)
            model = abs(errors[k] - shift)
            width = np.maximum(own, model) if combine == "max" else np.hypot(own, model)
            sign = -1.0 if q < 0.5 else 1.0
            widened.append(np.clip(np.expm1(centre + shift + sign * width), 0, None))
        stacked = np.sort(np.vstack(widened), axis=0)
        for j, k in enumerate(LEVELS):
            out.iloc[index, out.columns.get_loc(k)] = stacked[j]
        own80 = (
            np.abs(np.log1p(np.clip(rows["q10"].to_numpy(float)[index], 0, None)) - centre)
            + np.abs(np.log1p(np.clip(rows["q90"].to_numpy(float)[index], 0, None)) - centre)
        ) / 2
        model80 = (abs(errors["q10"] - shift) + abs(errors["q90"] - shift)) / 2
        total = own80**2 + model80**2
        share = np.where(total > 0, model80**2 / np.where(total > 0, total, 1), 0.0)
        out.iloc[index, out.columns.get_loc("model_error_share_80")] = share
    return out


def write_table(table: ErrorTable, path: Path | str) -> None:
    """The table as CSV, the months it was estimated from in a header line and in columns."""
    path = Path(path)
    frame = table.quantiles.copy()
    frame["estimated_from"] = table.months[0] if table.months else ""
    frame["estimated_to"] = table.months[-1] if table.months else ""
    with path.open("w") as handle:
        handle.write(f"# model-error table; origin {table.origin or ''}; months {','.join(table.months)}\n")
        frame.to_csv(handle, index=False)


def read_table(path: Path | str) -> ErrorTable:
    """A table written by :func:`write_table`."""
    path = Path(path)
    header = path.open().readline().strip()
    months: tuple[str, ...] = ()
    origin = None
    if header.startswith("#"):
        for part in header.lstrip("# ").split(";"):
            part = part.strip()
            if part.startswith("months "):
                months = tuple(m for m in part[len("months ") :].split(",") if m)
            elif part.startswith("origin ") and part[len("origin ") :].strip():
                origin = part[len("origin ") :].strip()
    frame = pd.read_csv(path, comment="#")
    return ErrorTable(frame[["measure", "horizon", "n", *LEVELS]], months, origin)
