"""Every numeric option is bounded, on the command line (exit 2, the option named, nothing
written) and in the Python API (``ConfigError`` naming the argument), by the same constants.

The bounds themselves and their reasons live in ``sim.runs.limits``, ``calibration.limits``,
``sim.questions.sensitivity``, ``sim.questions.solve`` and ``sim.engine.size_limits``; these
tests check each is refused just above it (and non-finite floats), never that a run fits.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from services import EXAMPLE, service_document
from typer.testing import CliRunner

from calibration import limits as fit_limits
from calibration.backtest import backtest
from calibration.estimate import estimate_file
from calibration.fit import fit
from sim.api import run, sensitivity, solve
from sim.cli import app
from sim.engine.scenario import ConfigError
from sim.engine.size_limits import MAX_HORIZON_MONTHS
from sim.questions.sensitivity import MAX_VARY
from sim.reports.board import EVERY, board_months
from sim.runs import limits as run_limits
from sim.runs.conditioning import Settings
from sim.runs.limits import Bound

NCS = "job_plans.band6.non_clinical_share"
VARY = "job_plans.band6.sickness_rate=0.03,0.08"


def cli(*args: object) -> tuple[int, str]:
    """Exit code and standard error of a command; an uncaught exception fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return result.exit_code, " ".join(result.stderr.split())


@pytest.fixture
def service(tmp_path: Path) -> Path:
    path = tmp_path / "service.yaml"
    path.write_text(yaml.safe_dump(service_document(), sort_keys=False))
    return path


def refused(out: Path, *args: object, expected: str) -> None:
    code, message = cli(*args, "--out", out)
    assert code == 2 and expected in message, message
    assert "Traceback" not in message
    assert not out.exists()


# ----- the command line -------------------------------------------------------------------------


def beyond(bound: Bound, value: int | None = None) -> tuple[list[object], str]:
    """Options with ``bound``'s option just above its top (or at ``value``) and the message expected."""
    value = bound.high + 1 if value is None else value
    expected = f"{bound.option}: {value}: must be from {bound.low:,} to {bound.high:,} ({bound.why})"
    return [bound.option, value], expected


RUN_OPTIONS = [
    beyond(run_limits.REPS),
    beyond(run_limits.REPS, 0),
    beyond(run_limits.WORKERS),
    beyond(run_limits.SEED),
    beyond(run_limits.SEED, -1),
    beyond(run_limits.CANDIDATES),
]


@pytest.mark.parametrize(("options", "expected"), RUN_OPTIONS)
def test_run_options_beyond_their_bounds_exit_2(tmp_path, service, options, expected):
    refused(tmp_path / "out", "run", service, *options, expected=expected)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        beyond(EVERY),
        (["--months", ",".join(["2024-06"] * (MAX_HORIZON_MONTHS + 1))], "--months: 241 months; at most 240"),
    ],
)
def test_compare_board_columns_are_bounded(tmp_path, service, options, expected):
    refused(tmp_path / "out", "compare", service, *options, expected=expected)


def test_sensitivity_takes_at_most_max_vary_fields(tmp_path, service):
    many = [part for _ in range(MAX_VARY + 1) for part in ("--vary", VARY)]
    refused(
        tmp_path / "out", "sensitivity", service, *many,
        expected=f"--vary: {MAX_VARY + 1} fields; at most {MAX_VARY} (each runs the scenario twice more)",
    )  # fmt: skip


FIT_OPTIONS = [
    beyond(fit_limits.FIT_REPS),
    beyond(fit_limits.FIT_REPS, 1),
    beyond(fit_limits.DRAWS),
    beyond(fit_limits.DRAWS, 19),
    beyond(fit_limits.FORECAST_REPS),
    beyond(run_limits.SEED),
    beyond(run_limits.WORKERS),
    (["--bounds", f"{NCS}=nan,0.5"], "bounds nan,0.5"),
    (["--bounds", f"{NCS}=0.1,inf"], "bounds 0.1,inf"),
]


@pytest.mark.parametrize(("options", "expected"), FIT_OPTIONS)
def test_calibrate_options_beyond_their_bounds_exit_2(tmp_path, service, options, expected):
    history = tmp_path / "history.csv"
    history.write_text("month,breaches\n2024-04,10\n2024-05,12\n")
    args = ["calibrate", service, "--data", history, "--fit", NCS, *options]
    refused(tmp_path / "out", *args, expected=expected)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        *FIT_OPTIONS[:5],
        beyond(fit_limits.BACKTEST_HORIZON),
        beyond(fit_limits.ORIGINS),
    ],
)
def test_backtest_options_beyond_their_bounds_exit_2(tmp_path, service, options, expected):
    history = tmp_path / "history.csv"
    history.write_text("month,breaches\n2024-04,10\n2024-05,12\n")
    args = ["backtest", service, "--data", history, "--fit", NCS, "--train-months", "1", *options]
    refused(tmp_path / "out", *args, expected=expected)


@pytest.mark.parametrize("weeks", ["nan", "inf", "0", "105"])
def test_estimate_target_weeks_must_be_a_finite_target(tmp_path, weeks):
    out = tmp_path / "fragment.yaml"
    code, message = cli("estimate", tmp_path / "extract.csv", "--out", out, "--target-weeks", weeks)
    assert code == 2, message
    assert f"--target-weeks: {float(weeks)}: must be above 0 and at most 104" in message
    assert not out.exists()


