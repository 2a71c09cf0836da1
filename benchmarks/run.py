"""dcsim benchmarks: one command, one printed table (markdown, ready for the README).

    .venv/bin/python benchmarks/run.py            # full run, a few minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # smoke run, well under a minute
    .venv/bin/python benchmarks/run.py --quick --json bench.json        # the figures as JSON too
    .venv/bin/python benchmarks/run.py --quick --against /tmp/old       # side by side with a checkout

1. Engine throughput on the example baseline (36 months) and the large service
   (benchmarks/large_service.yaml: ~20,000 referrals a year, 150 WTE, 60 months): seconds
   per replication, contacts simulated per second, peak memory of a fresh process.
2. The same logic as a plain heapq loop (reference_loop.py, checked to give identical
   monthly figures) and the nearest M/M/c network in ciw (ciw_reference.py), same run.
3. Parallel scaling: serial, a process pool of 1 and 2 workers, Dask LocalCluster.
4. Time per replication against horizon and against referral volume, with the fitted
   log-log exponent (1 = linear).

Single-process times are CPU seconds of the process (``time.process_time``), which other
load on the machine disturbs far less than wall time; parallel runs are timed by the wall
clock. Each timed part runs in a fresh subprocess, so peak memory is its own.

``--against PATH`` times the same cases (baseline, large service, 2 workers, growth; ``--case``
to choose) for another checkout of dcsim too, such as ``git worktree add /tmp/old <commit>``:
``--repeat`` rounds, each case run once per checkout in turn, each run a fresh process that
imports that checkout's ``sim`` and ``benchmarks/reference_loop.py`` (checked). It prints both
sides and this / against per round, median and range: on a busy machine absolute times drift
by up to 2x between sessions, but two runs next to each other see the same load.

``--json PATH`` writes every printed figure, with the commits, Python, cores, load and date
(its ``schema_version`` key says which layout: 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
BASELINE = ROOT / "scenarios" / "example" / "baseline.yaml"
LARGE = HERE / "large_service.yaml"
SEED = 2024
# Bump when a key of the --json document changes meaning or goes away (adding keys is fine).
SCHEMA_VERSION = 1


# ----- services ---------------------------------------------------------------------------------
def service(path: Path, horizon: int | None = None, scale: float = 1.0):
    """A service from YAML, optionally with another horizon and volume x staff x snapshot scaled."""
    from sim.engine.scenario import resolve, validate

    document, _ = resolve(path)
    if horizon:
        document["service"]["horizon_months"] = horizon
    if scale != 1.0:
        document["demand"]["monthly_rate"] *= scale
        for group in document["workforce"]:
            group["wte"] = round(group["wte"] * scale, 2)
        snapshot = document["initial_state"]
        for band in snapshot["waiting_list"]:
            band["count"] = round(band["count"] * scale)
        for key in ("awaiting_triage", "followup_caseload"):
            snapshot[key] = round(snapshot[key] * scale)
    return validate(document, str(path))


def contacts(monthly: pd.DataFrame) -> int:
    """Booked contacts: attended first contacts and follow-ups, and DNAs."""
    return int(monthly[["first_contacts", "followup_contacts", "dnas"]].to_numpy().sum())


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (pool or cluster workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(children, 1)


# ----- jobs run in a fresh subprocess (``--job``) -----------------------------------------------------
def warm_up(config) -> None:
    """One untimed month: imports, bank-holiday tables and other one-off caches are filled."""
    from sim.engine.model import ServiceModel

    short = config.model_copy(update={"service": config.service.model_copy(update={"horizon_months": 1})})
    ServiceModel(short, SEED, 0).run()


def job_throughput(path: str, reps: int, horizon: int | None = None, ciw: bool = True) -> dict:
    """Engine vs plain loop vs ciw, one replication at a time in this process."""
    import ciw_reference
    import reference_loop

    from sim.engine.model import ServiceModel

    config = service(Path(path), horizon)
    warm_up(config)
    engine, loop, build, run_phase, frames, identical = [], [], [], [], [], True
    for replication in range(reps):
        start = time.process_time()
        model = ServiceModel(config, SEED, replication)
        built = time.process_time()
        records = model.run()
        ran = time.process_time()
        monthly = pd.DataFrame.from_records(records)
        engine.append(time.process_time() - start)
        build.append(built - start)
        run_phase.append(ran - built)
        start = time.process_time()
        reference = pd.DataFrame.from_records(reference_loop.run(config, SEED, replication))
        loop.append(time.process_time() - start)
        shared = list(reference.columns)
        identical &= monthly[shared].equals(reference[shared])
        frames.append(monthly.assign(replication=replication))
    monthly = pd.concat(frames)
    result = {
        "engine_s": statistics.median(engine),
        "build_s": statistics.median(build),
        "run_s": statistics.median(run_phase),
        "loop_s": statistics.median(loop),
        "identical": bool(identical),
        "contacts": contacts(monthly) / reps,
        "referrals_per_year": monthly["referrals"].sum() / reps / (monthly["month"].nunique() / 12),
        "peak_mb": peak_mb()[0],
    }
    if not ciw:
        return {**result, "ciw_s": float("nan"), "ciw_contacts": 0}
    network = ciw_reference.equivalent(config, monthly)
    times, served = [], []
    for replication in range(max(1, reps if result["contacts"] < 100_000 else 1)):
        start = time.process_time()
        served.append(ciw_reference.simulate(network, SEED + replication))
        times.append(time.process_time() - start)
    result.update(ciw_s=statistics.median(times), ciw_contacts=statistics.mean(served))
    return result


def job_scaling(path: str, reps: int, backend: str, workers: int, scheduler: str | None = None) -> dict:
    """Wall time of ``run_replications`` on one backend; Dask also reports cluster start-up."""
    from sim.runs.runner import run_replications

    config = service(Path(path))
    start, cpu = time.perf_counter(), cpu_seconds()
    monthly = run_replications(config, reps, SEED, workers, backend=backend, scheduler=scheduler)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    table_mb = monthly.memory_usage(deep=True).sum() / 2**20
    result = {"seconds": seconds, "cpu_seconds": cpu, "rows": len(monthly), "table_mb": table_mb}
    if backend == "dask":
        from sim.runs.backends import DaskBackend

        start = time.perf_counter()
        with DaskBackend(scheduler or "local", workers):
            pass
        result["startup_s"] = time.perf_counter() - start
    result["peak_mb"], result["worker_peak_mb"] = peak_mb()
    return result


def job_growth(path: str, horizons: list[int], scales: list[float], reps: int) -> dict:
    """CPU seconds per replication for each horizon (months) and each volume scale."""
    from sim.engine.model import ServiceModel

    def seconds(config) -> float:
        warm_up(config)
        times = []
        for replication in range(reps):
            start = time.process_time()
            ServiceModel(config, SEED, replication).run()
            times.append(time.process_time() - start)
        return statistics.median(times)

    base = service(Path(path))
    return {
        "horizon": [seconds(service(Path(path), horizon=h)) for h in horizons],
        "volume": [seconds(service(Path(path), scale=s)) for s in scales],
        "base_rate": base.demand.monthly_rate,
    }


JOBS = {"throughput": job_throughput, "scaling": job_scaling, "growth": job_growth}


def run_job(job: str, arguments: dict, checkout: Path) -> dict:
    """Run one job with ``checkout`` first on sys.path, and say which files were imported."""
    # Before anything imports sim: the checkout's own ``sim`` and benchmarks/ (reference_loop,
    # ciw_reference) win over this script's folder and over the venv's editable install.
    sys.path[:0] = [str(checkout), str(checkout / "benchmarks")]
    result = JOBS[job](**arguments)
    import sim

    modules = {"sim": sim.__file__}
    modules |= {
        name: sys.modules[name].__file__
        for name in ("reference_loop", "ciw_reference")
        if name in sys.modules
    }
    return {**result, "modules": modules}


def in_subprocess(job: str, checkout: Path = ROOT, **arguments) -> dict:
    """One job in a fresh interpreter that imports ``checkout``'s sim; refuse any other sim."""
    command = [sys.executable, str(Path(__file__).resolve()), "--job", job, "--checkout", str(checkout)]
    # Pool and cluster workers started by the job import from the checkout too.
    path = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [*command, json.dumps(arguments)],
        capture_output=True,
        text=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": path},
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark job {job} {arguments} in {checkout} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for module, file in result["modules"].items():
        if not Path(file).resolve().is_relative_to(checkout.resolve()):
            raise SystemExit(f"benchmark job {job} meant for {checkout} imported {module} from {file}")
    return result


