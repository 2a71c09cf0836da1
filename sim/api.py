"""The Python entry points: run and compare services, ask questions, write the results.

```python
from sim.api import compare, run, write

result = run("scenarios/example/baseline.yaml", reps=100, seed=1)
plan = compare(["scenarios/example/baseline.yaml", "scenarios/example/three_band6_posts.yaml"])
write(plan, "results/plan", actuals="scenarios/example/actuals.csv")
```
Each question returns a plain result (pandas tables and a manifest); ``write`` turns any of
them into the files of the output contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from calibration.data import read_monthly
from sim.engine.scenario import ConfigError, file_hash, load_config, validate
from sim.questions import compare as comparing
from sim.questions.goal_capacity import goal_capacity as _goal_capacity
from sim.questions.goals import as_goal
from sim.questions.portfolio import compare_portfolios as _compare_portfolios
from sim.questions.results import (
    ComparisonResult,
    Costs,
    GoalCapacity,
    PortfolioComparison,
    SensitivityResult,
    SolveResult,
)
from sim.questions.run_error import (
    comparison_with_model_error,
    portfolio_with_model_error,
    run_with_model_error,
)
from sim.questions.sensitivity import sensitivity
from sim.questions.solve import solve
from sim.questions.trajectory import trajectory_tracking
from sim.reports.board import trajectory_columns
from sim.reports.comparison import comparison_board, write_comparison
from sim.reports.portfolio import league_table, rollup_board, write_portfolio
from sim.reports.portfolio_compare import write_portfolio_comparison
from sim.reports.question_outputs import write_sensitivity, write_solve
from sim.reports.run_outputs import write_run
from sim.runs import result as running
from sim.runs.planned_run import Observed
from sim.runs.portfolio import PortfolioResult
from sim.runs.portfolio import run_portfolio as _run_portfolio
from sim.runs.result import RunResult
from sim.runs.staging import staged

__all__ = [
    "ComparisonResult",
    "ConfigError",
    "GoalCapacity",
    "PortfolioComparison",
    "PortfolioResult",
    "RunResult",
    "SensitivityResult",
    "SolveResult",
    "as_actuals",
    "board_table",
    "check_actuals",
    "compare",
    "compare_portfolios",
    "from_waits",
    "from_waits_all_services",
    "goal_capacity",
    "league_table",
    "load_config",
    "read_observed",
    "rollup_board",
    "run",
    "run_portfolio",
    "sensitivity",
    "solve",
    "validate",
    "write",
]

Result = (
    RunResult | ComparisonResult | SolveResult | SensitivityResult | PortfolioResult | PortfolioComparison
)


def as_actuals(actuals: pd.DataFrame | str | Path | None, info: dict | None = None) -> pd.DataFrame | None:
    """Actuals as a table; a path is read (and recorded in the manifest ``info`` with its hash)."""
    if actuals is None or isinstance(actuals, pd.DataFrame):
        return actuals
    table = read_monthly(actuals)  # first: it refuses devices and oversized files before hashing
    if info is not None:
        info["actuals"] = {"path": str(Path(actuals).resolve()), "sha256": file_hash(Path(actuals))}
    return table


def check_actuals(actuals: pd.DataFrame | None, months: Iterable[str], source: str = "actuals") -> None:
    """Refuse actuals none of whose months are simulated: they would vanish from every output."""
    if actuals is None or actuals.empty:
        return
    horizon = sorted(set(map(str, months)))
    given = actuals["month"].astype(str)
    if horizon and not given.isin(horizon).any():
        raise ConfigError(
            f"{source}: column month: {given.min()} to {given.max()} lie wholly outside the simulated "
            f"months {horizon[0]} to {horizon[-1]}, so none of them could be shown"
        )


def result_months(result: Result) -> list[str]:
    """The months a result simulated."""
    monthly = result.run.monthly if isinstance(result, SolveResult) else result.monthly
    return list(monthly["month"].unique())


def board_table(
    result: ComparisonResult,
    actuals: pd.DataFrame | str | Path | None = None,
    months: list[str] | None = None,
) -> pd.DataFrame:
    """The board-paper table of a comparison ("median (p10-p90)" cells; default months: quarter
    ends), with the actuals and trajectory rows when given."""
    return comparison_board(result, as_actuals(actuals), months)


def tracking(result: ComparisonResult, actuals: pd.DataFrame | None) -> pd.DataFrame | None:
    """Actuals against their trajectories and each scenario's band, when actual breaches are given."""
    if actuals is None or "breaches" not in actuals or not actuals["breaches"].notna().any():
        return None
    return trajectory_tracking(result.summary, actuals, trajectory_columns(actuals))


