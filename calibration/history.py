"""The history a fit targets, lined up month by month with the simulated months.

Month labels are ``YYYY-MM``; the model's first month is the month of
``service.start_date`` (a partial month counts), and each monthly figure describes its
month end. A history month outside the simulated horizon is an error, named by its row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.parameters import FitError
from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig

TARGET_METRICS = ("breaches", "waiting", "referrals", "first_contacts")
# History columns that can be set against a model metric (fitted or only shown).
COMPARABLE = {metric: metric for metric in TARGET_METRICS} | {"projected_breaches": "breaches"}
# Columns of the month-to-month check, added to the fit's checks.
MONTH_TO_MONTH = [
    "series",
    "changes",
    "rms_change",
    "rms_change_p10",
    "rms_change_p50",
    "rms_change_p90",
    "rms_change_percentile",
]


@dataclass
class History:
    """Observed monthly figures lined up with the simulated months they describe."""

    months: list[str]  # simulated months, from the start to the last month fitted
    observed: dict[str, np.ndarray]  # model metric -> one value per month (NaN: not observed)
    columns: dict[str, str]  # model metric -> the history column it is fitted to
    frame: pd.DataFrame  # the history as read, for reports
    source: str = "history"

    @property
    def metrics(self) -> list[str]:
        return list(self.observed)

    def matrix(self) -> np.ndarray:
        """Observations as months x metrics."""
        return np.column_stack([self.observed[m] for m in self.metrics])


def simulated_months(config: ServiceConfig) -> list[str]:
    start = config.service.start_date
    return [add_months(start, m).strftime("%Y-%m") for m in range(config.service.horizon_months)]


def _check_months(config: ServiceConfig, frame: pd.DataFrame, source: str) -> None:
    labels = simulated_months(config)
    for row, month in frame["month"].items():
        if month in labels:
            continue
        where = f"{source}: row {row}, column month: {month}"
        if month < labels[0]:
            raise FitError(f"{where} is before the simulation starts ({labels[0]}, service.start_date)")
        raise FitError(
            f"{where} is after the simulated horizon ends ({labels[-1]}); lengthen service.horizon_months"
        )


def _targets(
    frame: pd.DataFrame, targets: dict[str, str] | None, source: str, extra: tuple[str, ...] = ()
) -> dict[str, str]:
    if targets is None:
        chosen = {m: m for m in TARGET_METRICS if m in frame and frame[m].notna().any()}
        if not chosen:
            raise FitError(
                f"{source}: no column to fit: give one of {', '.join(TARGET_METRICS)} "
                "(or choose one with --target, e.g. breaches=projected_breaches)"
            )
        return chosen
    for metric, column in targets.items():
        if metric not in TARGET_METRICS and metric not in extra:
            raise FitError(f"{source}: --target {metric}: not a fitted metric ({', '.join(TARGET_METRICS)})")
        if column not in frame:
            raise FitError(f"{source}: column {column}: not in the file (named by --target {metric})")
        if not frame[column].notna().any():
            raise FitError(f"{source}: column {column}: has no values to fit")
    if not targets:
        raise FitError(f"{source}: --target: name at least one metric=column")
    return dict(targets)


def align(
    config: ServiceConfig,
    history: pd.DataFrame,
    targets: dict[str, str] | None = None,
    source: str = "history",
    extra: tuple[str, ...] = (),
) -> History:
    """Line up ``history`` (as from ``calibration.data.read_monthly``) with the simulated months.

    ``extra`` names further model columns a target may use: the weeks-band counts of a fit to
    band snapshots (``calibration.waits_fit``), which the simulator then records at month ends.
    """
    if "month" not in history:
        raise FitError(f"{source}: column month: required (YYYY-MM) but missing")
    frame = history.copy()
    frame["month"] = frame["month"].astype(str)
    _check_months(config, frame, source)
    targets = _targets(frame, targets, source, extra)
    observed_rows = frame[[c for c in targets.values()]].notna().any(axis=1)
    last = frame.loc[observed_rows, "month"].max()
    months = simulated_months(config)
    months = months[: months.index(last) + 1]
    by_month = frame.set_index("month")
    observed = {
        metric: by_month[column].reindex(months).to_numpy(dtype=float) for metric, column in targets.items()
    }
    return History(months, observed, targets, frame, source)


def score(summary: pd.DataFrame, observed: pd.Series, metric: str) -> dict[str, float]:
    """MAE and bias of the median, and the share of observations inside the 10-90% band.

    ``observed`` is indexed by month; months without a value or outside the summary are skipped.
    """
    band = summary.set_index("month")[[f"{metric}_p10", f"{metric}_p50", f"{metric}_p90"]]
    observed = observed.dropna()
    observed = observed[observed.index.isin(band.index)]
    band = band.loc[observed.index]
    error = band[f"{metric}_p50"] - observed
    inside = (observed >= band[f"{metric}_p10"]) & (observed <= band[f"{metric}_p90"])
    return {
        "months": int(len(observed)),
        "mae": float(error.abs().mean()) if len(observed) else float("nan"),
        "bias": float(error.mean()) if len(observed) else float("nan"),
        "coverage_80": float(inside.mean()) if len(observed) else float("nan"),
    }


def agreement(summary: pd.DataFrame, history: History) -> pd.DataFrame:
    """How the forecast fan meets every comparable series in the history, fitted or not."""
    by_month = history.frame.set_index("month")
    rows = []
    for column, metric in COMPARABLE.items():
        if column in by_month and by_month[column].notna().any():
            fitted = history.columns.get(metric) == column
            rows.append(
                {
                    "series": column,
                    "metric": metric,
                    "fitted": fitted,
                    **score(summary, by_month[column], metric),
                }
            )
    for metric, column in history.columns.items():  # fitted model columns of their own: weeks bands
        if column not in COMPARABLE and f"{metric}_p10" in summary:
            scores = score(summary, by_month[column], metric)
            rows.append({"series": column, "metric": metric, "fitted": True, **scores})
    return pd.DataFrame(rows)


def month_to_month(monthly: pd.DataFrame, history: History) -> pd.DataFrame:
    """A posterior predictive check of how much each fitted series moves from month to month.

    For each fitted series with at least two changes between consecutive reported months:
    the reported root-mean-square monthly change, the same statistic of every replication of
    ``monthly`` over the same pairs of months (its 10th, 50th and 90th centiles) and the
    percentile the reported figure takes among them. A reported figure in the bottom few
    percent says the model moves month to month more than the service does, so its bands
    are wider than they need be (docs/modelling-guide.md, "Month-to-month variability").
    """
    rows = []
    for metric, column in history.columns.items():
        changes = pd.Series(history.observed[metric], index=history.months).diff().dropna()
        if len(changes) < 2 or metric not in monthly:
            continue
        by_month = monthly.pivot(index="replication", columns="month", values=metric)
        simulated_changes = by_month.reindex(columns=history.months).diff(axis=1)[changes.index]
        simulated = np.sqrt((simulated_changes**2).mean(axis=1)).to_numpy()
        reported = float(np.sqrt(np.mean(changes.to_numpy() ** 2)))
        p10, p50, p90 = np.percentile(simulated, [10, 50, 90])
        rows.append(
            {
                "series": column,
                "changes": len(changes),
                "rms_change": reported,
                "rms_change_p10": float(p10),
                "rms_change_p50": float(p50),
                "rms_change_p90": float(p90),
                "rms_change_percentile": float(np.mean(simulated <= reported) * 100),
            }
        )
    return pd.DataFrame(rows, columns=MONTH_TO_MONTH)
