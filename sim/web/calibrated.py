"""A fit's take-away files and its conditioned forecast, for the Calibrate page.

The files are the ones ``dcsim calibrate`` writes (``calibration.report.scenario_text`` and the
parameter draws table), put in a folder the app owns and names by their content, so that a
cached run naming them stays right: ``baseline.yaml`` (the service as fitted),
``calibrated.yaml`` (extends it with the fitted values and refers to ``parameter_draws.csv``)
and the draws. The conditioned forecast is ``sim.api.run`` of ``calibrated.yaml`` with the
reported months as observed ones: the CLI's ``dcsim run calibrated.yaml --observed FILE``.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from calibration.report import DRAWS_FILE, scenario_text
from calibration.results import FitResult
from sim.api import run
from sim.engine.config import ServiceConfig
from sim.engine.scenario import load_config
from sim.runs.conditioning import Settings
from sim.runs.files import write_table, write_text
from sim.runs.planned_run import Observed
from sim.web.jobs import STORE, Job, request_key

APP_FILES = Path(tempfile.gettempdir()) / "dcsim-app" / "fits"
KEEP_FITS = 24  # fit folders kept in APP_FILES: twice the answers the job store caches
BASELINE_FILE = "baseline.yaml"
CALIBRATED_FILE = "calibrated.yaml"
OBSERVED_SOURCE = "reported monthly figures"


@dataclass(frozen=True)
class CalibratedFiles:
    """The folder holding a fit's baseline, calibrated scenario and parameter draws."""

    folder: Path

    @property
    def scenario(self) -> Path:
        return self.folder / CALIBRATED_FILE

    @property
    def draws(self) -> Path:
        return self.folder / DRAWS_FILE

    @property
    def baseline(self) -> Path:
        return self.folder / BASELINE_FILE

    def config(self) -> ServiceConfig:
        """The calibrated scenario as the CLI reads it: extends followed, draws file checked at run time."""
        return load_config(self.scenario)

    def draws_table(self) -> pd.DataFrame:
        """The draws as written (six significant figures): the values runs of the scenario use."""
        return pd.read_csv(self.draws)

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


@dataclass(frozen=True)
class Calibration:
    """What the Calibrate page's fit job gives: the fit and its files."""

    fit: FitResult
    files: CalibratedFiles


def write_calibrated(result: FitResult, document: dict[str, Any], root: Path = APP_FILES) -> CalibratedFiles:
    """Write the fitted ``document``'s baseline, the calibrated scenario and its draws; return where."""
    baseline = copy.deepcopy(document)
    baseline.pop("parameter_draws", None)  # the calibrated scenario names its own draws
    baseline_text = yaml.safe_dump(baseline, sort_keys=False, allow_unicode=True)
    draws = result.parameter_draws()
    # Fitted events cannot be overridden by a scenario: then the scenario is the whole document.
    scenario = scenario_text(result, None if result.fits_events else BASELINE_FILE, DRAWS_FILE)
    digest = hashlib.sha256((baseline_text + draws.to_csv() + scenario).encode()).hexdigest()[:20]
    folder = Path(root) / digest
    write_text(baseline_text, folder / BASELINE_FILE)
    write_table(draws, folder / DRAWS_FILE)
    write_text(scenario, folder / CALIBRATED_FILE)
    prune(Path(root), keep=folder)
    return CalibratedFiles(folder)


def prune(root: Path, keep: Path, count: int = KEEP_FITS) -> None:
    """Remove all but the ``count`` most recently written fit folders (always keeping ``keep``).

    The app writes one folder per distinct fit; a long session would otherwise fill the
    temporary folder. A folder another app process is reading may go: a later run of it
    fails with the file named, and fitting again writes it back.
    """
    folders = [p for p in root.iterdir() if p.is_dir() and p != keep]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[max(count - 1, 0) :]:
        shutil.rmtree(old, ignore_errors=True)


def start_conditioned(
    files: CalibratedFiles, history: pd.DataFrame, reps: int, seed: int, workers: int | None = None
) -> Job:
    """The calibrated scenario run on from the reported months (parameter draws and conditioning)."""
    config = files.config()
    key = request_key("conditioned", [("calibrated", config)], seed, reps, history=history.to_json())
    observed = Observed(history, OBSERVED_SOURCE)
    return STORE.start(
        key,
        Settings().candidate_count(reps),
        lambda job: run(config, reps, seed, workers, "calibrated", job.advance, observed=observed),
    )
