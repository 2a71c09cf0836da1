"""A compartmental flow model of a waiting list by months waited: the RTT Planner / NHSRtt method.

NHSRtt (NHS-R community; the BNSSG RTT Planner uses the same stock-and-flow idea) holds the
list in compartments by whole months waited. Each month everyone still waiting moves up one
compartment; in each compartment a calibrated share leaves (clock stops: treatment, and
reneging/removal), and referrals enter compartment 0. The shares per compartment are
calibrated on the fitted months as (those who were in compartment m-1 last month and are not
in m this month) / (those in m-1 last month), and the projection applies them with referrals
projected forward.

Published CHS waits give the list only, with no treatments or referrals, so here:

- the list by months waited is rebuilt from the weeks bands assuming waits are **uniform
  within each band** (a piecewise-constant density in time waited); a "month" is 52/12
  weeks, so compartments 0-11 cover 0-52 weeks and compartment 12 is 52 weeks and over,
  which is the over-52 band exactly;
- clock stops and removals cannot be told apart, so one exit share per compartment is
  calibrated (their sum, NHSRtt's capacity plus renege parameters) by ratio of sums over the
  fitted transitions (at most 5, from at most 6 months);
- referrals are not published; compartment 0 at a month end is the referrals of that month
  still waiting, so the inflow is projected as the mean of compartment 0 over the newest
  three fitted months (referrals net of those seen within their first month);
- over 18 weeks, which is not a month edge, is read back assuming waits uniform within a
  compartment, and scaled so that it equals the published figure at the origin.

The predictive band is normal on a log1p scale, its sd the root mean square of leave-one-out
one-step errors on the fitted transitions (each transition predicted by shares calibrated on
the others), capped at 1 (a factor e a month), times sqrt(h). Plain numpy, no dcsim engine,
so benchmarks and ``dcsim backtest`` can both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from calibration.naive import LEVELS, Quantiles

MONTH_WEEKS = 52 / 12
N_COMPARTMENTS = 13  # 0..11 one month each, 12 = 52 weeks and over
MEASURES = ("waiting", "over_18_weeks", "over_52_weeks")
SHARE_LIMITS = (-0.5, 1.0)  # a negative share is net inflow (returns, band noise); bounded
LAST_SHARE_LIMITS = (-0.1, 1.0)  # the open compartment compounds, so tighter below
REFERRAL_MONTHS = 3
MAX_LOG_SD = 1.0  # one-step sd on log1p: beyond a factor e a month, the fit has failed, not the future


def to_compartments(counts: np.ndarray, edges_weeks: tuple[float, ...]) -> np.ndarray:
    """Band counts (months x bands, edges in weeks, last open) -> months x 13 compartments.

    Uniform within each finite band; the open band must start at or beyond 52 weeks, and
    everything from 52 weeks goes to compartment 12.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    edges = np.asarray(edges_weeks, dtype=float)
    if edges[-2] < 52 - 1e-9:
        raise ValueError("the open band must start at 52 weeks or later")
    lo = np.arange(N_COMPARTMENTS - 1) * MONTH_WEEKS
    hi = lo + MONTH_WEEKS
    weights = np.zeros((len(edges) - 1, N_COMPARTMENTS))
    for b in range(len(edges) - 1):
        a, z = edges[b], edges[b + 1]
        if not np.isfinite(z):
            weights[b, -1] = 1.0
            continue
        overlap = np.clip(np.minimum(hi, z) - np.maximum(lo, a), 0, None)
        weights[b, :-1] = overlap / (z - a)
        weights[b, -1] = max(z - max(a, 52.0), 0.0) / (z - a)
    return counts @ weights


def measures_of(compartments: np.ndarray) -> dict[str, np.ndarray]:
    """List size, over 18 weeks (uniform within a compartment) and over 52 weeks."""
    n = np.atleast_2d(compartments)
    lo = np.arange(N_COMPARTMENTS - 1) * MONTH_WEEKS
    above = np.clip(lo + MONTH_WEEKS - np.maximum(lo, 18.0), 0, None) / MONTH_WEEKS
    return {
        "waiting": n.sum(axis=1),
        "over_18_weeks": n[:, :-1] @ above + n[:, -1],
        "over_52_weeks": n[:, -1],
    }


def calibrate_shares(n: np.ndarray) -> np.ndarray:
    """Exit share per compartment 1..12 (index 0 unused) by ratio of sums over transitions."""
    return transition_shares(n[:-1], n[1:])