def write(
    result: Result,
    out: str | Path,
    actuals: pd.DataFrame | str | Path | None = None,
    months: list[str] | None = None,
    every: int | None = None,
    *,
    adopt: dict[str, Path] | None = None,
) -> list[Path]:
    """Write a result's files into ``out``; ``actuals`` is a table or the path of its CSV.

    ``months`` (YYYY-MM list) or ``every`` (every N-th month end) choose the board table's
    columns of a comparison; by default the quarter ends and the goal's month. The files are
    written into a hidden folder inside ``out`` and moved into place together once all are
    written (``sim.runs.staging``): a failure part way (a full disk) leaves the previous
    outputs as they were, never some old files beside some new ones. ``adopt`` maps names to
    files or folders made earlier (a run's traces) to publish with them.
    """
    if isinstance(result, PortfolioResult | PortfolioComparison):
        if actuals is not None or every is not None or adopt:
            raise ConfigError("a portfolio's outputs take no actuals, --every or adopted files yet")
        with staged(out) as folder:
            if isinstance(result, PortfolioComparison):
                written = write_portfolio_comparison(result, folder, months)
            else:
                written = write_portfolio(result, folder, months)
        return [Path(out) / path.name for path in written]
    observed = None if isinstance(result, SensitivityResult) else as_actuals(actuals, result.manifest)
    if observed is not None:
        source = str(actuals) if isinstance(actuals, str | Path) else "actuals"
        check_actuals(observed, result_months(result), source)
    with staged(out, adopt) as folder:
        if isinstance(result, SensitivityResult):
            written = write_sensitivity(result, folder)
        elif isinstance(result, ComparisonResult):
            written = write_comparison(result, folder, observed, months, every, tracking(result, observed))
        elif isinstance(result, SolveResult):
            written = write_solve(result, folder, observed)
        else:
            written = write_run(result, folder, observed)
    adopted = [Path(out) / name for name in adopt or {} if (Path(out) / name).exists()]
    return [Path(out) / path.name for path in written] + adopted


def read_observed(path: str | Path) -> Observed:
    """Observed months from a CSV (as ``calibration.data.read_monthly`` reads it), with its hash."""
    path = Path(path)
    info = {"observed": {"path": str(path.resolve()), "sha256": file_hash(path)}}
    return Observed(read_monthly(path), str(path), info)


def _observed(observed: Observed | pd.DataFrame | str | Path | None) -> Observed | pd.DataFrame | None:
    return read_observed(observed) if isinstance(observed, (str, Path)) else observed


def run(
    config,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    scenario: str | None = None,
    progress=None,
    observed: Observed | pd.DataFrame | str | Path | None = None,
    model_error: str | Path | bool | None = None,
    **options,
) -> RunResult:
    """``sim.runs.result.run``, with ``observed`` also given as the path of a CSV.

    ``model_error`` (a table path, ``None`` or ``True`` for the shipped CHS table, ``False`` for
    none) adds ``breaches``/``waiting`` ``_p10/_p90_with_model_error`` to the summary, by the rule
    ``compare`` uses (``sim.questions.run_error``), and the manifest's ``model_error`` record."""
    result = running.run(
        config, reps, seed, workers, scenario, progress, observed=_observed(observed), **options
    )
    return run_with_model_error(result, model_error, seed)


def run_portfolio(
    portfolio, reps: int = 100, seed: int = 0, workers: int | None = None, progress=None,
    model_error: str | Path | bool | None = None, **options
) -> PortfolioResult:
    """Every service of a portfolio file (``sim.engine.portfolio``) and their total
    (``sim.runs.portfolio.run_portfolio``); ``write`` gives its files, ``rollup_board`` and
    ``league_table`` its tables. ``model_error`` as ``run`` takes it: each service's and the
    total's band with the model's real-world error (``sim.questions.run_error``)."""
    result = _run_portfolio(portfolio, reps, seed, workers, progress, **options)
    return portfolio_with_model_error(result, model_error)


def compare_portfolios(
    portfolios, reps: int = 100, seed: int = 0, workers: int | None = None, progress=None,
    model_error: str | Path | bool | None = None, **options
) -> PortfolioComparison:
    """A base portfolio (first) and portfolio scenarios (files that ``extends:`` it) on common random
    numbers (``sim.questions.portfolio``); ``write`` gives the comparison's files. ``model_error``
    as ``run`` takes it."""
    result = _compare_portfolios(portfolios, reps, seed, workers, progress, **options)
    return comparison_with_model_error(result, model_error)


def compare(
    scenarios,
    reps: int = 100,
    seed: int = 0,
    workers: int | None = None,
    goal=None,
    progress=None,
    observed: Observed | pd.DataFrame | str | Path | None = None,
    **options,
) -> ComparisonResult:
    """``sim.questions.compare.compare``, with ``observed`` also given as the path of a CSV."""
    return comparing.compare(
        scenarios, reps, seed, workers, goal, progress, observed=_observed(observed), **options
    )


def costs(result: ComparisonResult) -> Costs:
    """Staff cost beside effect for a finished comparison (as ``compare(..., costs=True)`` gives in
    ``result.costs``): each scenario's staff cost, the cost per breach avoided at the goal's month
    (or the last) and per extra first contact (``sim.questions.costs``). A ConfigError says why
    when a role has neither an Agenda for Change band in its name nor a stated pay."""
    from sim.questions.costs import check_costs, costs_beside_effect

    configs = {s.name: s.config for s in result.scenarios}
    check_costs(configs, {s.name: str(s.source) for s in result.scenarios})
    month = result.goal.month if result.goal is not None else str(result.comparison["month"].iloc[-1])
    return costs_beside_effect(configs, result.monthly, result.comparison, month)