# ----- checkouts ---------------------------------------------------------------------------------
def is_dcsim(checkout: Path) -> bool:
    """A dcsim source tree: its own ``sim`` package and a pyproject naming the project dcsim."""
    pyproject = checkout / "pyproject.toml"
    named = pyproject.is_file() and re.search(r'^name\s*=\s*"dcsim"', pyproject.read_text(), re.MULTILINE)
    return bool(named) and (checkout / "sim" / "__init__.py").is_file()


def git(checkout: Path, *arguments: str) -> str | None:
    done = subprocess.run(["git", "-C", str(checkout), *arguments], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def describe(checkout: Path) -> dict:
    """Where a checkout is and which commit it holds (dirty: uncommitted changes to tracked files)."""
    status = git(checkout, "status", "--porcelain", "--untracked-files=no")
    return {
        "path": str(checkout),
        "commit": git(checkout, "rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
        "sim_file": None,  # filled in from the jobs' own report
    }


def note_modules(checkout: dict, result: dict) -> None:
    """Record the files a job imported; every job of one checkout must import the same ones."""
    seen = checkout.setdefault("modules", {})
    for module, file in result["modules"].items():
        if seen.setdefault(module, file) != file:
            raise SystemExit(f"jobs for {checkout['path']} imported {module} from {seen[module]} and {file}")
    checkout["sim_file"] = seen["sim"]


# ----- cases ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One timed job: ``key`` selects it (``--case``), ``name`` is how the tables print it."""

    key: str
    name: str
    job: str
    arguments: dict


def all_cases(quick: bool) -> list[Case]:
    """Every job of the report, in report order; ``--quick`` shrinks replications and sizes."""
    small, many = (8, 16) if quick else (200, 1000)

    def scaling(key: str, name: str, reps: int, backend: str, workers: int) -> Case:
        scheduler = "local" if backend == "dask" else None
        arguments = dict(path=str(BASELINE), reps=reps, backend=backend, workers=workers, scheduler=scheduler)
        return Case(key, name, "scaling", arguments)

    cases = [
        Case("baseline", "Example baseline, 36 months", "throughput",
             dict(path=str(BASELINE), reps=2 if quick else 20)),
        Case("large", "Large service, " + ("12 months (quick)" if quick else "60 months"), "throughput",
             dict(path=str(LARGE), reps=1 if quick else 3, horizon=12 if quick else None, ciw=not quick)),
        scaling("serial", "serial (in-process)", small, "serial", 1),
        scaling("processes-1", "processes, 1 worker", small, "processes", 1),
        scaling("processes-2", "processes, 2 workers", small, "processes", 2),
        scaling("processes-2-many", "processes, 2 workers", many, "processes", 2),
        scaling("dask", "dask LocalCluster, 2 workers", small, "dask", 2),
        Case("growth", "Growth with horizon and volume", "growth",
             dict(path=str(BASELINE), horizons=[12, 24] if quick else [12, 24, 48, 96, 120],
                  scales=[0.5, 1] if quick else [0.5, 1, 2, 4, 8, 16], reps=1 if quick else 3)),
    ]  # fmt: skip
    return cases


CASE_KEYS = tuple(case.key for case in all_cases(quick=False))
# A smoke run leaves out the small process-pool rows: they add little that the others do not say.
DEFAULT_QUICK = tuple(key for key in CASE_KEYS if key not in ("processes-1", "processes-2"))


# Side by side: the cases that say how far the engine got; ciw is a third-party library, the
# same on both sides, so it is not timed there.
AGAINST_CASES = ("baseline", "large", "processes-2-many", "growth")


def against_cases(cases: list[Case]) -> list[Case]:
    return [
        replace(c, arguments={**c.arguments, "ciw": False}) if c.job == "throughput" else c for c in cases
    ]


# ----- figures (what the tables print, and what --json writes) -----------------------------------
def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def throughput_figures(case: Case, r: dict) -> dict:
    ciw_run = bool(r["ciw_contacts"])
    return {
        "case": case.key,
        "service": case.name,
        "referrals_per_year": r["referrals_per_year"],
        "seconds_per_replication": r["engine_s"],
        "setup_seconds_per_replication": r["build_s"],
        "run_phase_seconds_per_replication": r["run_s"],
        "contacts_per_replication": r["contacts"],
        "contacts_per_second": ratio(r["contacts"], r["engine_s"]),
        "peak_mb": r["peak_mb"],
        "loop_seconds_per_replication": r["loop_s"],
        "engine_over_loop": ratio(r["engine_s"], r["loop_s"]),
        "identical_to_loop": r["identical"],
        "ciw_seconds_per_replication": r["ciw_s"] if ciw_run else None,
        "ciw_contacts_per_replication": r["ciw_contacts"] if ciw_run else None,
        "ciw_over_engine": ratio(r["ciw_s"], r["engine_s"]) if ciw_run else None,
    }


def scaling_figures(case: Case, r: dict, first_per_rep: float) -> dict:
    reps, workers = case.arguments["reps"], case.arguments["workers"]
    return {
        "case": case.key,
        "backend": case.name,
        "replications": reps,
        "wall_seconds": r["seconds"],
        "replications_per_second": reps / r["seconds"],
        "speed_up": first_per_rep / (r["seconds"] / reps),  # against the first row (serial)
        "cpu_seconds_per_replication": r["cpu_seconds"] / reps,
        "cpu_seconds_per_worker": r["cpu_seconds"] / min(workers, os.cpu_count() or 1),
        "peak_mb_main": r["peak_mb"],
        "peak_mb_worker": r["worker_peak_mb"],
        "table_mb": r["table_mb"],
        "cluster_startup_seconds": r.get("startup_s"),
    }


def growth_figures(case: Case, r: dict) -> dict:
    horizons, scales = case.arguments["horizons"], case.arguments["scales"]
    return {
        "case": case.key,
        "horizon": [
            {"months": h, "seconds_per_replication": s} for h, s in zip(horizons, r["horizon"], strict=True)
        ],
        "volume": [
            {"scale": k, "referrals_per_month": r["base_rate"] * k, "seconds_per_replication": s}
            for k, s in zip(scales, r["volume"], strict=True)
        ],
        "exponent_horizon": exponent(horizons, r["horizon"]),
        "exponent_volume": exponent(scales, r["volume"]),
    }


def figures(cases: list[Case], results: dict[str, dict]) -> dict:
    """Every printed figure, by section, from each case's job result."""
    out: dict = {"throughput": [], "scaling": [], "growth": None}
    for case in cases:
        r = results[case.key]
        if case.job == "throughput":
            out["throughput"].append(throughput_figures(case, r))
        elif case.job == "scaling":
            first = (
                out["scaling"][0]["wall_seconds"] / out["scaling"][0]["replications"]
                if out["scaling"]
                else None
            )
            out["scaling"].append(scaling_figures(case, r, first or r["seconds"] / case.arguments["reps"]))
        else:
            out["growth"] = growth_figures(case, r)
    return out


# ----- the report -------------------------------------------------------------------------------
def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def exponent(x: list[float], seconds: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(seconds), 1)[0])


def section_throughput(rows: list[dict]) -> str:
    first = table(
        ["service", "referrals/year", "s/replication", "of which set-up", "of which run phase",
         "contacts/replication", "contacts/s", "peak MB"],
        [[f["service"], f"{f['referrals_per_year']:,.0f}", f"{f['seconds_per_replication']:.3f}",
          f"{f['setup_seconds_per_replication']:.3f}", f"{f['run_phase_seconds_per_replication']:.3f}",
          f"{f['contacts_per_replication']:,.0f}", f"{f['contacts_per_second']:,.0f}", f"{f['peak_mb']:.0f}"]
         for f in rows],
    )  # fmt: skip
    second = table(
        ["service", "engine s/rep", "plain loop s/rep", "engine / loop", "same figures", "ciw M/M/c s/rep",
         "engine vs ciw"],
        [[f["service"], f"{f['seconds_per_replication']:.3f}", f"{f['loop_seconds_per_replication']:.3f}",
          f"{f['engine_over_loop']:.2f}x", "yes" if f["identical_to_loop"] else "NO", ciw_cell(f),
          f"{f['ciw_over_engine']:.1f}x faster" if f["ciw_over_engine"] else ""] for f in rows],
    )  # fmt: skip
    return f"### 1. Engine throughput (one core)\n\n{first}\n\n### 2. Against references\n\n{second}"


def ciw_cell(f: dict) -> str:
    if f["ciw_seconds_per_replication"] is None:
        return "not run"
    return f"{f['ciw_seconds_per_replication']:.3f} ({f['ciw_contacts_per_replication']:,.0f} contacts)"


def section_scaling(rows: list[dict]) -> str:
    header = [
        "backend",
        "replications",
        "wall s",
        "replications/s",
        "speed-up",
        "CPU s/rep, all processes",
        "CPU s / workers (idle-machine wall)",
        "peak MB main / worker",
        "monthly table MB",
        "",
    ]
    body = [scaling_row(f) for f in rows]
    return f"### 3. Parallel scaling (example baseline, wall clock)\n\n{table(header, body)}"


def scaling_row(f: dict) -> list[str]:
    startup = f["cluster_startup_seconds"]
    return [
        f["backend"],
        str(f["replications"]),
        f"{f['wall_seconds']:.1f}",
        f"{f['replications_per_second']:.1f}",
        f"{f['speed_up']:.2f}x",
        f"{f['cpu_seconds_per_replication']:.3f}",
        f"{f['cpu_seconds_per_worker']:.1f}",
        f"{f['peak_mb_main']:.0f} / {f['peak_mb_worker']:.0f}",
        f"{f['table_mb']:.1f}",
        f"cluster start+stop {startup:.1f} s" if startup else "",
    ]


def section_growth(f: dict) -> str:
    rows = [[f"{h['months']} months", f"{h['seconds_per_replication']:.3f}"] for h in f["horizon"]]
    rows += [
        [
            f"{v['referrals_per_month']:,.0f} referrals/month (x{v['scale']} staff)",
            f"{v['seconds_per_replication']:.3f}",
        ]
        for v in f["volume"]
    ]
    rows.append(["**exponent in horizon**", f"**{f['exponent_horizon']:.2f}**"])
    rows.append(["**exponent in volume**", f"**{f['exponent_volume']:.2f}**"])
    title = "### 4. Growth (example baseline; time ~ size^exponent)"
    return f"{title}\n\n{table(['size', 's/replication'], rows)}"


def report(found: dict) -> str:
    sections = []
    if found["throughput"]:
        sections.append(section_throughput(found["throughput"]))
    if found["scaling"]:
        sections.append(section_scaling(found["scaling"]))
    if found["growth"]:
        sections.append(section_growth(found["growth"]))
    return "\n\n".join(sections)


def run_alone(cases: list[Case], this: dict) -> dict:
    """Each case once, for this checkout: the figures of the four sections."""
    results = {}
    for number, case in enumerate(cases, start=1):
        progress(f"[{number}/{len(cases)}] {case.name} ({case.key})")
        results[case.key] = in_subprocess(case.job, ROOT, **case.arguments)
        note_modules(this, results[case.key])
    return figures(cases, results)


# ----- side by side (--against) ------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    """One figure of a job's result; ``compared``: whether this/against means something."""

    key: str
    label: str
    value: Callable[[Case, dict], float]
    compared: bool = True


MEASURES = {
    "throughput": (
        Measure("seconds_per_replication", "engine s/replication", lambda c, r: r["engine_s"]),
        Measure("run_phase_seconds_per_replication", "of which run phase", lambda c, r: r["run_s"]),
        Measure("loop_seconds_per_replication", "plain loop s/replication", lambda c, r: r["loop_s"]),
        Measure("engine_over_loop", "engine / plain loop", lambda c, r: r["engine_s"] / r["loop_s"]),
    ),
    "scaling": (
        Measure("wall_seconds", "wall s", lambda c, r: r["seconds"]),
        # The reciprocal of wall s: its ratio would say nothing new.
        Measure("replications_per_second", "replications/s", lambda c, r: c.arguments["reps"] / r["seconds"],
                compared=False),
    ),
    "growth": (
        Measure("seconds_all_sizes", "s/replication, summed over sizes",
                lambda c, r: sum(r["horizon"]) + sum(r["volume"])),
        Measure("exponent_horizon", "exponent in horizon",
                lambda c, r: exponent(c.arguments["horizons"], r["horizon"]), compared=False),
        Measure("exponent_volume", "exponent in volume",
                lambda c, r: exponent(c.arguments["scales"], r["volume"]), compared=False),
    ),
}  # fmt: skip


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def timed_pairs(cases: list[Case], repeat: int, checkouts: dict[str, dict]) -> dict[str, dict[str, list]]:
    """Each case ``repeat`` times on each side, each side's run next to the other's.

    Within a repeat the sides alternate which goes first, so a load that rises or falls over
    the run does not always land on the same side.
    """
    runs = {case.key: {side: [] for side in checkouts} for case in cases}
    total, done = repeat * len(cases) * len(checkouts), 0
    for number in range(repeat):
        sides = list(checkouts) if number % 2 == 0 else list(reversed(checkouts))
        for case in cases:
            for side in sides:
                done += 1
                progress(f"[{done}/{total}] repeat {number + 1}, {case.name} ({case.key}), {side}")
                result = in_subprocess(case.job, Path(checkouts[side]["path"]), **case.arguments)
                note_modules(checkouts[side], result)
                runs[case.key][side].append(result)
    return runs


def compared_case(case: Case, runs: dict[str, list]) -> dict:
    """Per measure: both sides' figures over the repeats and, paired by repeat, this / against."""
    measures = []
    for measure in MEASURES[case.job]:
        this = [measure.value(case, r) for r in runs["this"]]
        against = [measure.value(case, r) for r in runs["against"]]
        entry = {
            "measure": measure.key,
            "label": measure.label,
            "this": spread(this),
            "against": spread(against),
        }
        if measure.compared:
            entry["ratio"] = spread([a / b for a, b in zip(this, against, strict=True)])
        measures.append(entry)
    name = f"{case.name}, {case.arguments['reps']} replications" if case.job == "scaling" else case.name
    out = {"case": case.key, "name": name, "job": case.job, "arguments": case.arguments}
    if case.job == "throughput":
        out["identical_to_loop"] = {side: all(r["identical"] for r in rs) for side, rs in runs.items()}
    return {**out, "measures": measures, "runs": runs}


def number(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def side_by_side_row(name: str, m: dict) -> list[str]:
    this, against, r = number(m["this"]["median"]), number(m["against"]["median"]), m.get("ratio")
    if r is None:
        return [name, m["label"], this, against, "", ""]
    return [name, m["label"], this, against, f"{r['median']:.2f}", f"{r['min']:.2f}-{r['max']:.2f}"]


def section_side_by_side(compared: list[dict], checkouts: dict[str, dict], repeat: int) -> str:
    lines = [f"- {side}: `{c['path']}` at {(c['commit'] or 'no git commit')[:10]}"
             f"{' (uncommitted changes)' if c['dirty'] else ''}, sim from `{c['sim_file']}`"
             for side, c in checkouts.items()]  # fmt: skip
    rows = []
    for case in compared:
        rows += [side_by_side_row(case["name"], m) for m in case["measures"]]
        if "identical_to_loop" in case:
            same = ["yes" if case["identical_to_loop"][side] else "NO" for side in ("this", "against")]
            rows.append([case["name"], "same figures as the plain loop", *same, "", ""])
    header = ["case", "measure", "this (median)", "against (median)", "this / against (median)", "range"]
    note = (
        f"{repeat} repeats, each a fresh process per side, interleaved. The ratio is taken per repeat "
        "(below 1: this checkout is faster); CPU seconds per replication except where wall."
    )
    return "### Side by side\n\n" + "\n".join(lines) + f"\n\n{note}\n\n{table(header, rows)}"


# ----- the run ------------------------------------------------------------------------------------
def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine(load_start: tuple[float, ...]) -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
    }


def document(
    command: str,
    options: argparse.Namespace,
    checkouts: dict,
    found: dict | None,
    compared: list[dict] | None,
    load_start: tuple[float, ...],
    seconds: float,
) -> dict:
    """The JSON document: what was run where, and every figure printed."""
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": options.quick,
        "repeat": options.repeat if options.against else None,
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "machine": machine(load_start),
        "checkouts": checkouts,
        "figures": found,
        "side_by_side": compared,
        "total_seconds": seconds,
    }  # fmt: skip


