"""Backtesting: fit on the months up to an origin, forecast the next ones, score honestly.

Rolling origins: the first fit uses the first ``k`` months of the history, the next one
month more, and so on while held-out figures remain (or up to ``origins`` fits). Each
forecast is scored on the next ``horizon`` months of the requested targets only, and the
same months are forecast by naive methods (``calibration.scoring``), so the model's band
is judged beside what a guess from the same months would give. The held-out months are
never seen by the fit. The model's fan carries parameter uncertainty (each replication
draws its parameters from the fit's posterior) as well as chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.fit import fit
from calibration.history import align
from calibration.limits import ORIGINS, check_backtest_size, check_fit_size
from calibration.parameters import FitError
from calibration.problem import Progress
from calibration.results import BacktestResult
from calibration.scoring import QUANTILES, model_pit, model_quantiles, naive_forecasts, normal_pit, scores
from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config
from sim.runs.backends import shared_backend

__all__ = ["BacktestResult", "backtest", "score_points"]
MODEL = "model"


def _read(history: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    if isinstance(history, pd.DataFrame):
        return history, history.attrs.get("source", "history")
    from calibration.data import read_monthly

    return read_monthly(history), str(history)


def _origins(frame: pd.DataFrame, columns: list[str], k: int, horizon: int, limit: int | None) -> list[int]:
    """Training lengths (rows) with at least one target figure in the next ``horizon`` rows."""
    seen = frame[columns].notna().any(axis=1).to_numpy()
    found = [n for n in range(k, len(frame)) if seen[n : n + horizon].any() and seen[:n].any()]
    return found[:limit] if limit else found


def _points(result, frame: pd.DataFrame, columns: dict[str, str], n: int, horizon: int) -> list[dict]:
    """Forecast points of the model and the naive methods at one origin (``n`` training rows)."""
    origin = frame["month"].iloc[n - 1]
    rows = []
    for metric, column in columns.items():
        train = frame[column].iloc[:n].dropna()
        ahead = frame.iloc[n : n + horizon]
        ahead = ahead[ahead[column].notna()]
        if ahead.empty or train.empty:
            continue
        months = list(ahead["month"])
        position = {label: i for i, label in enumerate(frame["month"])}
        last = position[frame.loc[train.index[-1], "month"]]  # naive steps count from the last figure
        steps = np.array([position[m] - last for m in months])
        forecasts = {MODEL: model_quantiles(result.forecast, metric, months).to_dict("list")}
        naive = naive_forecasts(train.to_numpy(), steps)
        forecasts.update({m: {q: list(v) for q, v in f.items()} for m, f in naive.items()})
        y = ahead[column].to_numpy(float)
        pits = {MODEL: model_pit(result.forecast, metric, months, list(y)).to_numpy()}
        pits.update({m: np.column_stack([normal_pit(f, y)] * 2) for m, f in naive.items()})
        for method, quantiles in forecasts.items():
            for i, month in enumerate(months):
                rows.append(
                    {
                        "origin": origin, "target": column, "metric": metric, "month": month,
                        "horizon": int(position[month] - (n - 1)), "method": method,
                        "observed": float(ahead[column].iloc[i]),
                        **{q: float(quantiles[q][i]) for q in QUANTILES},
                        "pit_low": float(pits[method][i, 0]), "pit_high": float(pits[method][i, 1]),
                    }
                )  # fmt: skip
    return rows


def score_points(detail: pd.DataFrame) -> pd.DataFrame:
    """Scores per target and method over every origin and held-out month, model first."""
    rows = [
        {"target": target, "metric": points["metric"].iloc[0], "method": method, **scores(points)}
        for (target, method), points in detail.groupby(["target", "method"], sort=False)
    ]
    table = pd.DataFrame(rows)
    order = {MODEL: 0, "carry_forward": 1, "drift": 2, "seasonal_naive": 3}
    return table.sort_values(["target", "method"], key=lambda c: c.map(order) if c.name == "method" else c)


def backtest(
    config: ServiceConfig | str | Path,
    history: pd.DataFrame | str | Path,
    params: list[str],
    k: int,
    reps: int = 8,
    seed: int = 0,
    bounds: dict[str, tuple[float, float]] | None = None,
    *,
    targets: dict[str, str] | None = None,
    horizon: int = 3,
    origins: int | None = None,
    draws: int = 600,
    accept: float = 0.15,
    forecast_reps: int = 100,
    workers: int | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Fit ``params`` on the first ``k`` months of ``history`` (then ``k + 1``, ...) and score.

    Arguments are those of ``calibration.fit.fit``; ``k`` counts rows (months) of the history
    from its first, ``horizon`` months are forecast from each origin, and at most ``origins``
    origins are used (default: every one the data allow). Only the ``targets`` (default:
    each of breaches, waiting, referrals, first_contacts the history gives) are scored.
    Raises ``FitError`` when ``k`` leaves no month to fit or to test.
    """
    say = progress or (lambda message: None)
    check_fit_size(reps, seed, draws, forecast_reps, workers, accept)  # before any file is read
    check_backtest_size(horizon, origins)
    service = config if isinstance(config, ServiceConfig) else load_config(config)
    history, source = _read(history)
    whole = align(service, history, targets, source)  # checks every month, fixes the targets
    frame, columns = whole.frame.reset_index(drop=True), whole.columns
    if not 1 <= k < len(frame):
        raise FitError(
            f"{source}: --train-months {k}: must leave at least one of the {len(frame)} months "
            "to fit and one to test"
        )
    lengths = _origins(frame, list(columns.values()), k, horizon, origins)
    if not lengths:
        raise FitError(f"{source}: --train-months {k}: the held-out months have no figures to test")
    if len(lengths) > ORIGINS.high:
        raise FitError(
            f"{source}: --origins: the history allows {len(lengths)} origins; at most {ORIGINS.high} "
            f"({ORIGINS.why}): give --origins {ORIGINS.high} or fewer, or more --train-months"
        )
    months = list(frame["month"])
    fits, rows = [], []
    with shared_backend(workers=workers):  # one pool for every origin's fit
        for number, n in enumerate(lengths, start=1):
            say(f"origin {number}/{len(lengths)}: fit on {months[0]} to {months[n - 1]}")
            training = history.iloc[:n].copy()
            training.attrs["source"] = source
            last = months[min(n + horizon, len(months)) - 1]
            result = fit(
                service if isinstance(config, ServiceConfig) else config, training, params, reps, seed,
                bounds, targets=columns, draws=draws, accept=accept, forecast_reps=forecast_reps,
                forecast_months=whole_months(service, last), workers=workers, progress=progress,
                checks=False,
            )  # fmt: skip
            fits.append(result)
            rows += _points(result, frame, columns, n, horizon)
    detail = pd.DataFrame(rows)
    test = sorted(set(detail["month"]))
    return BacktestResult(
        fits[0], fits, [months[n - 1] for n in lengths], horizon, months[: lengths[0]], test,
        score_points(detail).reset_index(drop=True), detail,
    )  # fmt: skip


def whole_months(service: ServiceConfig, last: str) -> int:
    """Months from the service's start to ``last`` (YYYY-MM), inclusive."""
    start = service.service.start_date
    year, month = (int(part) for part in last.split("-"))
    return (year - start.year) * 12 + month - start.month + 1
