"""The public CHS panel as band histories: a small private loader for benchmarks/real_panel.py.

This stands in for ``calibration.waits.read_waits`` until that reader is merged; everything
the benchmark needs from the data goes through :func:`panel_series`, so switching is one
function. The data are read where they live (``../shared/data/chs`` from the repository root,
or from any parent of it, for worktrees), never copied into the repository.

Rules (the CHS README's caveats): providers with a code only; over 52 weeks is
``wk_52_104 + wk_over_104`` from Dec 2024; a month whose bands do not sum to
``waiting_total`` is dropped, and so is a month repeated unchanged from the month before
(a stale resubmission), and so is a month whose list is zero (every series
chosen has a median of 20 or more over 18 weeks, so an empty month is a missed return).
What remains is split into runs of consecutive months.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

BAND_COLUMNS = ("wk_0_1", "wk_1_2", "wk_2_4", "wk_4_12", "wk_12_18", "wk_18_52", "wk_over_52")
# Bands are counted in days (0-7, 8-14, 15-28, 29-84, 85-126, 127-364, 365+): as weeks,
EDGES_WEEKS = (0.0, 1.0, 2.0, 4.0, 12.0, 18.0, 52.0, float("inf"))
WIDE_FILE = "chs_england_therapy_wide.csv.gz"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Series:
    """One provider x service: its usable months (oldest first, gaps allowed) and band counts."""

    key: str  # "ORGCODE|service"
    months: tuple[str, ...]
    counts: np.ndarray  # months x 7 bands

    def runs(self, min_run: int = 1) -> list[tuple[int, int]]:
        """(start, stop) index ranges of consecutive calendar months at least ``min_run`` long."""
        found, start = [], 0
        for i in range(1, len(self.months) + 1):
            if i == len(self.months) or month_index(self.months[i]) != month_index(self.months[i - 1]) + 1:
                if i - start >= min_run:
                    found.append((start, i))
                start = i
        return found


def month_index(month: str) -> int:
    """Months since year 0, so consecutive months differ by one."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def add_months(month: str, n: int) -> str:
    """The month ``n`` months after ``month`` ('YYYY-MM')."""
    i = month_index(month) + n
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def default_data_dir() -> Path | None:
    """``$DCSIM_CHS_DATA``, else the first ``shared/data/chs`` beside the repository or a parent."""
    env = os.environ.get("DCSIM_CHS_DATA")
    if env:
        return Path(env) if (Path(env) / WIDE_FILE).is_file() else None
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent.parent / "shared" / "data" / "chs"
        if (candidate / WIDE_FILE).is_file():
            return candidate
    return None


def _band_counts(frame: pd.DataFrame) -> np.ndarray:
    over_52 = frame["wk_over_52"].to_numpy(float)
    split = frame["wk_52_104"].to_numpy(float) + frame["wk_over_104"].to_numpy(float)
    over_52 = np.where(np.isnan(over_52), split, over_52)
    cols = [frame[c].to_numpy(float) for c in BAND_COLUMNS[:-1]] + [over_52]
    return np.column_stack(cols)


def load_panel(data_dir: Path) -> list[Series]:
    """Every coded provider x service with its usable months (bands sum, not stale)."""
    wide = pd.read_csv(Path(data_dir) / WIDE_FILE)
    wide = wide[(wide["org_type"] == "Provider") & wide["org_code"].notna()]
    found = []
    for (code, service), frame in wide.sort_values("month").groupby(["org_code", "service"], sort=True):
        frame = frame.drop_duplicates("month", keep="last")
        counts = _band_counts(frame)
        total = frame["waiting_total"].to_numpy(float)
        ok = ~np.isnan(counts).any(axis=1) & ~np.isnan(total)
        ok &= np.abs(np.nan_to_num(counts).sum(axis=1) - np.nan_to_num(total)) < 0.5
        ok &= np.nan_to_num(total) > 0  # an empty list between full ones is a missed submission
        months = frame["month"].tolist()
        keep = []
        for i in range(len(months)):
            if not ok[i]:
                continue
            prev = i - 1
            stale = (
                prev >= 0
                and ok[prev]
                and month_index(months[prev]) == month_index(months[i]) - 1
                and np.array_equal(counts[prev], counts[i])
            )
            if not stale:
                keep.append(i)
        if keep:
            found.append(Series(f"{code}|{service}", tuple(months[i] for i in keep), counts[keep]))
    return found


def panel_series(data_dir: Path | str, min_run: int = 10, min_over_18: float = 20) -> list[Series]:
    """Series with a run of at least ``min_run`` consecutive usable months and a median of at
    least ``min_over_18`` over 18 weeks (over its usable months); each keeps only its months in
    runs that long, so every origin the benchmark takes lies in a long enough run."""
    chosen = []
    for series in load_panel(Path(data_dir)):
        runs = series.runs(min_run)
        if not runs:
            continue
        index = np.concatenate([np.arange(a, b) for a, b in runs])
        counts = series.counts[index]
        if np.median(counts[:, 5:].sum(axis=1)) < min_over_18:
            continue
        chosen.append(Series(series.key, tuple(series.months[i] for i in index), counts))
    return chosen


def measures(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The three scored measures from band counts (months x 7): list, over 18 and over 52 weeks."""
    counts = np.asarray(counts, dtype=float)
    return {
        "waiting": counts.sum(axis=1),
        "over_18_weeks": counts[:, 5:].sum(axis=1),
        "over_52_weeks": counts[:, 6],
    }
