"""Trajectory tracking: each reported month against the published trajectory and the model's band.

For every month the actuals file reports the metric (e.g. breaches), and for each scenario:
the trajectory value of every extra series the file gives (a plan's trajectory, a published
projection), the scenario's simulated 10th, 50th and 90th centile that month, and a status:

- ``outside the model's 80% band``: the actual is below the 10th or above the 90th centile
  of the simulated replications (the model does not explain that month; recalibrate or look
  for what changed);
- otherwise ``on track``: the actual is at or below the trajectory value (fewer breaches is
  better);
- otherwise ``behind``: the actual is above the trajectory value;
- ``inside the model's 80% band`` when the file gives no trajectory value for that month.

``against_trajectory`` (on track / behind) and ``against_model`` (below / inside / above the
band) keep both comparisons when the status shows only one.
"""

from __future__ import annotations

import pandas as pd

from sim.questions.results import BEHIND, INSIDE, ON_TRACK, OUTSIDE

COLUMNS = [
    "scenario",
    "month",
    "actual",
    "trajectory",
    "trajectory_value",
    "model_p10",
    "model_p50",
    "model_p90",
    "against_trajectory",
    "against_model",
    "status",
]


def status(actual: float, trajectory: float | None, low: float, high: float) -> tuple[str, str, str]:
    """(against trajectory, against model band, status) for one month, as defined above."""
    against_model = "below" if actual < low else "above" if actual > high else "inside"
    if trajectory is None or pd.isna(trajectory):
        against_trajectory = ""
    else:
        against_trajectory = ON_TRACK if actual <= trajectory else BEHIND
    if against_model != "inside":
        return against_trajectory, against_model, OUTSIDE
    return against_trajectory, against_model, against_trajectory or INSIDE


def trajectory_tracking(
    summary: pd.DataFrame,
    actuals: pd.DataFrame,
    trajectories: list[str],
    metric: str = "breaches",
) -> pd.DataFrame:
    """One row per scenario x reported month x trajectory series (one row if there is none)."""
    if metric not in actuals.columns:
        return pd.DataFrame(columns=COLUMNS)
    observed = actuals.set_index("month")
    reported = observed.index[observed[metric].notna()]
    rows = []
    for name in dict.fromkeys(summary["scenario"]):
        band = summary[summary["scenario"] == name].set_index("month")
        for month in [m for m in reported if m in band.index]:
            actual = float(observed.at[month, metric])
            low, mid, high = (float(band.at[month, f"{metric}_{q}"]) for q in ("p10", "p50", "p90"))
            for series in trajectories or [None]:
                value = observed.at[month, series] if series else None
                value = None if value is None or pd.isna(value) else float(value)
                versus, model, state = status(actual, value, low, high)
                rows.append([name, month, actual, series or "", value, low, mid, high, versus, model, state])
    return pd.DataFrame(rows, columns=COLUMNS)
