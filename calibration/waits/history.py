"""A service's published waiting list by weeks band, month by month, with its data problems.

Published waits are unvalidated management information: bands that do not add up to the
reported total, months resubmitted unchanged, months missing. ``build_history`` turns the
rows of one provider x service into a ``BandHistory`` and lists every such problem as a
``Problem``; nothing is dropped silently except months with no submission at all (they show
up as gaps). ``BandHistory.usable()`` is the explicit step that drops the flagged months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
import pandas as pd

from calibration.cells import DataError

# Kinds that make a month's figures untrustworthy; ``usable()`` drops those months.
UNUSABLE = frozenset({"bands_do_not_sum", "stale_repeat"})
# Every kind a reader may report (months with missing, negative or conflicting figures are
# left out of ``months`` altogether, so only the kinds above remain to be dropped).
KINDS = ("bands_do_not_sum", "stale_repeat", "gap", "missing_band", "negative", "duplicate_month")
MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"


class WaitsError(DataError):
    """Published waits cannot be read; the message starts with the file (and row and column)."""


@dataclass(frozen=True)
class Problem:
    """One data problem in a published history: the month it concerns, its kind, and what was found."""

    month: str | None
    kind: str
    message: str


def edge_label(edge: float) -> str:
    """``12`` for 12.0, ``0.5`` for 0.5, ``inf`` for infinity: as band and column names use them."""
    if math.isinf(edge):
        return "inf"
    return str(int(edge)) if float(edge).is_integer() else repr(float(edge))


def month_index(month: str) -> int:
    """Months since year 0, so that consecutive calendar months differ by one."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class BandHistory:
    """A monthly waiting list split by weeks-waited bands, for one provider x service.

    ``counts[i, j]`` is the number waiting in band j (from ``edges_weeks[j]`` up to
    ``edges_weeks[j + 1]`` weeks) at the end of ``months[i]``; ``totals[i]`` is the list size
    the source reported (the band sum where it reported none). ``problems`` lists every data
    problem found when reading; months whose figures could not be used at all (a band missing
    or negative, a month given twice with different figures) are absent from ``months`` and
    named in ``problems``.
    """

    source: str
    provider_code: str | None
    provider_name: str | None
    service: str | None
    edges_weeks: tuple[float, ...]
    months: tuple[str, ...]
    counts: np.ndarray
    totals: np.ndarray
    problems: tuple[Problem, ...] = field(default=())

    @property
    def band_names(self) -> list[str]:
        """``band_<from>_<to>`` for each band, in edge order (the last is ``band_<from>_inf``)."""
        return [f"band_{edge_label(a)}_{edge_label(b)}" for a, b in pairwise(self.edges_weeks)]

    def over(self, weeks: float) -> np.ndarray:
        """How many waited over ``weeks`` at each month end; ``weeks`` must be a band edge.

        A count over a target between two edges cannot be read from the bands (it would need
        an assumption about how waits spread inside the band), so it is refused.
        """
        finite = [edge for edge in self.edges_weeks if math.isfinite(edge)]
        try:
            target = float(weeks)
        except (TypeError, ValueError):
            target = math.nan
        if target not in finite:
            edges = ", ".join(edge_label(edge) for edge in finite)
            where = ""
            if math.isfinite(target) and finite[0] < target < finite[-1]:
                low = max(edge for edge in finite if edge < target)
                high = min(edge for edge in finite if edge > target)
                where = f" ({weeks} lies between the {edge_label(low)} and {edge_label(high)} week edges)"
            raise WaitsError(
                f"{self.source}: over {weeks} weeks cannot be read from these bands{where}; "
                f"the band edges are {edges} weeks"
            )
        first = finite.index(target)
        return self.counts[:, first:].sum(axis=1).astype(np.int64)

    def frame(self) -> pd.DataFrame:
        """One row per month: ``month``, ``total``, each band, and ``over_<edge>`` for every finite edge."""
        table = pd.DataFrame({"month": list(self.months), "total": self.totals.astype(np.int64)})
        for j, name in enumerate(self.band_names):
            table[name] = self.counts[:, j].astype(np.int64)
        for edge in self.edges_weeks:
            if math.isfinite(edge):
                table[f"over_{edge_label(edge)}"] = self.over(edge)
        return table

    def _keep(self, keep: np.ndarray, problems: tuple[Problem, ...] | None = None) -> BandHistory:
        return replace(
            self,
            months=tuple(m for m, k in zip(self.months, keep, strict=True) if k),
            counts=self.counts[keep],
            totals=self.totals[keep],
            problems=self.problems if problems is None else problems,
        )

    def up_to(self, month: str) -> BandHistory:
        """Only the months up to and including ``month`` (``YYYY-MM``), and only their problems."""
        if not isinstance(month, str) or not pd.Series([month]).str.fullmatch(MONTH_PATTERN).all():
            raise WaitsError(f"{self.source}: up_to: {month!r} is not a month (use YYYY-MM)")
        keep = np.array([m <= month for m in self.months], dtype=bool)
        problems = tuple(p for p in self.problems if p.month is None or p.month <= month)
        return self._keep(keep, problems)

    def consecutive_runs(self) -> list[tuple[str, str]]:
        """Maximal runs of consecutive calendar months, as (first, last) pairs, in order."""
        runs: list[tuple[str, str]] = []
        for month in self.months:
            if runs and month_index(month) == month_index(runs[-1][1]) + 1:
                runs[-1] = (runs[-1][0], month)
            else:
                runs.append((month, month))
        return runs

    def unusable_months(self) -> set[str]:
        """Months flagged as not to be used (bands not summing to the total, stale repeats)."""
        return {p.month for p in self.problems if p.kind in UNUSABLE and p.month is not None}

    def usable(self) -> BandHistory:
        """The history without the months flagged unusable; ``problems`` still lists what was found.

        Dropping months can open gaps: ``consecutive_runs()`` shows the runs that remain.
        """
        flagged = self.unusable_months()
        return self._keep(np.array([m not in flagged for m in self.months], dtype=bool))


