"""Ranges by approximate Bayesian computation (ABC) with importance sampling.

Each draw of the parameters is run for ONE replication with its own random numbers (the
model's chance is the noise model), and kept if its trajectory comes within a tolerance of
the history. Draws come from two proposals: the uniform prior over the bounds, then a
Gaussian around the best prior draws, widened and mixed with the prior so that no part of
the box is left unsampled ("defensive" importance sampling). Kept draws are weighted by
prior / pooled proposal density, so the weighted set approximates the ABC posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import multivariate_normal

from calibration.problem import Problem

ABC_REPLICATIONS = 1_000_000  # replication numbers of ABC draws: apart from the fit's and forecast's
PRIOR_SHARE, DEFENSIVE_SHARE, INFLATION = 1 / 3, 0.2, 2.0


def abc_distance(runs: np.ndarray, observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Root mean squared standardised gap of each single replication to the history."""
    seen = ~np.isnan(observed)
    gap = (runs - observed) / scale
    return np.sqrt(np.mean(gap[:, seen] ** 2, axis=1))


def _proposal(accepted: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    centre = accepted.mean(axis=0)
    spread = np.atleast_2d(np.cov(accepted, rowvar=False)) if len(accepted) > 1 else np.eye(d) * 0.01
    return centre, INFLATION**2 * spread + 1e-4 * np.eye(d)


def _draw_proposal(rng: np.random.Generator, centre, cov, n: int) -> np.ndarray:
    """``n`` points from the defensive mixture: prior with probability DEFENSIVE_SHARE, else the
    Gaussian truncated to the unit box (by redrawing points that fall outside)."""
    d = len(centre)
    points = rng.random((n, d))
    gaussian = np.flatnonzero(rng.random(n) >= DEFENSIVE_SHARE)
    while gaussian.size:
        draw = rng.multivariate_normal(centre, cov, size=gaussian.size)
        inside = np.all((draw >= 0) & (draw <= 1), axis=1)
        points[gaussian[inside]] = draw[inside]
        gaussian = gaussian[~inside]
    return points


def _proposal_density(units: np.ndarray, centre, cov, rng: np.random.Generator) -> np.ndarray:
    inside_mass = np.mean(np.all((np.abs(rng.multivariate_normal(centre, cov, 20_000) - 0.5) <= 0.5), axis=1))
    gaussian = multivariate_normal(centre, cov, allow_singular=True).pdf(units).reshape(len(units))
    return DEFENSIVE_SHARE + (1 - DEFENSIVE_SHARE) * gaussian / max(inside_mass, 1e-12)


@dataclass(frozen=True)
class AbcSample:
    """Every ABC draw, kept or not: what the conditioned forecast (``calibration.predictive``) reweights."""

    units: np.ndarray  # draws x parameters, positions in the unit box
    replications: np.ndarray  # the replication number each draw was run with
    runs: np.ndarray  # draws x fitted months x metrics, as simulated
    proposal: np.ndarray  # pooled proposal density of each draw (the prior's is 1 on the box)
    distance: np.ndarray


def posterior(
    problem: Problem, scale: np.ndarray, draws: int, accept: float
) -> tuple[pd.DataFrame, AbcSample]:
    """Accepted parameter sets (values, not unit positions) with importance weights and
    distances, and the whole sample they were kept from.

    ``draws`` single replications in all: a share PRIOR_SHARE from the uniform prior over the
    bounds, the rest from the defensive mixture around the nearest of those. The nearest
    ``accept`` share of all draws is kept: the tolerance is the largest distance kept.
    """
    rng = np.random.default_rng(np.random.SeedSequence(problem.seed, spawn_key=(ABC_REPLICATIONS,)))
    d, observed = len(problem.parameters), problem.history.matrix()
    n_prior = max(10, int(draws * PRIOR_SHARE))
    n_keep = max(5 * d, int(accept * draws))

    def simulate(units: np.ndarray, first: int) -> np.ndarray:
        numbers = [[ABC_REPLICATIONS + first + i] for i in range(len(units))]
        return np.concatenate(problem.run(list(units), numbers))

    prior_units = rng.random((n_prior, d))
    prior_runs = simulate(prior_units, 0)
    prior_distance = abc_distance(prior_runs, observed, scale)
    pilot = prior_units[np.argsort(prior_distance)[: max(d + 2, int(accept * n_prior))]]
    centre, cov = _proposal(pilot, d)
    n_more = max(0, draws - n_prior)
    more_units = _draw_proposal(rng, centre, cov, n_more)
    runs = np.concatenate([prior_runs, simulate(more_units, n_prior)]) if n_more else prior_runs
    units = np.vstack([prior_units, more_units])
    distance = abc_distance(runs, observed, scale)
    # Importance weights for draws pooled from two proposals (prior density is 1 on the box).
    mixture = (n_prior + n_more * _proposal_density(units, centre, cov, rng)) / (n_prior + n_more)
    order = np.argsort(distance, kind="stable")[: min(n_keep, len(distance))]
    accepted = pd.DataFrame(
        {p.path: [p.value(u) for u in units[order, i]] for i, p in enumerate(problem.parameters)}
    )
    weight = 1.0 / mixture[order]
    accepted["weight"] = weight / weight.sum()
    accepted["distance"] = distance[order]
    sample = AbcSample(units, ABC_REPLICATIONS + np.arange(len(units)), runs, mixture, distance)
    return accepted, sample


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` weighted by ``weights`` (midpoint rule; zero weights ignored)."""
    values, weights = values[weights > 0], weights[weights > 0]
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    return float(np.interp(q * weights.sum(), cumulative, values[order]))


def weighted_correlation(posterior: pd.DataFrame, paths: list[str]) -> pd.DataFrame:
    values, weights = posterior[paths].to_numpy(dtype=float), posterior["weight"].to_numpy()
    cov = np.atleast_2d(np.cov(values, rowvar=False, aweights=weights))
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return pd.DataFrame(cov / np.outer(sd, sd), index=paths, columns=paths)


CENTILES = {"median": 0.5, "10th centile": 0.1, "90th centile": 0.9}


def draw_ranges(draws: pd.DataFrame) -> pd.DataFrame:
    """Median, 10th and 90th centile of each field of a parameter draws table (``FitResult.parameter_draws``).

    Centiles are weighted by the ``weight`` column when there is one, as a run picks draws in
    proportion to it; without it every draw counts the same.
    """
    fields = [c for c in draws.columns if c not in ("draw", "weight")]
    weights = draws["weight"].to_numpy(float) if "weight" in draws else np.ones(len(draws))
    rows = []
    for field in fields:
        values = draws[field].to_numpy(float)
        centiles = {name: weighted_quantile(values, weights, q) for name, q in CENTILES.items()}
        rows.append({"setting": field, **centiles})
    return pd.DataFrame(rows, columns=["setting", *CENTILES])
