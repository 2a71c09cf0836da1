"""Rolling-origin backtest of a published waiting list: dcsim from its waits beside the yardsticks.

At each origin the service is fitted from its waits (``calibration.from_waits``) on at most
``fit_months`` consecutive usable months ending at the origin, and forecast 1..``horizon``
months on; so are the yardsticks, from the same months: carry-forward, drift, a random-walk
band (``calibration.naive``), the compartmental flow model (``calibration.compartmental``,
the NHSRtt method), carry-forward with a band from the panel's past errors
(``conformal_carry_forward``, see ``panel``) and the seasonal naive. Each is scored against
the months the service went on to publish, on the list, breaches at the target and waits over
52 weeks.

Nothing published after an origin reaches its forecasts: the fit sees only months up to it;
the panel's past errors only target months before it; the seasonal naive only the figure a
year before the target, where that was published by the origin. dcsim's band carries the
model-error table (how far dcsim missed real services, ``calibration.from_waits.bands``);
that table was estimated from some months, so an origin before the table's last month would
read ahead through it: such origins are forecast, but no method is scored there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import compartmental, naive
from calibration.from_waits.bands import load_table, with_model_error
from calibration.from_waits.estimate import MAX_MONTHS, MIN_MONTHS, fitting_months
from calibration.from_waits.forecast import forecast_summary, origin_levels, simulate
from calibration.from_waits.track_record import origin_seed
from calibration.scoring import horizon_scores
from calibration.waits import BandHistory, WaitsError
from calibration.waits.history import MONTH_PATTERN, month_index, month_label
from calibration.waits_backtest.panel import past_rows

METHODS = ("dcsim", "carry_forward", "drift", "seasonal_naive", "random_walk", "conformal_carry_forward",
           "compartmental")
CENTILES = ("p10", "p25", "p50", "p75", "p90")
POINT_COLUMNS = ["origin", "method", "measure", "horizon", "month", "actual", *CENTILES, "scored"]
HORIZON, FIT_MONTHS, ORIGINS, REPS = 6, 6, 6, 40
MAX_HORIZON = 6  # the horizons the model-error table covers (and issue 23's)
SEASONAL_DIFFERENCES = 2  # seasonal changes (a month less the same month a year before) for a band


@dataclass(frozen=True)
class WaitsBacktest:
    """Every method's band at every origin and target month, the scores, and what was not available."""

    history: BandHistory
    points: pd.DataFrame  # POINT_COLUMNS
    scores: pd.DataFrame  # calibration.scoring.HORIZON_SCORE_COLUMNS, n = 0 where a method had no point
    origins: tuple[str, ...]
    measures: tuple[str, ...]
    notes: tuple[str, ...]
    settings: dict = field(default_factory=dict)


def measure_functions(history: BandHistory, target_weeks: float) -> tuple[dict[str, Callable], list[str]]:
    """Measure name -> its monthly values from a history; and the measures the bands cannot give."""
    history.over(target_weeks)  # a target that is not a band edge is refused here, naming the edges
    found: dict[str, Callable] = {"waiting": lambda h: h.totals.astype(float)}
    found[f"over_{target_weeks:g}_weeks"] = lambda h: h.over(target_weeks).astype(float)
    notes = []
    if 52.0 in history.edges_weeks:
        found["over_52_weeks"] = lambda h: h.over(52.0).astype(float)
    else:
        edges = ", ".join(f"{e:g}" for e in history.edges_weeks[:-1])
        notes.append(f"Over 52 weeks is not scored: these bands have no 52-week edge (edges {edges} weeks).")
    return found, notes


def candidate_origins(usable: BandHistory, horizon: int) -> list[str]:
    """Months with ``MIN_MONTHS`` consecutive usable months up to them and a usable month within
    ``horizon`` months after."""
    index = [month_index(m) for m in usable.months]
    found = []
    for i, month in enumerate(usable.months):
        if i + 1 < MIN_MONTHS or index[i] - index[i + 1 - MIN_MONTHS] != MIN_MONTHS - 1:
            continue
        if any(0 < j - index[i] <= horizon for j in index[i + 1:]):
            found.append(month)
    return found


def _check_month(source: str, option: str, month: str | None) -> None:
    if month is not None and not pd.Series([str(month)]).str.fullmatch(MONTH_PATTERN).all():
        raise WaitsError(f"{source}: {option}: {month!r} is not a month as YYYY-MM")


def choose_origins(history: BandHistory, horizon: int, count: int | None, first: str | None,
                   last: str | None) -> list[str]:
    """The origins between ``first`` and ``last`` (inclusive, either open), the latest ``count`` of them."""
    for option, month in (("--from", first), ("--to", last)):
        _check_month(history.source, option, month)
    if first and last and first > last:
        raise WaitsError(f"{history.source}: --from: {first} is after --to {last}")
    found = [m for m in candidate_origins(history.usable(), horizon)
             if (first is None or m >= first) and (last is None or m <= last)]
    if count is None and first is None and last is None:
        count = ORIGINS
    chosen = found[-count:] if count else found
    if not chosen:
        span = f" from {first or 'the start'} to {last or 'the end'}" if first or last else ""
        raise WaitsError(
            f"{history.source}: origins: no month{span} has {MIN_MONTHS} consecutive usable months up to "
            f"it and a published month within {horizon} months after it (usable months: "
            f"{', '.join(history.usable().months) or 'none'})"
        )
    return chosen


