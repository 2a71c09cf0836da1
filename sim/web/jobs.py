"""Runs off the page's script thread, with progress, and a cache of finished answers.

A ``Job`` runs one question (a comparison, a solve, a fit) in a background thread; its
replications go to the process pool as the CLI's do. The page polls ``done``/``total`` for
its progress bar and stays responsive meanwhile. Jobs are kept by a key made from the
validated configs, the seed, the replications and the question's options, so asking the
same thing again is answered from the cache at once (the numbers are fixed by those inputs).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError

KEEP = 12  # finished answers kept per server process


@dataclass
class Job:
    """One question being answered in the background."""

    key: str
    total: int
    done: int = 0
    messages: list[str] = field(default_factory=list)
    batches: list[tuple[str, Any]] = field(default_factory=list)  # (scenario, monthly records) while running
    result: Any = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def seconds_left(self) -> float | None:
        """The time the rest should take at the pace so far; None before any progress.

        The pace includes starting the workers, so early on this is an overestimate.
        """
        if not self.running:
            return 0.0
        if not self.done:
            return None
        return (self.total - self.done) * (time.monotonic() - self.started) / self.done

    def advance(self, count: int) -> None:
        self.done += count

    def keep_batch(self, scenario: str, monthly: Any) -> None:
        """A finished batch of replications, for a provisional picture while the job runs."""
        self.batches.append((scenario, monthly))

    def say(self, message: str) -> None:
        self.messages.append(str(message))

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)


def request_key(
    kind: str, configs: list[tuple[str, ServiceConfig]], seed: int, reps: int, **options: Any
) -> str:
    """A digest of the validated configs (as the engine sees them), seed, reps and options."""
    content = {
        "kind": kind,
        "configs": [[name, config.model_dump(mode="json")] for name, config in configs],
        "seed": seed,
        "reps": reps,
        "options": options,
    }
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class JobStore:
    """Running and finished jobs by key; the oldest finished answers are forgotten first."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self._jobs.move_to_end(key)
            return job

    def start(self, key: str, total: int, work: Callable[[Job], Any]) -> Job:
        """The job for ``key``: the cached or running one, else a new one started in a thread.

        A job that failed is not cached: asking again tries again.
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.error is None:
                self._jobs.move_to_end(key)
                return job
            job = Job(key, total)
            self._jobs[key] = job
            self._forget_old()
        threading.Thread(target=_run, args=(job, work), daemon=True, name=f"dcsim-{key[:8]}").start()
        return job

    def put(self, key: str, result: Any) -> Job:
        """A finished answer kept elsewhere (the workspace store), served as if just worked out."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = Job(key, 1, done=1, result=result)
                job.finished.set()
                self._jobs[key] = job
                self._forget_old()
            return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.running]
        for key in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[key]


def _run(job: Job, work: Callable[[Job], Any]) -> None:
    try:
        job.result = work(job)
    except ConfigError as error:  # bad input: the CLI's message, no traceback
        job.error = str(error)
    except Exception as error:  # noqa: BLE001 - shown on the page; the server keeps going
        job.error = f"the run failed: {type(error).__name__}: {error}"
    finally:
        job.batches = []  # the answer holds every row now: no second copy in the cache
        job.finished.set()


STORE = JobStore()  # one per server process: shared by every browser session
