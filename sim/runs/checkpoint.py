"""Saving finished batches of replications so that an interrupted run can resume.

A run given a checkpoint folder (``dcsim run`` uses ``OUT/.batches``) writes each finished
batch to ``batch_<first>-<last>.csv`` atomically and at full precision, beside ``run.json``,
the run's key: seed, replications, batch size, a hash of the validated service config,
whether patient traces are written, the dcsim version and a hash of the engine's code.
Resuming loads the batches saved under the same key and runs only the rest, so the final
tables equal those of an uninterrupted run. A different key is refused: mixing two runs'
batches would give numbers that no single run produces.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError
from sim.runs.files import atomic_path, package_version, write_text
from sim.runs.staging import remove_temporaries

FOLDER = ".batches"
KEY_FILE = "run.json"
TRACE_FOLDER = "trace"
KEY_NAMES = {
    "seed": "seed",
    "first_replication": "first replication",
    "replications": "replications",
    "batch_size": "batch size",
    "config_sha256": "service configuration",
    "trace": "--trace",
    "version": "dcsim version",
    "engine_sha256": "engine code",
}


class ResumeError(ConfigError):
    """The saved batches belong to a run with other inputs."""


def config_hash(config: ServiceConfig) -> str:
    """SHA-256 of the validated config: changes whenever any input the model reads changes."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()


def engine_hash() -> str:
    """SHA-256 of the model's and the runner's source, so batches from other code are never mixed in."""
    digest = hashlib.sha256()
    package = Path(__file__).parents[1]
    for path in sorted([*(package / "engine").glob("*.py"), *(package / "runs").glob("*.py")]):
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def run_key(
    config: ServiceConfig, seed: int, reps: int, first_replication: int, batch_size: int, trace: bool
) -> dict:
    """What must match for saved batches to belong to this run."""
    return {
        "seed": seed,
        "first_replication": first_replication,
        "replications": reps,
        "batch_size": batch_size,
        "config_sha256": config_hash(config),
        "trace": trace,
        "version": package_version(),
        "engine_sha256": engine_hash(),
    }


def batch_name(prefix: str, batch: list[int], suffix: str = ".csv") -> str:
    return f"{prefix}_{batch[0]:06d}-{batch[-1]:06d}{suffix}"


def write_exact_csv(frame: pd.DataFrame, path: Path) -> Path:
    """CSV written atomically with floats in round-trip form (``read_exact_csv`` gets them back)."""
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)
    return path


def read_exact_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def _differences(saved: dict, key: dict) -> str:
    changed = [name for name in key if saved.get(name) != key[name]]
    parts = []
    for name in changed:
        label = KEY_NAMES.get(name, name)
        if name.endswith("_sha256"):
            parts.append(f"{label} changed")
        else:
            parts.append(f"{label} {saved.get(name)} now {key[name]}")
    return "; ".join(parts)


class Checkpoint:
    """The finished batches of one run in one folder.

    Creating it only reads (a resume with other inputs is refused here); nothing is written
    until ``start``, which the runner calls once the backend is up, so that a refused run
    leaves the folder as it was.
    """

    def __init__(self, folder: str | Path, key: dict, resume: bool = False) -> None:
        self.folder = Path(folder)
        self.key = key
        self.resumed = 0
        key_path = self.folder / KEY_FILE
        self.resuming = resume and key_path.exists()
        if self.resuming:
            saved = json.loads(key_path.read_text())
            if saved != key:
                raise ResumeError(
                    f"{self.folder}: cannot resume: the saved batches are from another run "
                    f"({_differences(saved, key)}); run with --fresh instead of --resume to "
                    "discard them and start afresh"
                )

    def start(self) -> None:
        """Before the first batch is saved: forget an earlier run's batches unless resuming it."""
        if self.resuming:
            remove_temporaries(self.folder)
            return
        self.clear()
        write_text(json.dumps(self.key, indent=2) + "\n", self.folder / KEY_FILE)

    def path(self, batch: list[int]) -> Path:
        return self.folder / batch_name("batch", batch)

    def load(self, batch: list[int]) -> pd.DataFrame | None:
        """The saved monthly records of a batch, or None if it has not finished (or not resuming)."""
        path = self.path(batch)
        if not self.resuming or not path.exists():
            return None
        self.resumed += len(batch)
        return read_exact_csv(path)

    def save(self, batch: list[int], monthly: pd.DataFrame) -> Path:
        return write_exact_csv(monthly, self.path(batch))

    def clear(self) -> None:
        """Forget the saved batches of an earlier run (only this module's own files)."""
        discard(self.folder)


def describe_saved(folder: str | Path) -> str | None:
    """What an unfinished run left in ``folder`` ("seed 7, 12 of 48 replications"), or None."""
    folder = Path(folder)
    try:
        key = json.loads((folder / KEY_FILE).read_text())
    except (OSError, ValueError):
        return None
    done = 0
    for path in folder.glob("batch_*.csv"):
        first, _, last = path.stem.removeprefix("batch_").partition("-")
        if first.isdigit() and last.isdigit():
            done += int(last) - int(first) + 1
    return f"seed {key.get('seed')}, {done} of {key.get('replications')} replications saved"


def discard(folder: str | Path) -> None:
    """Delete saved batches, the run key and temporaries, and the folder if nothing else is in it."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in [*folder.glob("batch_*.csv"), folder / KEY_FILE]:
        path.unlink(missing_ok=True)
    remove_temporaries(folder)
    traces = folder / TRACE_FOLDER  # where the command line keeps an unfinished run's traces
    if traces.is_dir():
        for path in traces.glob("trace_*.csv"):
            path.unlink(missing_ok=True)
        remove_temporaries(traces)
        if not any(traces.iterdir()):
            traces.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()
