"""Backtesting: fit on the first months of a history, forecast the rest, and score the forecast.

The held-out months are never seen by the fit. The forecast fan carries parameter
uncertainty (each replication draws its parameters from the fit's posterior) as well as
chance, and is scored by the mean absolute error and bias of its median and by how often
the held-out figures fall inside its 10-90% band (nominal coverage 80%).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from calibration.fit import COMPARABLE, FitError, FitResult, Progress, align, fit, score
from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config

__all__ = ["BacktestResult", "backtest"]


@dataclass
class BacktestResult:
    """A fit on the training months and the scores of its forecast over the held-out months."""

    fit: FitResult
    train_months: list[str]
    test_months: list[str]
    scores: pd.DataFrame  # series, metric, months, mae, bias, coverage_80 over held-out months
    detail: pd.DataFrame  # series, metric, month, held_out, observed, p10, p50, p90, inside

    def write(self, out: str | Path, config_path: str | Path | None = None) -> list[Path]:
        from calibration.report import write_backtest

        return write_backtest(self, Path(out), config_path)


def series_pairs(frame: pd.DataFrame, columns: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(history column, model metric, fitted?) for the fitted targets, then every other comparable series."""
    pairs = [(column, metric, True) for metric, column in columns.items()]
    pairs += [
        (column, metric, False)
        for column, metric in COMPARABLE.items()
        if column in frame and frame[column].notna().any() and column not in columns.values()
    ]
    return pairs


def _detail(summary: pd.DataFrame, frame: pd.DataFrame, pairs: list, test: list[str]) -> pd.DataFrame:
    band = summary.set_index("month")
    rows = []
    for column, metric, fitted in pairs:
        for month, value in frame.set_index("month")[column].dropna().items():
            p10, p50, p90 = (band.at[month, f"{metric}_{q}"] for q in ("p10", "p50", "p90"))
            rows.append(
                {
                    "series": column,
                    "metric": metric,
                    "fitted": fitted,
                    "month": month,
                    "held_out": month in test,
                    "observed": value,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "inside": bool(p10 <= value <= p90),
                }
            )
    return pd.DataFrame(rows)


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
    draws: int = 600,
    accept: float = 0.15,
    forecast_reps: int = 100,
    workers: int | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Fit ``params`` on the first ``k`` months of ``history`` and score the forecast of the rest.

    Arguments are those of ``calibration.fit.fit``; ``k`` counts rows (months) of the
    history from its first. Raises ``FitError`` when ``k`` leaves no month to fit or to test.
    """
    service = config if isinstance(config, ServiceConfig) else load_config(config)
    if not isinstance(history, pd.DataFrame):
        from calibration.data import read_monthly

        history_source, history = str(history), read_monthly(history)
    else:
        history_source = history.attrs.get("source", "history")
    whole = align(service, history, targets, history_source)  # checks every month, fixes the targets
    months = list(whole.frame["month"])
    if not 1 <= k < len(months):
        raise FitError(
            f"{history_source}: --train-months {k}: must leave at least one of the {len(months)} months "
            "to fit and one to test"
        )
    train, test = months[:k], months[k:]
    columns = whole.columns
    held_out = whole.frame[whole.frame["month"].isin(test)]
    if not held_out[list(columns.values())].notna().any().any():
        raise FitError(f"{history_source}: --train-months {k}: the held-out months have no figures to test")
    training = history.iloc[:k].copy()
    training.attrs["source"] = history_source
    result = fit(
        config,
        training,
        params,
        reps,
        seed,
        bounds,
        targets=columns,
        draws=draws,
        accept=accept,
        forecast_reps=forecast_reps,
        workers=workers,
        progress=progress,
    )
    pairs = series_pairs(whole.frame, columns)
    by_month = held_out.set_index("month")
    scores = pd.DataFrame(
        [
            {
                "series": column,
                "metric": metric,
                "fitted": fitted,
                **score(result.summary, by_month[column], metric),
            }
            for column, metric, fitted in pairs
        ]
    )
    scores = scores[scores["months"] > 0].reset_index(drop=True)  # drop series with no held-out figure
    detail = _detail(result.summary, whole.frame, pairs, test)
    return BacktestResult(result, train, test, scores, detail)
