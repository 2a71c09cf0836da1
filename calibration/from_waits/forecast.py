"""Forecasts from a published waiting list: the inferred service run on from its last snapshot.

Each replication takes one bootstrap draw of the inferred flows (``parameter_draws``), so the
spread carries within-model noise and parameter uncertainty; how far such forecasts have missed
real services (model error) is added on top by ``calibration.model_error``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.from_waits.estimate import WaitsEstimate, estimate
from calibration.from_waits.service import build_service
from calibration.waits import BandHistory
from sim.engine.scenario import validate
from sim.runs.parameter_draws import DrawTable
from sim.runs.replication_plan import ReplicationPlan
from sim.runs.runner import run_replications

MEASURES = ("waiting", "over_18_weeks", "over_52_weeks")


def draw_table(draws: pd.DataFrame, name: str = "inferred draws") -> DrawTable:
    """The draws as the runner takes them, without a file (equal weights)."""
    fields = tuple(c for c in draws.columns if c != "draw")
    values = tuple(tuple(float(v) for v in row) for row in draws[list(fields)].itertuples(index=False))
    digest = hashlib.sha256(draws.to_csv(index=False).encode()).hexdigest()
    cumulative = tuple((np.arange(1, len(values) + 1) / len(values)).tolist())
    ids = tuple(str(d) for d in draws["draw"])
    return DrawTable(Path(name), digest, fields, values, ids, cumulative)


def count_bands(target_weeks: float) -> tuple[tuple[str, float, float], ...]:
    """Month-end columns counting those over the target, 18 and 52 weeks."""
    wanted = {f"over_{w:g}_weeks": w for w in (target_weeks, 18.0, 52.0)}
    return tuple((name, weeks, math.inf) for name, weeks in wanted.items())


def simulate(
    history: BandHistory, up_to: str, horizon: int, reps: int, seed: int,
    target_weeks: float = 18.0, base: dict | None = None,
    workers: int | None = 1, progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, dict, pd.DataFrame, WaitsEstimate]:
    """Monthly records of ``reps`` replications of the inferred service, its document, draws and estimate.

    ``progress`` is told of each batch of finished replications (the explorer's progress bar);
    ``workers`` as for ``run_replications`` (the numbers do not depend on it).
    """
    fitted = estimate(history, up_to, seed=seed)
    snapshot = history.up_to(up_to).counts[-1]
    name = " ".join(x for x in (history.provider_name, history.service) if x) or "Service from its waits"
    document, draws = build_service(
        fitted, snapshot, name=name, target_weeks=target_weeks, horizon=horizon, base=base
    )
    config = validate(document, "service.yaml")
    plan = ReplicationPlan(config, draw_table(draws), count_bands(target_weeks))
    monthly = run_replications(plan, reps, seed, workers=workers, progress=progress)
    return monthly, document, draws, fitted


def forecast_from_waits(counts: np.ndarray, months: list[str], edges_weeks, horizon: int, seed: int,
                        reps: int) -> dict[str, np.ndarray]:
    """Simulated values of each measure, shape (reps, horizon), from the months given (last = origin)."""
    counts = np.asarray(counts, dtype=float)
    history = BandHistory("panel", None, None, None, tuple(edges_weeks), tuple(months),
                          counts.astype(int), counts.sum(axis=1).astype(int))
    monthly, _, _, _ = simulate(history, months[-1], horizon, reps, seed)
    out = {}
    for measure, column in zip(MEASURES, ("waiting", "over_18_weeks", "over_52_weeks"), strict=True):
        out[measure] = monthly.pivot(index="replication", columns="month", values=column).to_numpy()
    return out


QUANTILES = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}


def forecast_summary(monthly: pd.DataFrame, target_weeks: float) -> pd.DataFrame:
    """Per month: mean and centiles of the list, breaches at the target and over 52 weeks."""
    measures = {
        "waiting": "waiting", "breaches": f"over_{target_weeks:g}_weeks", "over_52_weeks": "over_52_weeks"
    }
    rows = []
    for month, group in monthly.groupby("month", sort=True):
        row = {"month": month}
        for name, column in measures.items():
            values = group[column].to_numpy(float)
            row[f"{name}_mean"] = round(float(values.mean()), 2)
            for label, q in QUANTILES.items():
                row[f"{name}_{label}"] = float(np.quantile(values, q))
        rows.append(row)
    return pd.DataFrame(rows)


def origin_levels(history: BandHistory, up_to: str, target: float) -> dict[str, float]:
    """Each forecast measure as published at the origin: the scale of the model-error band."""
    at = history.up_to(up_to)
    return {"waiting": float(at.totals[-1]), "breaches": float(at.over(target)[-1]),
            "over_52_weeks": float(at.over(52.0)[-1]) if 52.0 in at.edges_weeks else 0.0}