def without_nan(value: object) -> object:
    """NaN (a figure not measured, such as ciw when it is skipped) as None: NaN is not JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    return value


def write_json(path: Path, content: dict) -> None:
    text = json.dumps(without_nan(content), indent=2, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    progress(f"figures written to {path}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with few replications")
    parser.add_argument("--json", type=Path, help="also write every figure here as JSON")
    parser.add_argument("--against", type=Path, help="another dcsim checkout, timed side by side")
    parser.add_argument(
        "--repeat", type=int, default=3, help="with --against: runs of each case per side (3)"
    )
    parser.add_argument("--case", action="append", choices=CASE_KEYS, help="only this case (repeatable)")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="?", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.against is not None:
        options.against = options.against.resolve()
        if not is_dcsim(options.against):
            parser.error(f"--against {options.against}: not a dcsim checkout "
                         "(no sim/__init__.py, or no pyproject.toml naming the project dcsim)")  # fmt: skip
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    return options


def chosen(options: argparse.Namespace) -> list[Case]:
    keys = options.case or (
        AGAINST_CASES if options.against else DEFAULT_QUICK if options.quick else CASE_KEYS
    )
    cases = [case for case in all_cases(options.quick) if case.key in keys]
    return against_cases(cases) if options.against else cases


def main() -> None:
    options = parse()
    if options.job:
        print(json.dumps(run_job(options.job, json.loads(options.arguments), options.checkout.resolve())))
        return
    started, load_start = time.perf_counter(), os.getloadavg()
    command = shlex.join(["python", "benchmarks/run.py", *sys.argv[1:]])
    print(f"## dcsim benchmarks (`{command}`)\n")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {load_start[0]:.1f} at start.\n")  # fmt: skip
    checkouts = {"this": describe(ROOT)}
    cases, found, compared = chosen(options), None, None
    if options.against is None:
        found = run_alone(cases, checkouts["this"])
        print(report(found), end="\n\n")
    else:
        checkouts["against"] = describe(options.against)
        runs = timed_pairs(cases, options.repeat, checkouts)
        compared = [compared_case(case, runs[case.key]) for case in cases]
        print(section_side_by_side(compared, checkouts, options.repeat), end="\n\n")
    seconds = time.perf_counter() - started
    print(f"Total {seconds:.0f} s; load average {os.getloadavg()[0]:.1f} at the end.")
    if options.json is not None:
        write_json(options.json, document(command, options, checkouts, found, compared, load_start, seconds))


if __name__ == "__main__":
    main()
