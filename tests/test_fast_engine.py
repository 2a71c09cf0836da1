"""The fast clinic day (sim.engine.fast_day) gives the reference path's monthly records exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine.fast_day import fast_path_supports
from sim.engine.input_files import ConfigError
from sim.engine.model import ServiceModel
from sim.engine.scenario import load_config

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p
    for p in [*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("docs/examples/*.yaml")]
    if "portfolio:" not in p.read_text()  # a portfolio lists service files, each of them here too
)


def _config(path: Path):
    try:
        return load_config(path)
    except ConfigError:
        pytest.skip(f"{path.name} is an invalid example on purpose")


def _both(config, seed: int, replication: int) -> tuple[list[dict], list[dict]]:
    fast = ServiceModel(config, seed, replication, engine="fast")
    assert fast.fast, "an example scenario fell back to the reference path"
    reference = ServiceModel(config, seed, replication, engine="reference")
    assert not reference.fast
    return reference.run(), fast.run()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_path_matches_reference(path: Path) -> None:
    reference, fast = _both(_config(path), 11, 0)
    assert repr(fast) == repr(reference)  # repr: NaN == NaN, and floats to the last bit


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_path_matches_reference_many_seeds(path: Path) -> None:
    config = _config(path)
    for seed in (1, 2, 2024):
        for replication in range(3):
            reference, fast = _both(config, seed, replication)
            assert repr(fast) == repr(reference), (seed, replication)


def test_unknown_policy_option_falls_back(monkeypatch) -> None:
    config = _config(ROOT / "scenarios" / "example" / "baseline.yaml")
    assert fast_path_supports(config)
    odd = config.model_copy(
        update={"access_policy": config.access_policy.model_copy(update={"booking_order": "random"})}
    )
    assert not fast_path_supports(odd)
    monkeypatch.setenv("DCSIM_ENGINE", "reference")
    assert not ServiceModel(config, 1, 0).fast
