"""What a published waiting list by weeks band implies: referrals, capacity, exits by wait.

A monthly snapshot by weeks band holds no referral or activity counts, but its bands move in a
way that only some flows explain:

- **referrals joining the list**: every patient in the bands under a month joined since the last
  snapshot, so those bands, scaled from their width to a month, count the month's joiners;
- **exits** (seen or removed) each month: joiners less the growth of the list;
- **exits by weeks waited**: patients waiting over ``e - m`` weeks at one month end (``m`` a month)
  are those who could be over ``e`` at the next; the shortfall is who left from that cohort. The
  cohort's count inside a band comes from a density sloped as the neighbouring bands say
  (``sim.engine.band_seeding``), the same spread the model seeds patients with.

Which exits were clock stops and which removals cannot be told apart from snapshots, so the
split is a stated prior (``REMOVAL_SHARE``), carried as a range into the draws. Ranges come from
resampling the fitted months' transitions (a bootstrap), so they are as wide as the months
disagree, with the within-band slope drawn too (the bands do not say where inside them
patients wait).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from calibration.waits import BandHistory, WaitsError
from calibration.waits.history import month_index
from sim.engine.band_seeding import WaitBand, band_slopes

DAYS_PER_MONTH = 365.25 / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7
MIN_MONTHS = 3  # two transitions: the fewest from which exits can be told from noise
MAX_MONTHS = 12
MIN_LIST = 10  # patients: a list smaller than this in every fitted month has no flows to read
# Share of exits that are removals other than being seen (validation, moving away, reneging):
# not in any snapshot, so a prior. Mean 15%, 90% range about 5-30%, a range wide enough to
# hold what RTT validation programmes report removing.
REMOVAL_SHARE = (3.0, 17.0)  # Beta(a, b)
RIDGE = 1.0  # pulls each band's exit rate toward the list's overall rate when months are few
MAX_RATE = 0.8  # no band empties in a month: a rate of 1 is a clean-up, not a flow
# How much of the fitted months' net growth (joiners less exits) the forecast carries on.
# On the public CHS panel a list's growth over a few months does not persist: carrying the
# last value forward beats extrapolating the recent trend at every horizon (benchmarks/
# real_panel.py, drift against carry_forward, origins of 2023 as well as 2024-25). So the
# forecast's first-contact capacity matches its joiners, less this share of the growth.
# Measured on benchmarks/real_panel.py --quick --workers 2 --reps 30 (30 series, origins Oct
# 2024-Jun 2025, the engine's own band): with the fitted growth carried on, the median list
# missed by 243 at six months (carry-forward 147); with none, by 177, and the 80% interval
# score fell from 1,519 to 1,231.
GROWTH_PERSISTENCE = 0.0


@dataclass(frozen=True)
class WaitsEstimate:
    """Draws of what the waits imply, one row per bootstrap draw, and the months used."""

    months: tuple[str, ...]
    edges_weeks: tuple[float, ...]
    referrals: np.ndarray  # joiners per month, per draw
    exits: np.ndarray  # exits per month (seen + removed), per draw
    exit_rates: np.ndarray  # draw x band: monthly share of each band leaving
    removal_share: np.ndarray  # per draw
    seen_per_month: np.ndarray  # clock stops per month in the fitted months, per draw
    forecast_exits: np.ndarray  # exits per month the forecast assumes (seen + removed), per draw
    forecast_seen: np.ndarray  # clock stops per month the forecast assumes, per draw

    def ranges(self) -> dict[str, tuple[float, float, float]]:
        """Median and 90% range of each inferred quantity, by name."""
        rows = {
            "referrals a month": self.referrals,
            "exits a month (seen or removed)": self.exits,
            "first contacts a month (clock stops)": self.seen_per_month,
            "share of exits removed unseen": self.removal_share,
        }
        for band, column in enumerate(self.exit_rates.T):
            rows[f"monthly exit rate, {_band_label(self.edges_weeks, band)}"] = column
        return {name: tuple(np.quantile(v, [0.5, 0.05, 0.95]).tolist()) for name, v in rows.items()}


def _band_label(edges: tuple[float, ...], band: int) -> str:
    low, high = edges[band], edges[band + 1]
    return f"over {low:g} weeks" if math.isinf(high) else f"{low:g}-{high:g} weeks"


def fitting_months(history: BandHistory, up_to: str) -> BandHistory:
    """The usable consecutive months ending at ``up_to`` (at most a year), or a refusal saying why."""
    usable = history.usable().up_to(up_to)
    if not usable.months or usable.months[-1] != up_to:
        dropped = [p for p in history.problems if p.month == up_to]
        why = f": {dropped[0].message}" if dropped else " (no figures for it)"
        raise WaitsError(f"{history.source}: --up-to {up_to}: the month cannot be used{why}")
    indices = [month_index(m) for m in usable.months]
    start = len(indices) - 1
    while start > 0 and indices[start - 1] == indices[start] - 1 and len(indices) - start < MAX_MONTHS:
        start -= 1
    months = usable.months[start:]
    if len(months) < MIN_MONTHS:
        raise WaitsError(
            f"{history.source}: needs at least {MIN_MONTHS} consecutive usable months ending at {up_to}, "
            f"found {len(months)} ({', '.join(months)}); the problems found: "
            + "; ".join(f"{p.month}: {p.message}" for p in history.problems[:5])
        )
    first = usable.months.index(months[0])
    fitted = usable._keep(np.arange(len(usable.months)) >= first)
    largest = fitted.totals.max()
    if largest < MIN_LIST:
        raise WaitsError(
            f"{history.source}: the list holds at most {largest:g} "
            f"patient{'' if largest == 1 else 's'} in the months "
            f"{months[0]} to {months[-1]}: too few to infer referrals and exits from (at least {MIN_LIST})"
        )
    return fitted


def _intake_edge(edges: tuple[float, ...], source: str) -> int:
    """Index of the largest band edge within a month: the bands below it hold only joiners."""
    within = [i for i, e in enumerate(edges) if 0 < e <= WEEKS_PER_MONTH]
    if not within:
        raise WaitsError(
            f"{source}: the first band ends at {edges[1]:g} weeks; joiners can be counted only from bands "
            f"ending within a month ({WEEKS_PER_MONTH:.2f} weeks)"
        )
    return within[-1]


def cohort_in_bands(
    counts: np.ndarray, edges: tuple[float, ...], older_than: float, tilt: float = 1.0
) -> np.ndarray:
    """Patients of each band who have waited at least ``older_than`` weeks (sloped within bands,
    the slope scaled by ``tilt``)."""
    bands = [WaitBand(edges[i], _finite_top(edges, i), float(c)) for i, c in enumerate(counts)]
    slopes = np.asarray(band_slopes(bands), dtype=float) * tilt
    share = np.zeros(len(bands))
    for i, band in enumerate(bands):
        low, high = band.from_weeks * 7, band.to_weeks * 7
        cut = min(max(older_than * 7, low), high)
        k = slopes[i]
        if abs(k * (high - low)) < 1e-9:
            share[i] = (high - cut) / (high - low)
        else:  # the truncated exponential's mass above the cut
            share[i] = (np.exp(-k * (cut - low)) - np.exp(-k * (high - low))) / -np.expm1(-k * (high - low))
    return counts * share


def _finite_top(edges: tuple[float, ...], band: int) -> float:
    """The open last band is seeded over as many weeks again as its lower edge (52+: to 104)."""
    top = edges[band + 1]
    return 2 * edges[band] if math.isinf(top) else top


def _transitions(history: BandHistory) -> list[tuple[np.ndarray, np.ndarray]]:
    counts = history.counts.astype(float)
    return [(counts[t], counts[t + 1]) for t in range(len(counts) - 1)]


def intake_survival(rate: float, edges: tuple[float, ...], intake: int) -> float:
    """Share of a month's joiners still on the list at its end, leaving at monthly ``rate``."""
    hazard = -math.log(1 - min(rate, MAX_RATE)) / DAYS_PER_MONTH
    span = 7 * edges[intake]
    return 1.0 if hazard * span < 1e-9 else -math.expm1(-hazard * span) / (hazard * span)