def _gap_problems(months: list[str]) -> list[Problem]:
    problems = []
    for before, after in pairwise(months):
        first, last = month_index(before) + 1, month_index(after) - 1
        if last >= first:
            span = month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"
            count = last - first + 1
            problems.append(
                Problem(month_label(first), "gap", f"{span} missing ({count} month{'s' * (count > 1)})")
            )
    return problems


def build_history(
    source: str,
    months: np.ndarray,
    totals: np.ndarray,
    values: np.ndarray,
    band_columns: list[str],
    edges: tuple[float, ...],
    identity: tuple[str | None, str | None, str | None],
) -> BandHistory:
    """A ``BandHistory`` from the submissions of one series, finding every data problem on the way.

    ``months`` (``YYYY-MM`` text), ``totals`` (NaN where not reported) and ``values`` (one
    row of band counts per submission, NaN where blank) describe one submission per row. A
    row with no figures at all is no submission (a gap); a row with some bands blank, or any
    value negative, cannot be used and is reported; a month given twice is reported, and kept
    once only if both submissions agree.
    """
    problems: list[Problem] = []
    kept: dict[str, tuple[float, np.ndarray]] = {}
    months = np.asarray(months, dtype=object)
    order = np.argsort(months, kind="stable")
    months, totals, values = months[order], np.asarray(totals, float)[order], np.asarray(values, float)[order]
    given = ~np.isnan(values).all(axis=1) | ~np.isnan(totals)
    months, totals, values = months[given], totals[given], values[given]  # the rest: no submission
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]]) if len(months) else np.array([], int)
    for start, end in zip(starts, [*starts[1:], len(months)], strict=True):
        month = str(months[start])
        if end - start > 1:
            same = np.array_equal(
                values[start:end], np.repeat(values[start : start + 1], end - start, 0), True
            ) and np.array_equal(totals[start:end], np.repeat(totals[start], end - start), True)
            problems.append(
                Problem(
                    month,
                    "duplicate_month",
                    f"{month} is given {end - start} times"
                    + (
                        " with the same figures (kept once)" if same else " with different figures (not used)"
                    ),
                )
            )
            if not same:
                continue
        bands, total = values[start], float(totals[start])
        missing = [name for name, value in zip(band_columns, bands, strict=True) if np.isnan(value)]
        if missing:
            problems.append(
                Problem(month, "missing_band", f"{month}: no figure for {', '.join(missing)} (not used)")
            )
            continue
        negative = [name for name, value in zip(band_columns, bands, strict=True) if value < 0]
        negative += ["total"] if total < 0 else []
        if negative:
            problems.append(Problem(month, "negative", f"{month}: negative {', '.join(negative)} (not used)"))
            continue
        banded = float(bands.sum())
        if np.isnan(total):
            total = banded
        elif banded != total:  # tolerance 0: counts are whole numbers, any difference is real
            problems.append(
                Problem(
                    month,
                    "bands_do_not_sum",
                    f"{month}: bands add up to {banded:.0f}, the total is {total:.0f}",
                )
            )
        kept[month] = (total, bands)
    kept_months = list(kept)
    for before, after in pairwise(kept_months):
        (total_before, bands_before), (total_after, bands_after) = kept[before], kept[after]
        consecutive = month_index(after) == month_index(before) + 1
        if (
            consecutive
            and total_after > 0
            and total_after == total_before
            and (bands_after == bands_before).all()
        ):
            problems.append(
                Problem(
                    after,
                    "stale_repeat",
                    f"{after} repeats {before} unchanged (total {total_after:.0f} and every band)",
                )
            )
    problems += _gap_problems(kept_months)
    problems.sort(key=lambda p: (p.month or "", KINDS.index(p.kind) if p.kind in KINDS else len(KINDS)))
    counts = np.array([kept[m][1] for m in kept_months], dtype=np.int64).reshape(
        len(kept_months), len(band_columns)
    )
    return BandHistory(
        source=source,
        provider_code=identity[0],
        provider_name=identity[1],
        service=identity[2],
        edges_weeks=edges,
        months=tuple(kept_months),
        counts=counts,
        totals=np.array([kept[m][0] for m in kept_months], dtype=np.int64),
        problems=tuple(problems),
    )
