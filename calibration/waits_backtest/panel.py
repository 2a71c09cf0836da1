"""Carry-forward's past errors across the panel a waits file holds: conformal_carry_forward's band.

``conformal_carry_forward`` is the last figure carried forward with a band from how far carrying
forward has missed before (``calibration.naive``): the relative errors of carry-forward at each
horizon, over every series of the same kind in the file (providers beside a provider), from
every month with at least three consecutive usable months up to it, as in the panel benchmark
(benchmarks/real_panel.py). At an origin only rows whose target month is before it are used
(``naive.relative_errors``), so the band reads nothing published after the origin.

A row counts only when the figure carried forward is at least ``MIN_LEVEL``: relative errors of
lists of a handful are not errors of the same kind (a list of 2 that becomes 6 has missed by
200%). The benchmark filters series by their median over 18 weeks over all months, which reads
ahead; a row's own carried figure reads nothing after its origin.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from calibration.from_waits.estimate import MIN_MONTHS
from calibration.waits import BandHistory, WaitsError
from calibration.waits.history import month_index
from calibration.waits.reader import load_panel

MIN_LEVEL = 20.0
PAST_COLUMNS = ["series", "origin", "horizon", "measure", "target", "forecast", "actual"]


def panel_histories(path, chosen: BandHistory) -> list[BandHistory]:
    """Every series in the file at ``path`` of the chosen series' kind (its org_type), usable months only.

    A file of one series (a plain band CSV) is its own panel.
    """
    panel = load_panel(path)
    if panel.single:
        return [chosen.usable()]
    frame = panel.key_frame()
    key = chosen.provider_code or chosen.provider_name
    mine = frame[(frame["key"] == key) & (frame["service"] == chosen.service)]
    kind = mine["org_type"].iloc[0] if len(mine) else None
    found = []
    for (org, service), rows in panel.groups().items():
        if kind is not None and frame["org_type"].iat[rows[0]] != kind:
            continue
        found.append(panel.history(rows, (org, None, service)).usable())
    return found


def past_rows(histories: list[BandHistory], measures: dict[str, Callable[[BandHistory], np.ndarray]],
              horizon: int) -> pd.DataFrame:
    """Carry-forward from every month (with ``MIN_MONTHS`` consecutive months up to it) of every
    series, to each usable month up to ``horizon`` months on: origin, horizon, measure, target,
    forecast (the origin's figure) and actual."""
    parts = []
    for number, history in enumerate(histories):
        if len(history.months) < 2:
            continue
        index = np.array([month_index(m) for m in history.months])
        run = np.ones(len(index), dtype=int)
        for i in range(1, len(index)):
            run[i] = run[i - 1] + 1 if index[i] == index[i - 1] + 1 else 1
        gap = index[None, :] - index[:, None]
        origin, target = np.nonzero((gap > 0) & (gap <= horizon) & (run[:, None] >= MIN_MONTHS))
        if not len(origin):
            continue
        months = np.asarray(history.months, dtype=object)
        for measure, values_of in measures.items():
            try:
                values = values_of(history).astype(float)
            except WaitsError:  # this series has not the band edge the measure needs
                continue
            keep = values[origin] >= MIN_LEVEL
            parts.append(pd.DataFrame({
                "series": number, "origin": months[origin[keep]], "horizon": gap[origin, target][keep],
                "measure": measure, "target": months[target[keep]], "forecast": values[origin[keep]],
                "actual": values[target[keep]],
            }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PAST_COLUMNS)