def goal_capacity(scenarios, goal, **options) -> GoalCapacity | None:
    """What the goal takes, from the service files alone (no simulation): for each scenario (the
    first is the baseline; YAML paths, configs or a mapping of names to them, as ``compare``
    takes), the first contacts a month needed and for whom, what it adds, the time to clear,
    the sustainable list and the steady-state capacity (``sim.questions.goal_capacity``).

    ``compare(..., goal=...)`` gives the same figures as ``result.goal_capacity``, with the
    simulation's beside them. None for a goal on another measure than breaches or the longest wait.
    """
    from sim.engine.sweep import as_scenarios

    chosen = as_goal(goal)
    if chosen is None:
        raise ConfigError("goal: give a goal, e.g. 'breaches<=0 by 2025-12'")
    return _goal_capacity({s.name: s.config for s in as_scenarios(scenarios)}, chosen, **options)


def from_waits(history: str | Path, up_to: str, out: str | Path, provider: str | None = None,
               service: str | None = None, **options) -> dict:
    """``dcsim from-waits``: a service, its draws, its forecast and its track record from published
    waits (CHS wide CSV, CHS workbooks or a band CSV), written to ``out``; returns the manifest.

    ``options`` as ``calibration.from_waits.outputs.from_waits`` takes them: ``horizon``, ``reps``,
    ``seed``, ``target_weeks``, ``base``, ``model_error`` (a table, None for the shipped one,
    False for none) and ``track_origins``. The track record's scores are in
    ``manifest["track_record"]``.
    """
    from calibration.from_waits.outputs import from_waits as build
    from calibration.waits import read_waits

    return build(read_waits(history, provider, service), up_to, Path(out), **options)


def from_waits_all_services(history: str | Path, provider: str, up_to: str, out: str | Path,
                            **options) -> dict:
    """``dcsim from-waits --all-services``: every service of ``provider`` fitted from its published
    waits into ``out/<folder>/``, with ``out/portfolio.yaml`` of the fitted ones and
    ``out/services.csv`` saying why any was not fitted; returns the manifest. ``options`` as
    ``from_waits`` takes them (no ``base``: staff and job plans are one service's)."""
    from calibration.from_waits.provider import portfolio_from_waits, provider_services

    return portfolio_from_waits(provider_services(history, provider), up_to, Path(out), **options)


def backtest_waits(history: str | Path, out: str | Path | None = None, provider: str | None = None,
                   service: str | None = None, **options):
    """``dcsim backtest HISTORY`` (the waits form): rolling origins of a published waiting list, each
    fitted from the waits up to it and forecast by dcsim and the yardsticks, scored on what followed.

    ``options`` as ``calibration.waits_backtest.backtest_waits`` takes them: ``origins``, ``first``,
    ``last`` (months YYYY-MM), ``horizon``, ``fit_months``, ``target_weeks``, ``reps``, ``seed``,
    ``model_error``. conformal_carry_forward's panel is every series of the same kind in the file.
    Returns the ``WaitsBacktest`` (``.scores``, ``.points``, ``.notes``); with ``out``, also
    writes scores.csv, forecasts.csv and manifest.json there, published together.
    """
    from calibration.waits import read_waits
    from calibration.waits_backtest import backtest_waits as run_backtest
    from calibration.waits_backtest.panel import panel_histories
    from calibration.waits_backtest.report import write as write_backtest

    waits = read_waits(history, provider, service)
    result = run_backtest(waits, panel=panel_histories(history, waits), **options)
    if out is not None:
        write_backtest(result, out)
    return result


def calibrate_waits(history: str | Path, up_to: str, out: str | Path | None = None,
                    provider: str | None = None, service: str | None = None,
                    config: str | Path | None = None, **options):
    """``dcsim calibrate [CONFIG] --waits HISTORY``: fields fitted to published band snapshots, list
    size and breaches together; with ``out``, the fitted files written there (``service.yaml``,
    ``calibrated.yaml``, ``parameter_draws.csv``, the report), published together.

    ``options`` as ``calibration.waits_fit.calibrate_waits`` takes them: ``fit`` (default: referral
    rate and capacity of the service inferred from the waits), ``bounds``, ``log``, ``first``,
    ``target_weeks``, ``reps``, ``seed``, ``draws``, ``forecast_reps``, ``workers``.
    Returns the ``FitResult``.
    """
    from calibration.report import write_fit
    from calibration.waits import read_waits
    from calibration.waits_fit import calibrate_waits as fit_waits
    from calibration.waits_fit import service_text

    result, prepared = fit_waits(read_waits(history, provider, service), up_to, config=config, **options)
    if out is not None:
        write_fit(result, Path(out), config, base_text=service_text(prepared))
    return result
