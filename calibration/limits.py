"""How big a fit or backtest may be, refused with the reason in the Python API and the CLI alike.

Time is the reason for most: a fit runs ``reps`` replications for each of its objective
evaluations (a design of 4-16 points, then Nelder-Mead's up to 15 per parameter + 20: about
40 with one parameter, 80 with three), then ``draws`` single replications for the ranges,
then ``forecast_reps`` for the fan; a backtest does all of that once per origin. A
replication of the 36-month example takes about 0.75 s on a busy core. Memory bounds the
forecast as it bounds any run (``sim.runs.limits``).
"""

from __future__ import annotations

from sim.engine.scenario import ConfigError
from sim.engine.size_limits import MAX_HORIZON_MONTHS
from sim.runs.limits import MAX_REPS, MAX_SEED, MAX_WORKERS, check_count

MIN_FIT_REPS, MAX_FIT_REPS = 2, 200  # per evaluation: 200 x ~80 evaluations = 16,000 replications
MIN_DRAWS, MAX_DRAWS = 20, 20_000  # one replication each: twice the longest run allowed
MIN_FORECAST_REPS, MAX_FORECAST_REPS = 10, MAX_REPS  # the fan is a run: held in memory like one
MAX_ORIGINS = 60  # each origin is a whole fit: five years of monthly origins
MAX_BACKTEST_HORIZON = MAX_HORIZON_MONTHS  # months ahead: no service simulates further


def check_fit_size(
    reps: int, seed: int, draws: int, forecast_reps: int, workers: int | None, accept: float
) -> None:
    """Refuse a fit beyond the bounds above, before anything runs."""
    check_count("--reps", reps, MIN_FIT_REPS, MAX_FIT_REPS, "replications per objective evaluation")
    check_count("--seed", seed, 0, MAX_SEED, "seeds are recorded as 64-bit integers")
    check_count("--draws", draws, MIN_DRAWS, MAX_DRAWS, "one replication each, for the ranges")
    check_count(
        "--forecast-reps", forecast_reps, MIN_FORECAST_REPS, MAX_FORECAST_REPS,
        "the forecast's replications are held in memory",
    )  # fmt: skip
    if workers is not None:
        check_count("--workers", workers, 1, MAX_WORKERS, "each worker holds its own copy of the model")
    if isinstance(accept, bool) or not (isinstance(accept, int | float) and 0 < accept <= 1):
        raise ConfigError(f"accept: {accept}: must be above 0 and at most 1 (the share of draws kept)")


def check_backtest_size(horizon: int, origins: int | None) -> None:
    """Refuse a backtest horizon or origin count beyond the bounds above."""
    check_count("--horizon", horizon, 1, MAX_BACKTEST_HORIZON, "months ahead; no service simulates further")
    if origins is not None:
        check_count("--origins", origins, 1, MAX_ORIGINS, "each origin is a whole fit")
