"""dcsim benchmarks: one command, one printed table (markdown, ready for the README).

    .venv/bin/python benchmarks/run.py            # full run, a few minutes on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # smoke run, well under a minute

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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
BASELINE = ROOT / "scenarios" / "example" / "baseline.yaml"
LARGE = HERE / "large_service.yaml"
SEED = 2024


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
    engine, loop, build, frames, identical = [], [], [], [], True
    for replication in range(reps):
        start = time.process_time()
        model = ServiceModel(config, SEED, replication)
        built = time.process_time()
        monthly = pd.DataFrame.from_records(model.run())
        engine.append(time.process_time() - start)
        build.append(built - start)
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


def in_subprocess(job: str, **arguments) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--job", job, json.dumps(arguments)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark job {job} {arguments} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----- the report -------------------------------------------------------------------------------
def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def exponent(x: list[float], seconds: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(seconds), 1)[0])


def section_throughput(quick: bool) -> str:
    runs = {
        "Example baseline, 36 months": in_subprocess(
            "throughput", path=str(BASELINE), reps=2 if quick else 20
        ),
        "Large service, " + ("12 months (quick)" if quick else "60 months"): in_subprocess(
            "throughput",
            path=str(LARGE),
            reps=1 if quick else 3,
            horizon=12 if quick else None,
            ciw=not quick,
        ),
    }
    rows, comparison = [], []
    for name, r in runs.items():
        rows.append(
            [
                name,
                f"{r['referrals_per_year']:,.0f}",
                f"{r['engine_s']:.3f}",
                f"{r['build_s']:.3f}",
                f"{r['contacts']:,.0f}",
                f"{r['contacts'] / r['engine_s']:,.0f}",
                f"{r['peak_mb']:.0f}",
            ]
        )
        comparison.append(
            [
                name,
                f"{r['engine_s']:.3f}",
                f"{r['loop_s']:.3f}",
                f"{r['engine_s'] / r['loop_s']:.2f}x",
                "yes" if r["identical"] else "NO",
                f"{r['ciw_s']:.3f} ({r['ciw_contacts']:,.0f} contacts)" if r["ciw_contacts"] else "not run",
                f"{r['ciw_s'] / r['engine_s']:.1f}x faster" if r["ciw_contacts"] else "",
            ]
        )
    first = table(
        [
            "service",
            "referrals/year",
            "s/replication",
            "of which set-up",
            "contacts/replication",
            "contacts/s",
            "peak MB",
        ],
        rows,
    )
    second = table(
        [
            "service",
            "engine s/rep",
            "plain loop s/rep",
            "engine / loop",
            "same figures",
            "ciw M/M/c s/rep",
            "engine vs ciw",
        ],
        comparison,
    )
    return f"### 1. Engine throughput (one core)\n\n{first}\n\n### 2. Against references\n\n{second}"


def section_scaling(quick: bool) -> str:
    small, large = (8, 16) if quick else (200, 1000)
    runs = [
        ("serial (in-process)", small, "serial", 1, None),
        ("processes, 1 worker", small, "processes", 1, None),
        ("processes, 2 workers", small, "processes", 2, None),
        ("processes, 2 workers", large, "processes", 2, None),
        ("dask LocalCluster, 2 workers", small, "dask", 2, "local"),
    ]
    if quick:
        del runs[1:3]
    rows, serial = [], None
    for name, reps, backend, workers, scheduler in runs:
        r = in_subprocess(
            "scaling", path=str(BASELINE), reps=reps, backend=backend, workers=workers, scheduler=scheduler
        )
        per_rep = r["seconds"] / reps
        serial = serial or per_rep
        note = f"cluster start+stop {r['startup_s']:.1f} s" if "startup_s" in r else ""
        rows.append(
            [
                name,
                reps,
                f"{r['seconds']:.1f}",
                f"{reps / r['seconds']:.1f}",
                f"{serial / per_rep:.2f}x",
                f"{r['cpu_seconds'] / reps:.3f}",
                f"{r['cpu_seconds'] / min(workers, os.cpu_count() or 1):.1f}",
                f"{r['peak_mb']:.0f} / {r['worker_peak_mb']:.0f}",
                f"{r['table_mb']:.1f}",
                note,
            ]
        )
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
    return f"### 3. Parallel scaling (example baseline, wall clock)\n\n{table(header, rows)}"


def section_growth(quick: bool) -> str:
    horizons = [12, 24] if quick else [12, 24, 48, 96, 120]
    scales = [0.5, 1] if quick else [0.5, 1, 2, 4, 8, 16]
    r = in_subprocess("growth", path=str(BASELINE), horizons=horizons, scales=scales, reps=1 if quick else 3)
    rows = [[f"{h} months", f"{s:.3f}"] for h, s in zip(horizons, r["horizon"], strict=True)]
    rows += [
        [f"{r['base_rate'] * k:,.0f} referrals/month (x{k} staff)", f"{s:.3f}"]
        for k, s in zip(scales, r["volume"], strict=True)
    ]
    rows.append(["**exponent in horizon**", f"**{exponent(horizons, r['horizon']):.2f}**"])
    rows.append(["**exponent in volume**", f"**{exponent(scales, r['volume']):.2f}**"])
    title = "### 4. Growth (example baseline; time ~ size^exponent)"
    return f"{title}\n\n{table(['size', 's/replication'], rows)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with few replications")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="?", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.job:
        print(json.dumps(JOBS[options.job](**json.loads(options.arguments))))
        return
    started = time.perf_counter()
    load = os.getloadavg()[0]
    command = "python benchmarks/run.py" + (" --quick" if options.quick else "")
    print(f"## dcsim benchmarks (`{command}`)\n")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load:.1f} at start.\n"
    )
    for section in (section_throughput, section_scaling, section_growth):
        print(section(options.quick), end="\n\n", flush=True)
    print(f"Total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
