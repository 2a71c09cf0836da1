"""calibrate's and backtest's files are published together, like run's: staged in a hidden
folder inside --out and moved into place only when all are written.

The fitted scenario's ``extends:`` and ``parameter_draws:`` paths must be relative to where
the file ends up (not to the staging folder): it is loaded from there and run.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import yaml
from services import service_document
from typer.testing import CliRunner

from sim.api import run
from sim.cli import app
from sim.engine.scenario import load_config

NCS = "job_plans.band6.non_clinical_share"
TINY = ["--reps", "2", "--draws", "20", "--forecast-reps", "10", "--workers", "1", "--seed", "3"]


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A small service in its own folder and four months of breaches to fit it to."""
    monkeypatch.setenv("DCSIM_EXTENDS_ROOT", str(tmp_path))  # the fitted file reaches up to the service
    folder = tmp_path / "services"
    folder.mkdir()
    config = folder / "service.yaml"
    config.write_text(yaml.safe_dump(service_document(), sort_keys=False))
    history = tmp_path / "history.csv"
    history.write_text("month,breaches\n2024-04,40\n2024-05,45\n2024-06,52\n2024-07,60\n")
    return config, history


def calibrate(config: Path, history: Path, out: Path, *extra: str):
    args = ["calibrate", str(config), "--data", str(history), "--fit", NCS, "--out", str(out), *TINY, *extra]
    return CliRunner().invoke(app, args)


def published_names(out: Path) -> set[str]:
    return set(json.loads((out / ".outputs.json").read_text())["files"])


@pytest.mark.slow
def test_the_calibrated_yaml_loads_and_runs_from_its_final_place(inputs, tmp_path):
    config, history = inputs
    out = tmp_path / "results" / "fit"
    result = calibrate(config, history, out)
    assert result.exit_code == 0, result.output + result.stderr
    document = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert document["extends"] == "../../services/service.yaml"  # from results/fit/, not its staging folder
    assert document["parameter_draws"] == {"file": "parameter_draws.csv", "use": True}
    expected = {"calibrated.yaml", "parameter_draws.csv", "fit_report.html", "manifest.json"}
    assert expected <= published_names(out)
    assert not list(out.glob(".staging.*")) and not list(out.glob(".*.tmp"))
    fitted = load_config(out / "calibrated.yaml")
    assert fitted.service.name == "test"  # the service it extends, found from the final place
    ran = run(out / "calibrated.yaml", reps=2, seed=1, workers=1)
    assert ran.manifest["parameter_draws"]["draws"] > 0  # the draws file was found beside it
    assert ran.monthly["month"].nunique() == 12


@pytest.mark.slow
def test_a_fitted_yaml_outside_out_is_relative_to_where_it_is_written(inputs, tmp_path):
    config, history = inputs
    out, elsewhere = tmp_path / "fit", tmp_path / "scenarios" / "deep" / "fitted.yaml"
    result = calibrate(config, history, out, "--yaml", str(elsewhere))
    assert result.exit_code == 0, result.output + result.stderr
    document = yaml.safe_load(elsewhere.read_text())
    assert document["extends"] == "../../services/service.yaml"
    assert document["parameter_draws"]["file"] == "fitted_parameter_draws.csv"
    assert (elsewhere.parent / "fitted_parameter_draws.csv").is_file()
    assert "calibrated.yaml" not in published_names(out) and "fit_report.html" in published_names(out)
    ran = run(elsewhere, reps=2, seed=1, workers=1)
    assert ran.manifest["parameter_draws"]["draws"] > 0


@pytest.mark.slow
def test_a_calibrate_failing_after_the_fit_leaves_out_as_it_was(inputs, tmp_path, monkeypatch):
    """The disk fills while the report is written: exit 1, one line, and --out holds only what it held."""
    config, history = inputs
    out = tmp_path / "fit"
    out.mkdir()
    (out / "notes.txt").write_text("the analyst's own notes\n")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "posterior.png"))

    monkeypatch.setattr("calibration.report.posterior_chart", full_disk)
    result = calibrate(config, history, out)
    assert result.exit_code == 1, result.output + result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # no staging, lock or partial file
    assert (out / "notes.txt").read_text() == "the analyst's own notes\n"


@pytest.mark.slow
def test_a_backtest_failing_while_writing_leaves_out_as_it_was(inputs, tmp_path, monkeypatch):
    config, history = inputs
    out = tmp_path / "backtest"
    out.mkdir()
    (out / "notes.txt").write_text("kept\n")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("calibration.backtest_report.page", full_disk)  # after the tables and charts
    args = ["backtest", str(config), "--data", str(history), "--fit", NCS, "--train-months", "3"]
    result = CliRunner().invoke(app, [*args, "--origins", "1", "--out", str(out), *TINY])
    assert result.exit_code == 1, result.output + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
