"""How big a fit or backtest may be, refused with the reason in the Python API and the CLI alike.

Time is the reason for most: a fit runs ``reps`` replications for each of its objective
evaluations (a design of 4-16 points, then Nelder-Mead's up to 15 per parameter + 20: about
40 with one parameter, 80 with three), then ``draws`` single replications for the ranges,
then ``forecast_reps`` for the fan; a backtest does all of that once per origin. A
replication of the 36-month example takes about 0.75 s on a busy core. Memory bounds the
forecast as it bounds any run (``sim.runs.limits``).
"""

from __future__ import annotations

from numbers import Real

from sim.engine.input_files import ConfigError
from sim.engine.size_limits import MAX_HORIZON_MONTHS
from sim.runs.limits import REPS, SEED, WORKERS, Bound

FIT_REPS = Bound("--reps", 2, 200, "replications per objective evaluation: 200 x ~80 evaluations = 16,000")
DRAWS = Bound("--draws", 20, 20_000, "one replication each: twice the longest run allowed")
FORECAST_REPS = Bound("--forecast-reps", 10, REPS.high, "the forecast's replications are held in memory")
ORIGINS = Bound("--origins", 1, 60, "each origin is a whole fit: five years of monthly origins")
BACKTEST_HORIZON = Bound("--horizon", 1, MAX_HORIZON_MONTHS, "months ahead; no service simulates further")


def check_fit_size(
    reps: int, seed: int, draws: int, forecast_reps: int, workers: int | None, accept: float
) -> None:
    """Refuse a fit beyond the bounds above, before anything runs."""
    FIT_REPS.check(reps)
    SEED.check(seed)
    DRAWS.check(draws)
    FORECAST_REPS.check(forecast_reps)
    if workers is not None:
        WORKERS.check(workers)
    if isinstance(accept, bool) or not (isinstance(accept, Real) and 0 < accept <= 1):
        raise ConfigError(f"accept: {accept}: must be above 0 and at most 1 (the share of draws kept)")


def check_backtest_size(horizon: int, origins: int | None) -> None:
    """Refuse a backtest horizon or origin count beyond the bounds above."""
    BACKTEST_HORIZON.check(horizon)
    if origins is not None:
        ORIGINS.check(origins)