# ----- the Python API ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"reps": run_limits.MAX_REPS + 1}, "--reps"),
        ({"reps": 0}, "--reps"),
        ({"reps": 2.5}, "--reps"),
        ({"seed": -1}, "--seed"),
        ({"seed": run_limits.MAX_SEED + 1}, "--seed"),
        ({"workers": run_limits.MAX_WORKERS + 1}, "--workers"),
    ],
)
def test_api_run_refuses_sizes_beyond_the_bounds(service, arguments, named):
    with pytest.raises(ConfigError, match=f"^{named}: "):
        run(service, **{"reps": 2, **arguments})


def test_api_run_refuses_too_many_candidates_before_reading_the_observations(service):
    settings = Settings(candidates=run_limits.MAX_CANDIDATES + 1)
    observed = pd.DataFrame({"month": ["2024-04"], "breaches": [10.0]})
    with pytest.raises(ConfigError, match="^--candidates: 50001: must be from 1 to 50,000"):
        run(service, reps=2, observed=observed, conditioning=settings)
    many = Settings()  # the default, five per replication, stays inside the bound at the most replications
    assert many.candidate_count(run_limits.MAX_REPS) <= run_limits.MAX_CANDIDATES


def test_api_sensitivity_refuses_more_than_max_vary_fields(service):
    with pytest.raises(ConfigError, match=f"^--vary: {MAX_VARY + 1} fields; at most {MAX_VARY}"):
        sensitivity(service, [VARY] * (MAX_VARY + 1), reps=2)


def test_api_questions_refuse_run_sizes_before_their_goal_probe(service):
    goal = "breaches<=0 by 2024-12"
    with pytest.raises(ConfigError, match="^--reps: 10001: must be from 1 to 10,000"):
        solve(service, "workforce.0.wte", goal, reps=run_limits.MAX_REPS + 1)
    with pytest.raises(ConfigError, match="^--seed: -1: must be from 0"):
        sensitivity(service, [VARY], goal=goal, reps=2, seed=-1)


def test_api_board_columns_are_bounded():
    months = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    with pytest.raises(ConfigError, match="^--every: 241: must be from 1 to 240"):
        board_months(months, every=MAX_HORIZON_MONTHS + 1)
    with pytest.raises(ConfigError, match="^--months: 241 months; at most 240"):
        board_months(months, [months[0]] * (MAX_HORIZON_MONTHS + 1))
    assert board_months(months, every=MAX_HORIZON_MONTHS) == months[-1:]  # at the bound: the last month


FIT_ARGUMENTS = [
    ({"reps": fit_limits.FIT_REPS.high + 1}, "--reps"),
    ({"reps": 1}, "--reps"),
    ({"draws": fit_limits.DRAWS.high + 1}, "--draws"),
    ({"draws": 19}, "--draws"),
    ({"forecast_reps": fit_limits.FORECAST_REPS.high + 1}, "--forecast-reps"),
    ({"forecast_reps": 9}, "--forecast-reps"),
    ({"seed": run_limits.MAX_SEED + 1}, "--seed"),
    ({"workers": 0}, "--workers"),
    ({"accept": math.nan}, "accept"),
    ({"accept": math.inf}, "accept"),
    ({"accept": 0.0}, "accept"),
]


@pytest.mark.parametrize(("arguments", "named"), FIT_ARGUMENTS)
def test_api_fit_refuses_sizes_beyond_the_bounds(arguments, named):
    with pytest.raises(ConfigError, match=f"^{named}: "):
        fit(EXAMPLE / "baseline.yaml", EXAMPLE / "actuals.csv", [NCS], **arguments)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        *FIT_ARGUMENTS[:3],
        ({"horizon": fit_limits.BACKTEST_HORIZON.high + 1}, "--horizon"),
        ({"horizon": 0}, "--horizon"),
        ({"origins": fit_limits.ORIGINS.high + 1}, "--origins"),
    ],
)
def test_api_backtest_refuses_sizes_beyond_the_bounds(arguments, named):
    with pytest.raises(ConfigError, match=f"^{named}: "):
        backtest(EXAMPLE / "baseline.yaml", EXAMPLE / "actuals.csv", [NCS], 4, **arguments)


def test_api_backtest_refuses_more_origins_than_the_bound_by_default(tmp_path):
    """A long history would make one fit per month: refused, naming --origins, before any fit."""
    document = service_document({"service": {"horizon_months": 96}})
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    start = pd.Timestamp(document["service"]["start_date"])
    months = [(start + pd.DateOffset(months=m)).strftime("%Y-%m") for m in range(90)]
    history = pd.DataFrame({"month": months, "breaches": [10.0] * 90})
    with pytest.raises(ConfigError, match="--origins: the history allows 85 origins; at most 60"):
        backtest(path, history, [NCS], 5, horizon=1)


@pytest.mark.parametrize("weeks", [math.nan, math.inf, -1.0, 0.0, 105.0])
def test_api_estimate_refuses_a_target_outside_the_schema(tmp_path, weeks):
    with pytest.raises(ConfigError, match="^--target-weeks: "):
        estimate_file(tmp_path / "extract.csv", rtt_target_weeks=weeks)
