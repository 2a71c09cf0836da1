"""The model's real-world error, drawn into every simulated future, so P(goal) is not overconfident.

A run's replications say what the future looks like *if the model of the service is right*.
dcsim's forecasts of real CHS services have missed by far more than that spread (issue 23:
``calibration/from_waits/model_error_chs.csv``, errors e = (actual - median) / level at the
forecast origin, by measure and months ahead). Here each replication gets one model-error path
and a measure's value in month h of the run becomes

    value + (e_h(u) - e_h(0.5)) * level,   rounded to whole patients and clipped at 0,

where ``level`` is the measure at the run's start and e_h(u) is the table's error quantile at h.
Choices, stated because the issue leaves them open:

* **One draw u per replication and measure, for every month.** Real misses persist (a model that
  is too high one month ahead is too high six months ahead), so the path is comonotone across
  horizons; independent monthly draws would make every-month (``from``) goals fail by noise.
* **Between q10 and q90** u maps to the error by linear interpolation through q10, q25, q50, q75,
  q90. **Beyond them** a normal tail joined at q10/q90: e = q50 + (q90 - q50) z(u) / z(0.9) above
  (and the same with q10 below), so the tails are no thinner than a normal with that 80% band.
* **Centred on the median error** (no shift), as the from-waits bands are (``model_error.widen``
  with ``shift=False``): the table's median bias is not applied to the forecast.
* **Beyond the table's last horizon** (6 months) the spread keeps growing as sqrt(h / 6), the
  rule ``calibration.model_error.ErrorTable.lookup`` uses.
* **Which row:** ``waiting`` -> waiting; ``breaches`` (at the service's target) -> over_18_weeks.
  The table was estimated for over-18-week counts on English CHS; a 14-week Welsh target uses it
  as an approximation. Other metrics (e.g. wait_p92_weeks) carry no model error, and say so.
* **Common random numbers:** u comes from its own stream (``sim.engine.streams``, "model_error"),
  keyed by seed and replication only, so every scenario of one compare gets the same error
  paths (differences between scenarios are not blurred) and any worker count the same numbers.
  The level is the baseline's, the same for every scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from sim.engine.scenario import ConfigError
from sim.engine.streams import stream
from sim.questions.results import ERROR_MEASURES as MEASURES

LEVELS = {"q10": 0.10, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q90": 0.90}
# The shipped CHS panel table (written by benchmarks/real_panel.py --write-table); read here as
# a data file so this layer does not import calibration (tests/test_layers.py).
DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "calibration" / "from_waits" / "model_error_chs.csv"
# The column holding each measure's level at the run's start (MEASURES: its row of the table).
START_LEVEL = {"breaches": "breaches_opening", "waiting": "waiting"}
Z90 = NormalDist().inv_cdf(0.9)


@dataclass(frozen=True)
class ErrorQuantiles:
    """Error quantiles (q10..q90) by measure and horizon, and the file they came from."""

    table: pd.DataFrame  # columns measure, horizon, q10..q90
    path: Path
    months: str = ""  # the months the table was estimated from, as its header says

    def at(self, measure: str, horizon: int) -> dict[str, float] | None:
        """Quantiles at ``horizon``; past the last one, spreads scaled by sqrt(h / last)."""
        rows = self.table[(self.table["measure"] == measure) & (self.table["horizon"] <= horizon)]
        if rows.empty:
            return None
        row = rows.loc[rows["horizon"].idxmax()]
        scale = float(np.sqrt(horizon / row["horizon"]))
        median = float(row["q50"])
        return {k: median + (float(row[k]) - median) * scale for k in LEVELS}


def read_errors(path: Path | str | None = None) -> ErrorQuantiles:
    """The table at ``path`` (as ``calibration.model_error.write_table`` writes), or the shipped one."""
    chosen = Path(path) if path is not None else DEFAULT_TABLE
    try:
        header = chosen.open().readline().strip()
        frame = pd.read_csv(chosen, comment="#")
        kinds = {"horizon": int, **dict.fromkeys(LEVELS, float)}
        table = frame[["measure", "horizon", *LEVELS]].astype(kinds)
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise ConfigError(f"{chosen}: --model-error: cannot read the table ({error})") from None
    if not set(table["measure"]) & set(MEASURES.values()):
        raise ConfigError(f"{chosen}: --model-error: no rows for {', '.join(MEASURES.values())}")
    months = header.partition("months ")[2].split(",") if header.startswith("#") else []
    span = f"{months[0]} to {months[-1]}" if months and months[0] else ""
    return ErrorQuantiles(table, chosen, span)


def error_at(quantiles: dict[str, float], u: np.ndarray) -> np.ndarray:
    """Centred error for uniforms ``u``: piecewise linear inside q10-q90, normal tails outside."""
    probs = np.array(list(LEVELS.values()))
    values = np.array([quantiles[k] for k in LEVELS]) - quantiles["q50"]
    inside = np.interp(u, probs, values)
    z = np.array([NormalDist().inv_cdf(float(min(max(p, 1e-12), 1 - 1e-12))) for p in np.ravel(u)])
    z = z.reshape(np.shape(u))
    upper, lower = values[-1] * z / Z90, values[0] * z / -Z90
    return np.where(u > 0.9, upper, np.where(u < 0.1, lower, inside))


def uniforms(seed: int, replications: np.ndarray, metric: str) -> np.ndarray:
    """One uniform per replication for ``metric``, from the model-error stream (same in every scenario)."""
    part = list(MEASURES).index(metric)
    return np.array([stream(seed, int(r), "model_error", part).random() for r in replications])


def start_levels(monthly: pd.DataFrame, baseline: str | None = None) -> dict[str, float]:
    """Each measure's level at the run's start, from the baseline's first month (mean over futures).

    Breaches: breaches at the start of the first month. Waiting: the list at the first month end,
    the nearest the monthly table holds to the starting list.
    """
    rows = monthly
    if baseline is not None and "scenario" in monthly:
        rows = monthly[monthly["scenario"] == baseline]
    first = rows[rows["month"] == rows["month"].min()]
    return {m: float(first[c].mean()) for m, c in START_LEVEL.items() if c in first and m in first}


def with_errors(
    monthly: pd.DataFrame, errors: ErrorQuantiles, seed: int, baseline: str | None = None
) -> pd.DataFrame:
    """``monthly`` with each mapped metric's value plus its replication's model error (clipped at 0).

    Horizon h = months since the run's start (the first month end is h = 1).
    """
    out = monthly.copy()
    months = sorted(set(monthly["month"]))
    horizon = monthly["month"].map({m: i + 1 for i, m in enumerate(months)}).to_numpy()
    reps = monthly["replication"].to_numpy()
    levels = start_levels(monthly, baseline)
    for metric, measure in MEASURES.items():
        if metric not in monthly or metric not in levels:
            continue
        unique = np.unique(reps)
        u = dict(zip(unique.tolist(), uniforms(seed, unique, metric), strict=True))
        u_row = np.array([u[r] for r in reps.tolist()])
        shift = np.zeros(len(out))
        for h in np.unique(horizon):
            quantiles = errors.at(measure, int(h))
            if quantiles is None:
                continue
            mask = horizon == h
            shift[mask] = error_at(quantiles, u_row[mask]) * max(levels[metric], 1.0)
        # Counts of patients are whole: a future the simulation puts at 0 with an error of +0.3
        # patients still has no one waiting, so it is rounded before a goal judges it.
        out[metric] = np.clip(np.rint(monthly[metric].to_numpy(float) + shift), 0, None)
    return out


def band_with_errors(monthly: pd.DataFrame, errors: ErrorQuantiles, seed: int, metric: str = "breaches",
                     month: str | None = None) -> tuple[float, float] | None:
    """The middle 80% of one run's futures in ``month`` (default the last) once each carries its
    model-error draw; None when ``metric`` has no row in the table."""
    if metric not in MEASURES or metric not in monthly:
        return None
    month = month or monthly["month"].max()
    honest = with_errors(monthly, errors, seed)
    values = honest.loc[honest["month"] == month, metric].to_numpy(float)
    own = monthly.loc[monthly["month"] == month, metric].to_numpy(float)
    # Never narrower than the simulation's own band, as compare's: with few replications the
    # sampled band of value + error can fall inside it by chance.
    low = min(np.quantile(values, 0.1), np.quantile(own, 0.1))
    return float(low), float(max(np.quantile(values, 0.9), np.quantile(own, 0.9)))