def _exit_rates(
    pairs, edges: tuple[float, ...], intake: int, survival: float = 1.0, tilt: float = 1.0
) -> np.ndarray:
    """Monthly exit share of each band, from the cohorts that could cross each band edge."""
    n_bands = len(edges) - 1
    rows, targets, weights = [], [], []
    for before, after in pairs:
        joiners = after[:intake].sum() / survival
        for k in range(intake, n_bands):
            edge = edges[k]
            cohort = cohort_in_bands(before, edges, edge - WEEKS_PER_MONTH, tilt)
            left = cohort.sum() - after[k:].sum()
            rows.append(cohort)
            targets.append(left)
            weights.append(1 / math.sqrt(max(cohort.sum(), 1.0)))
        # The youngest: everyone now on the list under the first cohort edge joined or was there.
        rows.append(before)
        targets.append(before.sum() + joiners * DAYS_PER_MONTH / (7 * edges[intake]) - after.sum())
        weights.append(1 / math.sqrt(max(before.sum(), 1.0)))
    a, y, w = np.array(rows), np.array(targets), np.array(weights)[:, None]
    # The bands under a month are told apart by no cohort, so they share one rate.
    a = np.column_stack([a[:, :intake].sum(axis=1), a[:, intake:]])
    overall = max(y.sum(), 0.0) / max(a.sum(), 1.0)  # one rate for the whole list
    # Ridge toward the overall rate: rows of sqrt(RIDGE * load) * I pull each band's rate to it.
    load = np.sqrt(RIDGE * np.maximum(a.sum(axis=0), 1.0)) * np.mean(w)
    design = np.vstack([a * w, np.diag(load)])
    goal = np.concatenate([y * w[:, 0], load * overall])
    rates, _ = nnls(design, goal)
    rates = np.concatenate([np.repeat(rates[0], intake), rates[1:]])
    return np.minimum(rates, MAX_RATE)


