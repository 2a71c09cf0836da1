"""benchmarks/run.py --json and --against: the document's structure, never its times.

Times on a shared machine say nothing a test can hold; what must hold is that every printed
figure is in the JSON, and that the side run for another checkout imports that checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from services import ROOT

RUN = ROOT / "benchmarks" / "run.py"
SMALLEST = ["--quick", "--case", "baseline"]  # 2 replications of the example baseline
THROUGHPUT_KEYS = {
    "case", "service", "referrals_per_year", "seconds_per_replication", "setup_seconds_per_replication",
    "run_phase_seconds_per_replication", "contacts_per_replication", "contacts_per_second", "peak_mb",
    "loop_seconds_per_replication", "engine_over_loop", "identical_to_loop", "ciw_seconds_per_replication",
    "ciw_contacts_per_replication", "ciw_over_engine",
}  # fmt: skip


def run_bench(*arguments: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN), *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def bench_json(tmp_path: Path, *arguments: str | Path) -> tuple[dict, str]:
    path = tmp_path / "bench.json"
    done = run_bench(*SMALLEST, "--json", path, *arguments)
    assert done.returncode == 0, done.stderr
    return json.loads(path.read_text()), done.stdout


def under(file: str | None, folder: Path) -> bool:
    return file is not None and Path(file).resolve().is_relative_to(folder.resolve())


def assert_header(document: dict) -> None:
    assert document["schema_version"] == 1
    assert datetime.fromisoformat(document["date"]).tzinfo is not None
    assert document["python"]["version"].count(".") == 2
    machine = document["machine"]
    assert isinstance(machine["cpu_count"], int)
    assert len(machine["load_average_start"]) == 3 and len(machine["load_average_end"]) == 3
    this = document["checkouts"]["this"]
    assert len(this["commit"]) == 40 and isinstance(this["dirty"], bool)
    assert under(this["sim_file"], ROOT)


def test_json_holds_every_figure_the_smallest_case_prints(tmp_path):
    document, printed = bench_json(tmp_path)
    assert_header(document)
    assert document["quick"] is True and document["side_by_side"] is None
    (row,) = document["figures"]["throughput"]
    assert set(row) == THROUGHPUT_KEYS and row["case"] == "baseline"
    assert row["identical_to_loop"] is True
    # The JSON holds the figures the tables print, not another measurement of them.
    for key, form in [
        ("seconds_per_replication", ".3f"),
        ("engine_over_loop", ".2f"),
        ("contacts_per_second", ",.0f"),
    ]:
        assert format(row[key], form) in printed
    assert document["figures"]["scaling"] == [] and document["figures"]["growth"] is None


def assert_side_by_side(document: dict, against: Path) -> dict:
    assert_header(document)
    assert document["repeat"] == 1
    checkouts = document["checkouts"]
    assert under(checkouts["against"]["sim_file"], against)
    assert under(checkouts["against"]["modules"]["reference_loop"], against)
    (case,) = document["side_by_side"]
    assert case["case"] == "baseline" and case["identical_to_loop"] == {"this": True, "against": True}
    measures = {m["measure"]: m for m in case["measures"]}
    ratio = measures["seconds_per_replication"]["ratio"]
    assert set(ratio) == {"median", "min", "max", "values"} and len(ratio["values"]) == 1
    for side, folder in (("this", ROOT), ("against", against)):
        (run,) = case["runs"][side]
        assert under(run["modules"]["sim"], folder)
    return checkouts


def test_against_the_same_checkout_reports_both_sides_and_their_ratio(tmp_path):
    document, printed = bench_json(tmp_path, "--against", ROOT, "--repeat", "1")
    checkouts = assert_side_by_side(document, ROOT)
    assert checkouts["this"]["sim_file"] == checkouts["against"]["sim_file"]
    assert "this / against" in printed and str(ROOT / "sim" / "__init__.py") in printed


def copy_of_checkout(folder: Path) -> Path:
    """The files a benchmark job imports or reads, outside any git repository or install."""
    for part in ("sim", "benchmarks", "scenarios", "calibration"):
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


def test_against_another_folder_imports_that_folders_sim_not_the_installed_one(tmp_path):
    other = copy_of_checkout(tmp_path / "other")
    document, _ = bench_json(tmp_path, "--against", other, "--repeat", "1")
    checkouts = assert_side_by_side(document, other)
    assert checkouts["against"]["commit"] is None  # not a git checkout: said, not guessed
    assert not under(checkouts["this"]["sim_file"], other)


def test_against_refuses_a_folder_that_is_not_a_dcsim_checkout(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    done = run_bench(*SMALLEST, "--against", tmp_path)
    assert done.returncode == 2
    assert "not a dcsim checkout" in done.stderr
