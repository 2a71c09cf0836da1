"""Where replication batches run: in this process, in a local process pool, or on Dask.

A backend is a context manager whose ``map(function, shared, items)`` calls
``function(*shared, item)`` for every item and yields ``(item, result)`` as each finishes,
in any order. ``shared`` (the service config and seed) is pickled once per ``map`` and
unpickled once per worker, and only a few items are in flight at a time, so memory does not
grow with the number of batches. Results do not depend on the backend: every replication is
seeded by ``(seed, replication)`` alone.

The process pool starts at the first ``map`` and is kept for the later ones until the
backend is left, so ``shared_backend()`` can hold one pool for every run of a question
(the scenarios of a compare, the values a solve tries): workers start once, not per run.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sim.engine.input_files import ConfigError

BACKENDS = ("serial", "processes", "dask")
IN_FLIGHT_PER_WORKER = 2


class BackendError(ConfigError):
    """A backend cannot be used as asked (unknown name, missing extra, unreachable scheduler)."""


class WorkerLost(Exception):
    """Work in progress was lost: a worker process died or the Dask cluster went away."""


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class SerialBackend:
    """Runs every item in this process, in order: no start-up cost, easiest to debug and profile."""

    name = "serial"
    workers = 1

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, function: Callable, shared: tuple, items: Iterable) -> Iterator[tuple[Any, Any]]:
        for item in items:
            yield item, function(*shared, item)


# Worker-side state of the process pool: the shared arguments of the last few maps, by key.
_shared: dict[tuple[int, int], tuple] = {}
KEPT_SHARED = 4  # a pool reused for many runs keeps only the latest few configs


def _start_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: let the parent alone decide what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The command line turns SIGTERM into a clean stop; a worker just ends (its batch is lost anyway).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0


def die_with_parent(parent: int) -> None:
    """End this worker when process ``parent`` dies, even by SIGKILL (which no handler sees).

    On Linux the kernel sends SIGKILL when the parent goes (prctl PR_SET_PDEATHSIG); a daemon
    thread that checks the parent every second does the same anywhere, and covers a parent
    that died before this function ran.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the thread below still watches
            pass
    spawner = os.getppid()  # the parent itself, or a fork server that ends with it
    if not _alive(parent):
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, spawner), daemon=True).start()


def _watch_parent(parent: int, spawner: int) -> None:
    while _alive(parent) and os.getppid() == spawner:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a killed one not yet reaped, a zombie, is not)."""
    if os.name == "nt":  # os.kill would end the process there; the getppid watch does the work
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):  # no /proc (not Linux): kill(pid, 0) is all there is
        return True
    return state not in ("Z", "X")


def _call_with_shared(key: tuple[int, int], pickled: bytes, function: Callable, item: Any) -> Any:
    """``function(*shared, item)``, the shared arguments unpickled once per worker and map."""
    shared = _shared.get(key)
    if shared is None:
        while len(_shared) >= KEPT_SHARED:
            _shared.pop(next(iter(_shared)))
        shared = _shared[key] = pickle.loads(pickled)
    return function(*shared, item)


WORKER_LOST = "a worker process stopped (killed, or out of memory)"


class ProcessBackend:
    """A local process pool, one worker per core by default, kept from the first ``map`` to the end."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._maps = itertools.count()

    def __enter__(self) -> ProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop(interrupted=exc[0] is not None)

    def map(self, function: Callable, shared: tuple, items: Iterable) -> Iterator[tuple[Any, Any]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, initializer=_start_worker, initargs=(os.getpid(),))
        pool = self._pool
        key, pickled = (os.getpid(), next(self._maps)), pickle.dumps(shared, pickle.HIGHEST_PROTOCOL)
        pending: dict[Future, Any] = {}
        queue = iter(items)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        try:
            while True:
                for item in queue:
                    pending[pool.submit(_call_with_shared, key, pickled, function, item)] = item
                    if len(pending) >= limit:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    yield item, future.result()
        except BrokenProcessPool:  # a worker died before its result was collected
            self._stop(interrupted=True)  # a later map starts a fresh pool
            raise WorkerLost(WORKER_LOST) from None
        finally:
            for future in pending:  # a map left early: its queued items are not run for nothing
                future.cancel()

    def _stop(self, interrupted: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if interrupted:
            # Do not wait for batches in progress: they are lost either way, and a resumed
            # run repeats them. ProcessPoolExecutor has no public way to end busy workers.
            processes = getattr(pool, "_processes", None) or {}
            for process in list(processes.values()):
                if process.is_alive():
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=interrupted)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BackendError(
            "--backend dask: Dask is not installed; install the extra with pip install 'dcsim[distributed]'"
        ) from None
    return distributed


