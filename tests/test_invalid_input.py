"""Bad scenario files are reported as `file: field: message`, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from services import service_document


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=120)


def write(tmp_path: Path, document: dict, name: str = "service.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def broken(change) -> dict:
    document = service_document()
    change(document)
    return document


CASES = {
    "unknown key": (
        lambda d: d["demand"].update(montly_rate=5),
        "demand.montly_rate: unknown key",
    ),
    "negative wte": (
        lambda d: d["workforce"][0].update(wte=-2),
        "workforce.0.wte: Input should be greater than or equal to 0",
    ),
    "probabilities not summing to 1": (
        lambda d: d["triage"]["outcomes"].update(reject=0.5),
        "triage.outcomes: triage outcomes must sum to 1",
    ),
    "bad date": (
        lambda d: d["service"].update(start_date="2024-13-01"),
        "service.start_date: Input should be a valid date",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_invalid_yaml_exits_2_naming_file_and_field(tmp_path, case):
    change, expected = CASES[case]
    path = write(tmp_path, broken(change))
    for command in (["validate", str(path)], ["run", str(path), "--reps", "1", "--out", str(tmp_path / "o")]):
        result = run_cli(*command)
        assert result.returncode == 2, result.stderr
        assert f"{path}: {expected}" in " ".join(result.stderr.split())
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_scenario_error_names_the_scenario_file(tmp_path):
    write(tmp_path, service_document(), "baseline.yaml")
    scenario = write(tmp_path, {"extends": "baseline.yaml", "triage": {"minutes_per_referal": 3}}, "s.yaml")
    result = run_cli("validate", str(scenario))
    assert result.returncode == 2
    assert f"{scenario}: triage.minutes_per_referal: unknown key" in " ".join(result.stderr.split())


def test_yaml_syntax_error_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("service: [unclosed\n")
    result = run_cli("validate", str(path))
    assert result.returncode == 2 and str(path) in result.stderr and "Traceback" not in result.stderr
    result = run_cli("validate", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2 and "missing.yaml" in result.stderr and "Traceback" not in result.stderr


def test_bad_set_event_names_the_event(tmp_path):
    document = service_document()
    document["events"] = [{"date": "2024-06-01", "set": {"triage.minutes_per_refferal": 30}}]
    result = run_cli("validate", str(write(tmp_path, document)))
    assert result.returncode == 2
    assert "events.0.set.triage.minutes_per_refferal" in " ".join(result.stderr.split())


def test_a_recruitment_lag_on_removed_posts_is_refused(tmp_path):
    document = service_document()
    document["events"] = [
        {"date": "2024-06-03", "remove_staff": {"role": "band6", "wte": 1, "recruitment_lag_weeks": 8}}
    ]
    result = run_cli("validate", str(write(tmp_path, document)))
    assert result.returncode == 2
    assert "events.0: remove_staff leaves posts vacant" in " ".join(result.stderr.split())
