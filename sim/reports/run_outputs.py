"""Files of one scenario run: monthly and summary tables, the manifest, the fan charts and inputs.

A run's folder is a forecast vintage that ``dcsim track`` scores months later, so it keeps
what the run was made from in ``inputs/``: the scenario with its ``extends:`` chain merged
into one file, the parameter draws it used and the months it was conditioned on. The
manifest's ``remake`` line runs them again to the same numbers.
"""

from __future__ import annotations

import copy
import functools
import shlex
import shutil
from pathlib import Path

import pandas as pd
import yaml

from sim.engine.scenario import file_hash
from sim.reports import plots
from sim.reports.error_bands import error_bands
from sim.runs.files import atomic_path, write_figure, write_manifest, write_table, write_text
from sim.runs.result import RunResult

INPUTS = "inputs"


def write_run(result: RunResult, out: str | Path, actuals: pd.DataFrame | None = None) -> list[Path]:
    """Write monthly.csv, summary.csv, manifest.json, the charts and the inputs into ``out``."""
    out = Path(out)
    inputs = write_inputs(result, out)
    written = [
        write_table(result.monthly, out / "monthly.csv"),
        write_table(result.summary, out / "summary.csv"),
        write_manifest(result.manifest, out / "manifest.json"),
    ]
    written += write_charts(result.summary, out, actuals, result.manifest)
    return written + ([out / INPUTS] if inputs else [])


def write_inputs(result: RunResult, out: Path) -> dict[str, str]:
    """Copies of what the run was made from, in ``out/inputs``; recorded in the manifest."""
    given = result.inputs
    if given is None or given.document is None:
        return {}  # a run of a config built in Python: there is no file to keep
    manifest = result.manifest
    name = next(iter(manifest.get("scenarios") or {"scenario": None}))
    document = copy.deepcopy(given.document)
    saved: dict[str, str] = {}
    draws = manifest.get("parameter_draws") or {}
    if draws.get("used"):
        source = Path(draws["file"])
        if file_hash(source) == draws.get("sha256"):  # the very draws the run used, or none
            target = f"{INPUTS}/{source.name}"
            with atomic_path(out / target) as temporary:
                shutil.copyfile(source, temporary)
            document["parameter_draws"]["file"] = source.name  # beside the copied scenario
            saved["parameter_draws"] = target
    elif "parameter_draws" in document:
        del document["parameter_draws"]  # unused: the numbers do not depend on it
    saved["scenario"] = f"{INPUTS}/{name}.yaml"
    header = f"# The scenario {name} as run (its extends: chain merged), kept by dcsim run.\n"
    write_text(header + yaml.safe_dump(document, sort_keys=False), out / saved["scenario"])
    if given.observed is not None:
        saved["observed"] = f"{INPUTS}/observed.csv"
        write_table(given.observed, out / saved["observed"])
    errors = manifest.get("model_error") or {}
    table = Path(str(errors.get("table", "")))
    if errors.get("included") and not errors.get("shipped", True) and table.is_file():
        saved["model_error"] = f"{INPUTS}/model_error.csv"  # another table: kept, so the band can be remade
        with atomic_path(out / saved["model_error"]) as temporary:
            shutil.copyfile(table, temporary)
    manifest["inputs"] = saved
    manifest["remake"] = remake_command(saved, manifest)
    manifest["remake_in"] = "the folder holding this manifest"
    return saved


def remake_command(saved: dict[str, str], manifest: dict) -> str:
    """The ``dcsim run`` line, run in the output folder, that gives the same numbers again."""
    words = ["dcsim", "run", saved["scenario"], "--reps", str(manifest["replications"]),
             "--seed", str(manifest["seed"])]
    conditioning = manifest.get("conditioning")
    if "observed" in saved and conditioning:
        given = conditioning.get("dispersion_chosen_by") == "given"
        k = conditioning.get("dispersion_k")
        dispersion = ("inf" if k is None else f"{k!r}") if given else "auto"
        words += ["--observed", saved["observed"], "--dispersion", dispersion,
                  "--candidates", str(conditioning["candidates"])]
    errors = manifest.get("model_error") or {}
    if "model_error" in saved:
        words += ["--model-error", saved["model_error"]]
    elif errors.get("included") is False:
        words.append("--no-model-error")
    return " ".join(shlex.quote(w) for w in [*words, "--out", "NEW_FOLDER"])


def write_charts(
    summary: pd.DataFrame, out: Path, actuals: pd.DataFrame | None = None, manifest: dict | None = None
) -> list[Path]:
    """Breach and waiting-list fan charts (actuals overlaid; the band including the model's
    real-world error outlined around the simulation's own, as compare's, when the run has it)
    and capacity against demand."""
    observed = actuals.set_index("month") if actuals is not None else None
    paths = []
    for metric, name in (("breaches", "breaches_fan.png"), ("waiting", "waiting_fan.png")):
        series = observed[metric] if observed is not None and metric in observed else None
        wide = error_bands(summary, manifest, metric)  # None: the simulation's band alone
        draw = functools.partial(plots.fan_chart, summary, metric, actuals=series, errors=wide)
        paths.append(write_figure(draw, out / name))  # draw(path): the chart saved there
    for scenario in dict.fromkeys(summary["scenario"]):
        name = (
            "capacity_demand.png" if summary["scenario"].nunique() == 1 else f"capacity_demand_{scenario}.png"
        )
        paths.append(
            write_figure(lambda p, s=scenario: plots.capacity_demand_chart(summary, p, s), out / name)
        )
    return paths
