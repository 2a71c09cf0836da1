"""Runner backends: the same numbers on every backend and worker count, clear errors, bounded memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from services import EXAMPLE
from typer.testing import CliRunner

import sim.runs.runner
from sim.cli import app
from sim.engine.model import ServiceModel
from sim.runs.backends import BackendError, DaskBackend, ProcessBackend, SerialBackend, make_backend
from sim.runs.runner import RunInterrupted, batches, from_columns, run_replications

REPS, SEED = 6, 17
RUN_BATCH = sim.runs.runner.run_batch


@pytest.fixture(scope="module")
def expected(request):
    """Each replication run on its own, straight from the model: what every backend must return."""
    from services import service_config

    config = service_config()
    frames = []
    for replication in range(REPS):
        frame = pd.DataFrame.from_records(ServiceModel(config, SEED, replication).run())
        frame.insert(0, "replication", replication)
        frames.append(frame)
    return config, pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(
    "options",
    [
        {"backend": "serial"},
        {"workers": 1},
        {"backend": "processes", "workers": 1},
        {"backend": "processes", "workers": 2},
        {"backend": "processes", "workers": 2, "batch_size": 1},
        {"workers": 2, "batch_size": 4},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
def test_every_local_backend_gives_the_numbers_of_each_replication_run_alone(expected, options):
    config, monthly = expected
    pd.testing.assert_frame_equal(run_replications(config, REPS, SEED, **options), monthly, check_exact=True)


def test_dask_local_cluster_gives_the_same_numbers(expected):
    config, monthly = expected
    # Threads keep this fast; the CLI test below runs a LocalCluster of worker processes.
    backend = DaskBackend("local", workers=2, processes=False)
    with backend:
        results = backend.map(sim.runs.runner.run_batch, (config, SEED, False), [[0, 1, 2], [3, 4], [5]])
        by_batch = {batch[0]: from_columns(columns) for batch, (columns, _) in results}
    frames = [by_batch[first] for first in sorted(by_batch)]
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), monthly, check_exact=True)


def test_dask_scheduler_address_gives_the_same_numbers(expected):
    distributed = pytest.importorskip("distributed")
    config, monthly = expected
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", dashboard_address=None
    )
    with cluster as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        result = run_replications(
            config, REPS, SEED, backend="dask", scheduler=c.scheduler_address, batch_size=2
        )
    pd.testing.assert_frame_equal(result, monthly, check_exact=True)


@pytest.mark.slow
def test_cli_dask_local_cluster_of_processes_matches_serial(tmp_path):
    baseline = EXAMPLE / "baseline.yaml"
    outputs = {}
    for name, options in {
        "serial": ["--backend", "serial"],
        "dask": ["--scheduler", "local", "-w", "2"],
    }.items():
        command = [sys.executable, "-m", "sim", "run", str(baseline), "-n", "8", "-s", "3", "-o"]
        done = subprocess.run([*command, str(tmp_path / name), *options], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs[name] = (tmp_path / name / "monthly.csv").read_bytes()
    assert outputs["serial"] == outputs["dask"]
    manifest = (tmp_path / "dask" / "manifest.json").read_text()
    assert '"backend": "dask"' in manifest or '"scheduler": "local"' in manifest


def test_backend_is_chosen_from_the_options():
    assert isinstance(make_backend(None, workers=1), SerialBackend)
    assert isinstance(make_backend(None, workers=2), ProcessBackend)
    assert make_backend(None, workers=None).workers == (os.cpu_count() or 1)
    assert isinstance(make_backend(None, scheduler="local"), DaskBackend)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--backend", "spark"], "--backend spark: unknown backend; choose one of serial, processes, dask"),
        (["--backend", "serial", "--scheduler", "local"], "--scheduler local: only used with --backend dask"),
    ],
)
def test_cli_rejects_bad_backend_options(tmp_path, arguments, message):
    result = CliRunner().invoke(app, ["run", str(EXAMPLE / "baseline.yaml"), "-o", str(tmp_path), *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_missing_dask_extra_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(BackendError, match=r"pip install 'dcsim\[distributed\]'"):
        make_backend("dask").__enter__()
    arguments = ["run", str(EXAMPLE / "baseline.yaml"), "-o", str(tmp_path), "-n", "2", "--backend", "dask"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "Dask is not installed" in result.output


def _die_on_replication_three(config, seed, trace, replications):
    if 3 in replications:
        os._exit(9)  # a worker killed mid-batch (out of memory, kill -9)
    return RUN_BATCH(config, seed, trace, replications)


def test_a_killed_worker_stops_the_run_with_finished_batches_saved(small_config, tmp_path, monkeypatch):
    monkeypatch.setattr(sim.runs.runner, "run_batch", _die_on_replication_three)
    with pytest.raises(RunInterrupted, match="a worker process stopped"):
        run_replications(small_config, 8, 1, workers=2, batch_size=1, checkpoint=tmp_path)
    saved = sorted(path.name for path in tmp_path.glob("batch_*.csv"))
    assert "batch_000003-000003.csv" not in saved


def _peak_bytes(config, reps: int) -> int:
    tracemalloc.start()
    run_replications(config, reps, 5, backend="serial")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_peak_memory_does_not_grow_with_replications(small_config):
    one, many = _peak_bytes(small_config, 1), _peak_bytes(small_config, 25)
    # Holding each replication's patients would add about a whole replication's peak per
    # replication (24 more here); only its monthly rows (a few kB) may stay. A finished
    # replication's SimPy environment is a reference cycle, freed when the garbage collector
    # next runs, so a few replications' worth can be alive at once: the peak levels off at
    # about 2.5 times one replication's (measured: 0.68 MB for one, 1.65 MB for 8 or 13) and
    # does not grow further.
    assert many < 4 * one


def test_the_last_batches_halve_so_the_workers_finish_together():
    plan = batches(range(100), 6)
    assert [len(b) for b in plan] == [6] * 15 + [5, 3, 1, 1]  # the last 10: half of what is left each time
    assert [r for b in plan for r in b] == list(range(100))
    assert batches(range(4), 6) == [[0, 1, 2, 3]]  # less than a batch: one batch, no pool


def _compare_monthly(scenarios, workers: int | None) -> pd.DataFrame:
    from sim.questions.compare import compare

    return compare(scenarios, reps=REPS, seed=SEED, workers=workers).monthly


def test_a_compare_runs_every_scenario_in_one_pool_with_the_same_numbers(monkeypatch):
    """Three scenarios share one pool of two workers; the numbers are those of a serial compare,
    the pool is started once, and no worker outlives the compare."""
    import multiprocessing

    from services import service_config

    import sim.runs.backends as backends

    base = service_config()
    more = base.model_copy(update={"demand": base.demand.model_copy(update={"monthly_rate": 130.0})})
    less = base.model_copy(update={"demand": base.demand.model_copy(update={"monthly_rate": 70.0})})
    scenarios = {"base": base, "more": more, "less": less}
    serial = _compare_monthly(scenarios, workers=1)
    started = []

    class CountedPool(backends.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(backends, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(sim.runs.runner, "default_batch_size", lambda reps: 2)  # 3 batches a scenario
    pooled = _compare_monthly(scenarios, workers=2)
    pd.testing.assert_frame_equal(pooled, serial, check_exact=True)
    assert len(started) == 1
    assert multiprocessing.active_children() == []


def test_a_kept_pool_serves_runs_of_different_configs(expected):
    """One pool, several runs: each run's workers use that run's config, not a cached earlier one."""
    from sim.runs.backends import shared_backend

    config, monthly = expected
    other = config.model_copy(update={"demand": config.demand.model_copy(update={"monthly_rate": 50.0})})
    alone = run_replications(other, REPS, SEED, backend="serial")
    with shared_backend(workers=2) as pool:
        first = run_replications(config, REPS, SEED, workers=2, batch_size=2)
        second = run_replications(other, REPS, SEED, workers=2, batch_size=2)
        third = run_replications(config, REPS, SEED, workers=2, batch_size=2)
        assert pool._pool is not None  # still up between runs
    assert pool._pool is None
    pd.testing.assert_frame_equal(first, monthly, check_exact=True)
    pd.testing.assert_frame_equal(third, monthly, check_exact=True)
    pd.testing.assert_frame_equal(second, alone, check_exact=True)


def test_batches_travel_as_arrays_and_come_back_with_their_dtypes(expected):
    config, monthly = expected
    columns, traced = sim.runs.runner.run_batch(config, SEED, True, [0, 1])
    assert all(isinstance(values, np.ndarray) for values in columns.values())
    assert all(isinstance(values, np.ndarray) for values in traced.values())
    frame = from_columns(columns)
    pd.testing.assert_frame_equal(frame, monthly[monthly["replication"] < 2], check_exact=True)
    assert frame.dtypes.equals(monthly.dtypes)
