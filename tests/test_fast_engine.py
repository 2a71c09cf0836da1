"""The fast clinic day (sim.engine.fast_day) gives the reference path's monthly records exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from services import service_config

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


def test_fast_path_matches_reference_with_slots_aimed_at_long_waiters() -> None:
    """The lever switched on and off by dated `set` events, with urgent referrals arriving (so the
    reserved slots take long waiters from behind urgent ones): both paths book the same patients."""
    lever = {"access_policy.long_waiters": {"share": 0.4, "over_weeks": 6}}
    busy = {"monthly_rate": 150, "priorities": {"urgent": 0.5, "routine": 0.5}}  # a list that grows
    config = service_config(
        {
            "demand": busy,
            "events": [
                {"date": "2024-06-01", "set": lever},
                {"date": "2024-09-01", "set": {"access_policy.long_waiters": None}},
            ],
        }
    )
    for seed in (3, 11):
        reference, fast = _both(config, seed, 0)
        assert repr(fast) == repr(reference), seed
    plain = ServiceModel(service_config({"demand": busy}), 3, 0)
    assert repr(plain.run()) != repr(_both(config, 3, 0)[0])  # the lever did move bookings


def test_fast_path_matches_reference_with_a_validation_sweep() -> None:
    """Sweep rounds run outside the clinic day, on both paths; rounds remove patients the fast
    path's queues still hold, and the paths must go on booking the same patients."""
    sweep = {"stale_share": 0.4, "find_share": 0.5, "rounds": 4, "every_weeks": 5, "min_weeks_waited": 4}
    config = service_config(
        {"demand": {"monthly_rate": 150}, "events": [{"date": "2024-05-01", "validation_sweep": sweep}]}
    )
    for seed in (2, 8):
        reference, fast = _both(config, seed, 0)
        assert repr(fast) == repr(reference)
        assert sum(r["removed"] for r in fast[1:4]) > 0