def transition_shares(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Exit shares from paired month-ends ``before[i] -> after[i]`` (each k x 13)."""
    shares = np.zeros(N_COMPARTMENTS)
    entering = before[:, :-2].sum(axis=0)  # into compartments 1..11
    staying = after[:, 1:-1].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares[1:-1] = np.where(entering > 0, 1 - staying / entering, 0.0)
        last_in = (before[:, -2] + before[:, -1]).sum()
        shares[-1] = 1 - after[:, -1].sum() / last_in if last_in > 0 else 0.0
    shares[1:-1] = np.clip(shares[1:-1], *SHARE_LIMITS)
    shares[-1] = np.clip(shares[-1], *LAST_SHARE_LIMITS)
    return shares


def step(n: np.ndarray, shares: np.ndarray, joiners: float) -> np.ndarray:
    """One month on: everyone ages a compartment, each compartment's share leaves, joiners enter."""
    out = np.empty(N_COMPARTMENTS)
    out[0] = joiners
    out[1:-1] = n[:-2] * (1 - shares[1:-1])
    out[-1] = (n[-2] + n[-1]) * (1 - shares[-1])
    return out


@dataclass(frozen=True)
class CompartmentalFit:
    """The calibrated flow model: exit shares, projected joiners, start state and error spread."""

    shares: np.ndarray  # exit share per compartment (index 0 unused)
    joiners: float  # compartment 0 each projected month
    start: np.ndarray  # compartments at the origin
    over_18_scale: float  # published / rebuilt over-18 count at the origin
    log_sd: dict[str, float]  # one-step sd of log1p errors, per measure


def fit(counts: np.ndarray, edges_weeks: tuple[float, ...]) -> CompartmentalFit:
    """Calibrate on the fitted months (months x bands, consecutive, at least 2)."""
    counts = np.asarray(counts, dtype=float)
    if len(counts) < 2:
        raise ValueError("the compartmental model needs at least two consecutive fitted months")
    n = to_compartments(counts, edges_weeks)
    shares = calibrate_shares(n)
    joiners = float(n[-REFERRAL_MONTHS:, 0].mean())
    edges = np.asarray(edges_weeks, dtype=float)
    published_18 = counts[-1, edges[1:] > 18.0 + 1e-9].sum() if 18.0 in edges else None
    rebuilt_18 = float(measures_of(n[-1])["over_18_weeks"][0])
    scale = published_18 / rebuilt_18 if published_18 is not None and rebuilt_18 > 0 else 1.0
    return CompartmentalFit(shares, joiners, n[-1], float(scale), _loo_sd(n))


def _loo_sd(n: np.ndarray) -> dict[str, float]:
    """Root mean square of leave-one-out one-step log1p errors, per measure."""
    t = len(n) - 1
    errors: dict[str, list[float]] = {m: [] for m in MEASURES}
    for k in range(t):
        others = [j for j in range(t) if j != k]
        if others:
            shares = transition_shares(n[others], n[[j + 1 for j in others]])
            joiners = float(np.mean([n[j + 1, 0] for j in others]))
        else:
            shares, joiners = np.zeros(N_COMPARTMENTS), float(n[k, 0])
        predicted = measures_of(step(n[k], shares, joiners))
        actual = measures_of(n[k + 1])
        for m in MEASURES:
            errors[m].append(float(np.log1p(actual[m][0]) - np.log1p(max(predicted[m][0], 0.0))))
    return {m: min(float(np.sqrt(np.mean(np.square(e)))), MAX_LOG_SD) for m, e in errors.items()}


def project(model: CompartmentalFit, horizon: int) -> dict[str, np.ndarray]:
    """Point projections of each measure for months 1..horizon after the origin."""
    state, rows = model.start, []
    for _ in range(horizon):
        state = step(state, model.shares, model.joiners)
        rows.append(state)
    found = measures_of(np.vstack(rows))
    found["over_18_weeks"] = np.minimum(found["over_18_weeks"] * model.over_18_scale, found["waiting"])
    return {m: np.clip(v, 0, None) for m, v in found.items()}


def forecast(counts: np.ndarray, edges_weeks: tuple[float, ...], horizon: int) -> dict[str, Quantiles]:
    """Quantiles (q10..q90) of each measure for horizons 1..H from the fitted band months."""
    model = fit(counts, edges_weeks)
    centre = project(model, horizon)
    h = np.sqrt(np.arange(1, horizon + 1))
    found = {}
    for m in MEASURES:
        log_centre = np.log1p(centre[m])
        sd = model.log_sd[m] * h
        found[m] = {k: np.clip(np.expm1(log_centre + norm.ppf(q) * sd), 0, None) for k, q in LEVELS.items()}
    return found
