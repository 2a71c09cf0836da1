"""The fast engines give the reference path's monthly records exactly.

Three paths run every example: the reference (``ServiceModel``'s own methods), the Python fast
path (``sim.engine.fast_day``, engine "interpreted") and the compiled kernels
(``sim.engine.compiled_day``, the default "fast" engine where it applies).
"""

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
# Examples the compiled kernels do not run (slots aimed at long waiters, validation sweeps, as
# the worked example's weekly validation is): the Python fast path does.
NOT_COMPILED = {"long_waiters.yaml", "validation_sweep.yaml", "improvement_plan.yaml", "calibrated.yaml"}


def _config(path: Path):
    try:
        return load_config(path)
    except ConfigError:
        pytest.skip(f"{path.name} is an invalid example on purpose")


def _all(config, seed: int, replication: int, compiled: bool | None = True) -> tuple[list, list, list]:
    """Reference, Python fast path and default engine records; ``compiled``: expected of the last."""
    interpreted = ServiceModel(config, seed, replication, engine="interpreted")
    assert interpreted.fast and not interpreted.compiled, "an example fell back to the reference path"
    fast = ServiceModel(config, seed, replication, engine="fast")
    assert fast.fast
    if compiled is not None:
        assert fast.compiled == compiled
    reference = ServiceModel(config, seed, replication, engine="reference")
    assert not reference.fast and not reference.compiled
    return reference.run(), interpreted.run(), fast.run()


def _same(records: tuple[list, list, list], why) -> None:
    reference, interpreted, fast = (repr(r) for r in records)  # repr: NaN == NaN, floats to the last bit
    assert interpreted == reference, ("interpreted", why)
    assert fast == reference, ("fast", why)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_paths_match_reference(path: Path) -> None:
    _same(_all(_config(path), 11, 0, compiled=path.name not in NOT_COMPILED), path.name)


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_paths_match_reference_many_seeds(path: Path) -> None:
    config = _config(path)
    for seed in (1, 2, 2024):
        for replication in range(3):
            _same(_all(config, seed, replication, compiled=None), (seed, replication))


def test_compiled_engine_keeps_patients_readable() -> None:
    """After a compiled run the patients read back as records, as after the reference's."""
    config = _config(ROOT / "scenarios" / "example" / "baseline.yaml")
    fast = ServiceModel(config, 5, 0, engine="fast")
    reference = ServiceModel(config, 5, 0, engine="reference")
    assert fast.compiled
    fast.run(), reference.run()

    def values(patient) -> str:  # days held as float in the arrays, some as int in the records
        return repr([float(getattr(patient, f)) for f in patient.__slots__])

    assert len(fast.patients) == len(reference.patients)
    assert [values(p) for p in fast.patients] == [values(p) for p in reference.patients]
    assert values(fast.patients[-1]) == values(reference.patients[-1])
    assert fast.state_count == reference.state_count


def test_unknown_policy_option_falls_back(monkeypatch) -> None:
    config = _config(ROOT / "scenarios" / "example" / "baseline.yaml")
    assert fast_path_supports(config)
    odd = config.model_copy(
        update={"access_policy": config.access_policy.model_copy(update={"booking_order": "random"})}
    )
    assert not fast_path_supports(odd)
    monkeypatch.setenv("DCSIM_ENGINE", "reference")
    assert not ServiceModel(config, 1, 0).fast
    monkeypatch.setenv("DCSIM_ENGINE", "interpreted")
    model = ServiceModel(config, 1, 0)
    assert model.fast and not model.compiled


def test_fast_path_matches_reference_with_slots_aimed_at_long_waiters() -> None:
    """The lever switched on and off by dated `set` events, with urgent referrals arriving (so the
    reserved slots take long waiters from behind urgent ones): all paths book the same patients."""
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
        _same(_all(config, seed, 0, compiled=False), seed)
    plain = ServiceModel(service_config({"demand": busy}), 3, 0)
    assert plain.compiled
    assert repr(plain.run()) != repr(_all(config, 3, 0, compiled=False)[0])  # the lever did move bookings


def test_fast_path_matches_reference_with_a_validation_sweep() -> None:
    """Sweep rounds run outside the clinic day, on every path; rounds remove patients the fast
    path's queues still hold, and the paths must go on booking the same patients. Sweeps read
    patients one by one, so the compiled kernels hand them to the Python fast path."""
    sweep = {"stale_share": 0.4, "find_share": 0.5, "rounds": 4, "every_weeks": 5, "min_weeks_waited": 4}
    config = service_config(
        {"demand": {"monthly_rate": 150}, "events": [{"date": "2024-05-01", "validation_sweep": sweep}]}
    )
    for seed in (2, 8):
        records = _all(config, seed, 0, compiled=False)
        _same(records, seed)
        assert sum(r["removed"] for r in records[2][1:4]) > 0


def test_compiled_heaps_grow_mid_run(monkeypatch) -> None:
    """Heaps that start nearly full grow before the call that could fill them: the same records."""
    import numpy as np

    from sim.engine import compiled_day

    made = compiled_day._heaps

    def tight(queues):
        heaps = made(queues)
        return np.ascontiguousarray(heaps[:, : max(map(len, queues)) + 1])

    grown = []
    grow = compiled_day.CompiledDay._grow
    monkeypatch.setattr(compiled_day, "_heaps", tight)
    monkeypatch.setattr(compiled_day.CompiledDay, "_grow", lambda self, n: grown.append(n) or grow(self, n))
    config = _config(ROOT / "scenarios" / "example" / "baseline.yaml")
    _same(_all(config, 3, 0), "tight heaps")
    assert grown, "the heaps never grew"
