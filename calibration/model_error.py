"""The model-error layer: widen any method's band by how far its medians have missed real services.

A method's own band (dcsim's replications and parameter draws, a naive method's normal band)
says how uncertain the future is *if the method is right*. Real services show where it is
wrong. This layer takes a table of the method's past forecasts (series, origin, target,
horizon, measure, median, actual, level), keeps **only rows whose target month is before the
current origin** (a scored month must not have been seen when the band is made), and measures
each miss relative to the measure's level at its origin,
    e = (actual - median) / max(level, 1),
by measure and horizon, pooled over the panel and optionally blended with the series' own.

The final band around the method's median c, for a forecast made at level L:
    q_k = c + shift * e_50 * L + sign_k * combine(|c_k - c|, |e_k - e_50| * L)
where c_k is the method's own quantile at level k and e_k the error quantile. ``combine`` is
``max`` (the default) or ``quadrature``. The past errors of the median already contain the
within-model noise of those forecasts, so adding the method's spread in quadrature counts that
noise twice; ``max`` keeps whichever is wider. ``shift`` (off by default) would also move the
median by the past median error.

Why the level, not a log scale: a forecast whose median falls near zero (an over-52 count the
model expects to clear) has a log error of several units when the count does not clear, and one
such miss in the pool made the upper band of every other forecast nine times its median
(benchmarks/real_panel.py --quick, over 18 weeks at six months: mean 80% interval score 2,260
on the log scale against 685 on the level scale). The level at the origin is known when the
forecast is made, as conformal carry-forward uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.naive import LEVELS, Quantiles

BANDS = {"50": ("q25", "q75"), "80": ("q10", "q90")}
COMBINE = ("max", "quadrature")


def relative_errors(past: pd.DataFrame) -> pd.DataFrame:
    """``past`` with its error column: (actual - median) / max(level, 1)."""
    out = past.copy()
    level = np.maximum(out["level"].to_numpy(float), 1.0)
    out["error"] = (out["actual"].to_numpy(float) - out["median"].to_numpy(float)) / level
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
    """Empirical quantiles of a method's relative errors by measure and horizon, and where from."""

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
    measure, median, actual, level); only rows with target before ``origin`` are used.

    With ``series`` given and at least ``own_min`` of its own errors at a measure and horizon,
    its errors are blended with the pool, weight n_own / (n_own + own_k) on its own (a
    credibility weight: a service's own misses count more the more of them there are).
    Horizons with fewer than ``min_n`` pooled errors are left out (``lookup`` then borrows).
    """
    rows = relative_errors(usable(past, origin))
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


def _band(
    own: dict[str, np.ndarray],
    centre: np.ndarray,
    level: np.ndarray,
    errors: dict[str, float],
    combine: str,
    shift: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Widened quantiles for points sharing one error row; and model error's 80% share."""
    scale = np.maximum(level, 1.0)
    middle = centre + (errors["q50"] * scale if shift else 0.0)
    widened = []
    for k, q in LEVELS.items():
        mine = np.abs(own[k] - centre)
        model = abs(errors[k] - errors["q50"]) * scale
        width = np.maximum(mine, model) if combine == "max" else np.hypot(mine, model)
        sign = 0.0 if q == 0.5 else (-1.0 if q < 0.5 else 1.0)
        widened.append(np.clip(middle + sign * width, 0, None))
    stacked = np.sort(np.vstack(widened), axis=0)
    own80 = (np.abs(own["q10"] - centre) + np.abs(own["q90"] - centre)) / 2
    model80 = (abs(errors["q10"] - errors["q50"]) + abs(errors["q90"] - errors["q50"])) / 2 * scale
    total = own80**2 + model80**2
    share = np.divide(model80**2, total, out=np.zeros_like(total), where=total > 0)
    return {k: stacked[j] for j, k in enumerate(LEVELS)}, share


def widen(
    quantiles: Quantiles,
    table: ErrorTable,
    measure: str,
    level: float,
    combine: str = "max",
    shift: bool = False,
) -> tuple[Quantiles, pd.DataFrame]:
    """One forecast's quantiles (q10..q90 per horizon, made at ``level``) with model error added;
    and the breakdown: per horizon and band, the half-width from the method's own spread and
    from model error, and each one's share of their summed squares (what the report and
    manifest show as "how much of the band is model error")."""
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}")
    own = {k: np.asarray(quantiles[k], dtype=float) for k in LEVELS}
    final = {k: v.copy() for k, v in own.items()}
    parts = []
    for i in range(len(own["q50"])):
        errors = table.lookup(measure, i + 1)
        if errors is None:
            continue
        point = {k: v[i : i + 1] for k, v in own.items()}
        band, _ = _band(point, point["q50"], np.array([level]), errors, combine, shift)
        for k in LEVELS:
            final[k][i] = band[k][0]
        for name, (lo, hi) in BANDS.items():
            own_half = (abs(own[lo][i] - own["q50"][i]) + abs(own[hi][i] - own["q50"][i])) / 2
            model_half = (
                (abs(errors[lo] - errors["q50"]) + abs(errors[hi] - errors["q50"])) / 2 * max(level, 1)
            )
            total = own_half**2 + model_half**2
            parts.append(
                {
                    "measure": measure,
                    "horizon": i + 1,
                    "band": name,
                    "own_half_width": own_half,
                    "model_error_half_width": model_half,
                    "own_share": own_half**2 / total if total > 0 else 1.0,
                    "model_error_share": model_half**2 / total if total > 0 else 0.0,
                }
            )
    return final, pd.DataFrame(parts)


def widen_rows(
    rows: pd.DataFrame, table: ErrorTable, combine: str = "max", shift: bool = False
) -> pd.DataFrame:
    """:func:`widen` for many forecasts at once: ``rows`` has columns measure, horizon, level,
    q10..q90. Returns a copy with the widened quantiles and, per row, ``model_error_share_80``:
    model error's share of the squared 80% half-width (the same attribution as :func:`widen`).
    """
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}")
    out = rows.copy()
    out["model_error_share_80"] = np.nan
    for (measure, horizon), index in rows.groupby(["measure", "horizon"]).indices.items():
        errors = table.lookup(measure, int(horizon))
        if errors is None:
            continue
        own = {k: rows[k].to_numpy(float)[index] for k in LEVELS}
        level = rows["level"].to_numpy(float)[index]
        band, share = _band(own, own["q50"], level, errors, combine, shift)
        for k in LEVELS:
            out.iloc[index, out.columns.get_loc(k)] = band[k]
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