def estimate(
    history: BandHistory, up_to: str, draws: int = 200, seed: int = 0,
    persistence: float = GROWTH_PERSISTENCE,
) -> WaitsEstimate:
    """Bootstrap draws of referrals, exits and exit rates by band from the months up to ``up_to``."""
    fitted = fitting_months(history, up_to)
    edges = fitted.edges_weeks
    intake = _intake_edge(edges, history.source)
    pairs = _transitions(fitted)
    counts = fitted.counts.astype(float)
    joiners = counts[1:, :intake].sum(axis=1) * DAYS_PER_MONTH / (7 * edges[intake])
    growth = np.diff(counts.sum(axis=1))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(month_index(up_to),)))
    refs, exits, ahead, rates = [], [], [], []
    for _ in range(draws):
        pick = rng.integers(0, len(pairs), len(pairs))
        chosen = [pairs[i] for i in pick]
        # Joiners who left before the month end are in no band: correct the count by the
        # youngest bands' own exit rate, then estimate the rates again with that count.
        # Where inside a band its patients wait is not in the snapshot: the slope the
        # neighbouring bands suggest is a guess, so each draw tilts it from flat to twice as
        # steep. With the slope fixed, the ranges held only month-to-month disagreement and
        # missed the exit rates of an independent simulator in about a quarter of bands even
        # where its hazards were constant by band (benchmarks/from_waits_recovery.py).
        tilt = rng.uniform(0.0, 2.0)
        survival = intake_survival(_exit_rates(chosen, edges, intake, tilt=tilt)[0], edges, intake)
        band_rates = _exit_rates(chosen, edges, intake, survival, tilt)
        # How many of the newest leave within weeks is barely told by bands this coarse: the
        # draws span from none leaving to all leaving at the youngest bands' estimated rate.
        # The next band's rate bounds it from below: the newest leave at least as fast as those
        # a month or two in (urgent referrals are seen first).
        young = max(band_rates[0], band_rates[intake])
        survival = 1 - rng.random() * (1 - intake_survival(young, edges, intake))
        inflow, grew = joiners[pick].mean() / survival, growth[pick].mean()
        refs.append(inflow)
        exits.append(max(inflow - grew, 0.0))
        ahead.append(max(inflow - persistence * grew, 0.0))
        rates.append(band_rates)
    if min(refs) <= 0:  # a service must have referrals: refuse rather than invent them
        empty = [m for m, j in zip(fitted.months[1:], joiners, strict=True) if j <= 0]
        raise WaitsError(
            f"{history.source}: joiners: the bands under {edges[intake]:g} weeks are empty in "
            f"{', '.join(empty)}, so some resamplings of the fitted months show no referrals joining; "
            "fit on months where the list has new joiners"
        )
    removal = rng.beta(*REMOVAL_SHARE, draws)
    exits_a = np.array(exits)
    return WaitsEstimate(
        months=fitted.months,
        edges_weeks=edges,
        referrals=np.array(refs),
        exits=exits_a,
        exit_rates=np.array(rates),
        removal_share=removal,
        seen_per_month=exits_a * (1 - removal),
        forecast_exits=np.array(ahead),
        forecast_seen=np.array(ahead) * (1 - removal),
    )
