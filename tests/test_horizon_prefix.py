"""A run's months do not depend on its horizon: a longer run repeats a shorter one's months.

The fit's forecast (``calibration.predictive``) relies on it: it weights trajectories run
over the fitted months, then re-runs the chosen ones over the forecast months and expects
them to pass through the same figures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from calibration.coverage_study import synthetic_service
from sim.engine.config import ServiceConfig
from sim.engine.model import ServiceModel
from sim.engine.scenario import load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
SCENARIOS = sorted(p.name for p in EXAMPLE.glob("*.yaml"))


def months(config: ServiceConfig, horizon: int, seed: int, replication: int) -> pd.DataFrame:
    document = config.model_dump(mode="python")
    document["service"]["horizon_months"] = horizon
    return pd.DataFrame(ServiceModel(ServiceConfig.model_validate(document), seed, replication).run())


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_longer_run_repeats_the_shorter_runs_months(name):
    config = load_config(EXAMPLE / name)
    document = config.model_dump(mode="python")
    document["parameter_draws"] = None  # one replication of the file itself
    config = ServiceConfig.model_validate(document)
    short, long = months(config, 5, 7, 2), months(config, 14, 7, 2)
    pd.testing.assert_frame_equal(short, long.iloc[: len(short)])


def test_the_synthetic_service_repeats_its_months_whatever_the_horizon():
    config = synthetic_service(12)
    for replication in range(3):
        short, long = months(config, 4, 11, replication), months(config, 12, 11, replication)
        pd.testing.assert_frame_equal(short, long.iloc[: len(short)])