def fit_window(history: BandHistory, origin: str, fit_months: int) -> BandHistory:
    """The usable consecutive months ending at ``origin``, at most ``fit_months`` of them."""
    fitted = fitting_months(history, origin)
    keep = np.arange(len(fitted.months)) >= len(fitted.months) - fit_months
    return fitted._keep(keep)


def seasonal_band(usable: BandHistory, values: np.ndarray, origin: str, month: str) -> dict | None:
    """The seasonal naive for ``month``: the figure a year before it, with a normal band from the
    seasonal changes published by ``origin``; None where that figure or enough changes are not."""
    known = {m: v for m, v in zip(usable.months, values, strict=True) if m <= origin}
    lag = month_label(month_index(month) - 12)
    changes = [v - known[a] for m, v in known.items()
               if (a := month_label(month_index(m) - 12)) in known]
    if lag not in known or len(changes) < SEASONAL_DIFFERENCES:
        return None
    sigma = float(np.sqrt(np.mean(np.square(changes))))
    band = naive.normal_band(np.array([known[lag]]), np.array([sigma]))
    return {c: float(band["q" + c[1:]][0]) for c in CENTILES}


def _check(history: BandHistory, horizon: int, fit_months: int, reps: int) -> None:
    for option, value, low, high in (("--horizon", horizon, 1, MAX_HORIZON),
                                     ("--fit-months", fit_months, MIN_MONTHS, MAX_MONTHS),
                                     ("--reps", reps, 2, 2000)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise WaitsError(
                f"{history.source}: {option}: {value!r}: give a whole number from {low} to {high}")


def _dcsim(window: BandHistory, origin: str, horizon: int, reps: int, seed: int, target_weeks: float,
           model_error, measures: list[str]) -> dict[str, dict[str, np.ndarray]]:
    monthly, _, _, _ = simulate(window, origin, horizon, reps, origin_seed(seed, origin),
                                target_weeks=target_weeks)
    summary = forecast_summary(monthly, target_weeks)
    if model_error is not False:
        levels = origin_levels(window, origin, target_weeks)
        summary = with_model_error(summary, levels, model_error or None).summary
    names = {"waiting": "waiting", f"over_{target_weeks:g}_weeks": "breaches",
             "over_52_weeks": "over_52_weeks"}
    return {m: {c: summary[f"{names[m]}_{c}"].to_numpy(float) for c in CENTILES} for m in measures}


def _bands(method: str, window: BandHistory, fitted: dict[str, np.ndarray], horizon: int,
           target_weeks: float) -> dict[str, dict[str, np.ndarray]]:
    """A yardstick's quantiles per measure for horizons 1..H (measures it cannot give are absent)."""
    if method == "compartmental":
        try:
            found = compartmental.forecast(window.counts, window.edges_weeks, horizon)
        except ValueError:
            return {}
        names = {"waiting": "waiting", "over_18_weeks": "over_18_weeks", "over_52_weeks": "over_52_weeks"}
        return {m: {"p" + k[1:]: v for k, v in found[names[m]].items()} for m in fitted if m in names}
    return {m: {"p" + k[1:]: v for k, v in naive.SIMPLE_METHODS[method](y, horizon).items()}
            for m, y in fitted.items()}


def check_request(history: BandHistory, *, origins: int | None, first: str | None, last: str | None,
                  horizon: int, fit_months: int, target_weeks: float, reps: int,
                  model_error) -> tuple[dict[str, Callable], list[str], list[str], str | None]:
    """Everything about a request that can be refused, refused before anything runs: the measures,
    the notes on those the bands cannot give, the origins, and the model-error table's last month."""
    _check(history, horizon, fit_months, reps)
    if origins is not None and (isinstance(origins, bool) or not isinstance(origins, (int, np.integer))
                                or not 1 <= origins <= 60):
        raise WaitsError(f"{history.source}: --origins: {origins!r}: give a whole number from 1 to 60")
    functions, notes = measure_functions(history, target_weeks)
    chosen = choose_origins(history, horizon, origins, first, last)
    table_last = None if model_error is False else max(load_table(model_error or None)[0].months)
    return functions, notes, chosen, table_last


def backtest_waits(
    history: BandHistory, *, panel: list[BandHistory] | None = None, origins: int | None = None,
    first: str | None = None, last: str | None = None, horizon: int = HORIZON, fit_months: int = FIT_MONTHS,
    target_weeks: float = 18.0, reps: int = REPS, seed: int = 0, model_error: str | Path | None | bool = None,
    progress: Callable[[str], None] | None = None,
) -> WaitsBacktest:
    """Forecast from each rolling origin with every method and score against what was published.

    ``panel`` is the series whose past carry-forward errors make conformal_carry_forward's band
    (default: this series alone); ``origins`` the latest that many origins (default 6 when
    neither ``first`` nor ``last`` is given); ``model_error`` a table for dcsim's band, None for
    the shipped one, False for none.
    """
    functions, notes, chosen, table_last = check_request(
        history, origins=origins, first=first, last=last, horizon=horizon, fit_months=fit_months,
        target_weeks=target_weeks, reps=reps, model_error=model_error)
    measures = list(functions)
    usable = history.usable()
    published = {m: dict(zip(usable.months, f(usable), strict=True)) for m, f in functions.items()}
    past = past_rows(panel if panel is not None else [usable], functions, horizon)
    rows: list[dict] = []
    for number, origin in enumerate(chosen, 1):
        if progress:
            progress(f"origin {origin} ({number} of {len(chosen)}): fitting and forecasting")
        window = fit_window(history, origin, fit_months)
        fitted = {m: f(window) for m, f in functions.items()}
        targets = [(m, month_index(m) - month_index(origin)) for m in usable.months
                   if 0 < month_index(m) - month_index(origin) <= horizon]
        bands = {"dcsim": _dcsim(window, origin, horizon, reps, seed, target_weeks, model_error, measures)}
        for method in ("carry_forward", "drift", "random_walk", "compartmental"):
            bands[method] = _bands(method, window, fitted, horizon, target_weeks)
        bands["conformal_carry_forward"] = {
            m: {"p" + k[1:]: v for k, v in naive.conformal_band(
                float(fitted[m][-1]), naive.relative_errors(past, origin, m), horizon).items()}
            for m in measures
        }
        scored = table_last is None or origin >= table_last
        for method in METHODS:
            for measure in measures:
                for month, h in targets:
                    if method == "seasonal_naive":
                        at = seasonal_band(usable, functions[measure](usable), origin, month)
                    elif measure in bands[method]:
                        at = {c: float(bands[method][measure][c][h - 1]) for c in CENTILES}
                    else:
                        at = None
                    if at is not None:
                        rows.append({"origin": origin, "method": method, "measure": measure, "horizon": h,
                                     "month": month, "actual": float(published[measure][month]), **at,
                                     "scored": scored})
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    notes += _notes(points, measures, horizon, target_weeks, table_last, history)
    settings = {"origins_asked": origins, "from": first, "to": last, "horizon": horizon,
                "fit_months": fit_months, "target_weeks": target_weeks, "reps": reps, "seed": seed,
                "model_error": "none" if model_error is False else str(model_error or "shipped CHS table"),
                "model_error_last_month": table_last, "panel_series": len(panel) if panel is not None else 1,
                "panel_past_errors": len(past)}
    return WaitsBacktest(history, points, score_all(points, measures, horizon), tuple(chosen),
                         tuple(measures), tuple(notes), settings)


def score_all(points: pd.DataFrame, measures: list[str], horizon: int) -> pd.DataFrame:
    """Scores of the scored points, with a row of n = 0 for each method, measure and horizon not scored."""
    found = horizon_scores(points[points["scored"].astype(bool)])
    every = pd.MultiIndex.from_product([METHODS, measures, range(1, horizon + 1)],
                                       names=["method", "measure", "horizon"])
    table = found.set_index(["method", "measure", "horizon"]).reindex(every).reset_index()
    table["n"] = table["n"].fillna(0).astype(int)
    return table[found.columns]


def _notes(points: pd.DataFrame, measures: list[str], horizon: int, target_weeks: float,
           table_last: str | None, history: BandHistory) -> list[str]:
    notes = []
    if f"over_{target_weeks:g}_weeks" in measures and target_weeks != 18:
        notes.append(f"compartmental gives no figure over {target_weeks:g} weeks: it reads back only over 18 "
                     "and over 52 weeks.")
    if not (points["method"] == "compartmental").any():
        notes.append("compartmental is not available: its open band must start at 52 weeks or later.")
    seasonal = points[(points["method"] == "seasonal_naive") & points["scored"].astype(bool)]
    missing = sorted(set(range(1, horizon + 1)) - set(seasonal["horizon"]))
    if missing:
        notes.append(
            "seasonal_naive is not available at horizon " + ", ".join(map(str, missing))
            + ": it needs the month a year before the target published by the origin, and "
            f"{SEASONAL_DIFFERENCES} months with the month a year before them for its band; "
            f"its scores cover only the {len(seasonal)} points where it is available.")
    if table_last is not None and not points["scored"].astype(bool).all():
        early = sorted(set(points.loc[~points["scored"].astype(bool), "origin"]))
        notes.append(f"Origins before {table_last}, the last month the model-error table was estimated from, "
                     f"are forecast but not scored (the table would read ahead): {', '.join(early)}.")
    return notes