class DaskBackend:
    """A Dask distributed cluster: an existing scheduler (``tcp://host:port``) or ``local``.

    ``local`` starts a ``distributed.LocalCluster`` of ``workers`` single-threaded worker
    processes for the length of the run. Workers of a remote cluster need dcsim installed.
    A lost worker's batches are recomputed by Dask; their numbers do not change.
    """

    name = "dask"

    def __init__(self, scheduler: str = "local", workers: int | None = None, processes: bool = True) -> None:
        self.scheduler = scheduler
        self.workers = default_workers() if workers is None else max(1, workers)
        self.processes = processes
        self._cluster = None
        self._client = None

    def __enter__(self) -> DaskBackend:
        distributed = _import_distributed()
        try:
            if self.scheduler == "local":
                self._cluster = distributed.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address=None,
                )
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(self.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            self.__exit__(None, None, None)
            raise BackendError(f"--scheduler {self.scheduler}: cannot connect: {error}") from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        return self

    def __exit__(self, *exc: object) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def map(self, function: Callable, shared: tuple, items: Iterable) -> Iterator[tuple[Any, Any]]:
        distributed = _import_distributed()
        client = self._client
        # ``shared`` (a few kB) travels inside each task rather than scattered to workers,
        # so the scheduler can rerun any task even after every worker holding data is lost.
        pending: dict[Any, tuple[Any, Any]] = {}
        queue = iter(items)
        limit = self.workers * IN_FLIGHT_PER_WORKER

        def submit() -> Any | None:
            item = next(queue, _END)
            if item is _END:
                return None
            future = client.submit(function, *shared, item, pure=False)
            pending[future.key] = (future, item)
            return future

        running = distributed.as_completed([f for f in (submit() for _ in range(limit)) if f is not None])
        try:
            for future in running:
                item = pending.pop(future.key)[1]
                try:
                    result = future.result()
                except (distributed.KilledWorker, CancelledError, OSError) as error:
                    raise WorkerLost(
                        f"the Dask cluster lost this work ({type(error).__name__}: {error})"
                    ) from None
                yield item, result
                following = submit()
                if following is not None:
                    running.add(following)
        finally:
            if pending and client.status == "running":
                client.cancel([future for future, _ in pending.values()])


_END = object()


def make_backend(
    name: str | None = None, workers: int | None = None, scheduler: str | None = None
) -> SerialBackend | ProcessBackend | DaskBackend:
    """The backend called ``name``; ``--scheduler`` alone implies Dask.

    Without a name, one worker means serial (no pool to start) and more mean processes.
    """
    if name is None:
        name = "dask" if scheduler else ("serial" if workers == 1 else "processes")
    if name not in BACKENDS:
        raise BackendError(f"--backend {name}: unknown backend; choose one of {', '.join(BACKENDS)}")
    if scheduler and name != "dask":
        raise BackendError(f"--scheduler {scheduler}: only used with --backend dask")
    if name == "serial":
        return SerialBackend()
    if name == "processes":
        return ProcessBackend(workers)
    return DaskBackend(scheduler or "local", workers)


Backend = SerialBackend | ProcessBackend | DaskBackend
_current: ContextVar[Backend | None] = ContextVar("dcsim_shared_backend", default=None)


@contextmanager
def shared_backend(
    name: str | None = None, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Backend]:
    """One backend (one process pool) for every run started inside, in this thread.

    ``sim.runs.runner.run_replications`` uses it when asked for the same kind of backend; the
    pool starts at the first run that needs one and ends, with all its workers, on leaving
    (at once on an error or Ctrl-C). Nested, the outer backend is kept.
    """
    active = _current.get()
    if active is not None:
        yield active
        return
    runner = make_backend(name, workers, scheduler)
    with runner:
        token = _current.set(runner)
        try:
            yield runner
        finally:
            _current.reset(token)


def current_backend(name: str | None, workers: int | None, scheduler: str | None) -> Backend | None:
    """The backend of the enclosing ``shared_backend()``, if it is what these options ask for."""
    active = _current.get()
    if active is None or active.name == "serial":
        return None
    if name not in (None, active.name) or (scheduler is not None and active.name != "dask"):
        return None
    if workers is not None and max(1, workers) != active.workers:
        return None
    return active
