"""Time a portfolio run: N services (variants of the example scenarios), R replications, M months.

    .venv/bin/python benchmarks/portfolio.py                       # 10 services, 100 reps, 24 months
    .venv/bin/python benchmarks/portfolio.py --services 15 --reps 20 --workers 2

Issue #26's target: a provider's 10+ services, 100 replications over 24 months, under 3 minutes
on 2 cores. Service i extends the i-th example scenario (cycling through them) with its monthly
referrals scaled by 0.8 to 1.2, so the services differ; a 2 WTE Band 6 pool is split between
the first two and one WTE moves between them after six months. Prints wall-clock seconds (the
pool's start-up included) and seconds per service-replication.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"
SCENARIOS = (
    "baseline", "three_band6_posts", "demand_growth", "vacancies_and_sickness", "backlog_clinic",
    "skill_mix_band4", "group_programme", "waiting_list_validation", "council_band6", "open_referrals",
)


def build(folder: Path, services: int, months: int) -> Path:
    """Service files and a portfolio file naming them, in ``folder``."""
    names = []
    for i in range(services):
        name = f"s{i:02d}_{SCENARIOS[i % len(SCENARIOS)]}"
        scale = 0.8 + 0.4 * (i % 5) / 4
        rate = round(96 * scale, 1)
        text = (f"extends: {EXAMPLE / SCENARIOS[i % len(SCENARIOS)]}.yaml\n"
                f"service: {{horizon_months: {months}}}\ndemand: {{monthly_rate: {rate}}}\n")
        (folder / f"{name}.yaml").write_text(text)
        names.append(name)
    lines = ["portfolio:", f"  title: {services} benchmark services", "  services:"]
    lines += [f"    - {{name: {n}, file: {n}.yaml}}" for n in names]
    if services >= 2:
        a, b = names[:2]
        lines += ["  staff_pools:",
                  f"    - {{name: pool, role: band6, wte: 2, rule: fixed_split, "
                  f"split: {{{a}: 0.5, {b}: 0.5}}}}",
                  "  events:",
                  f"    - {{date: 2024-10-01, move_wte: {{role: band6, wte: 1, from: {a}, to: {b}}}}}"]
    path = folder / "portfolio.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ["DCSIM_EXTENDS_ROOT"] = str(EXAMPLE)
    from sim.runs.portfolio import run_portfolio

    with tempfile.TemporaryDirectory() as scratch:
        path = build(Path(scratch), args.services, args.months)
        started = time.perf_counter()
        result = run_portfolio(path, args.reps, args.seed, args.workers)
        seconds = time.perf_counter() - started
    units = args.services * args.reps
    print(f"portfolio: {args.services} services x {args.reps} replications x {args.months} months, "
          f"{args.workers} workers (cores: {os.cpu_count()}, load {os.getloadavg()[0]:.1f})")
    print(f"wall time: {seconds:.1f} s ({seconds / units * 1000:.0f} ms per service-replication)")
    last = result.total_summary.iloc[-1]
    print(f"total breaches at {last['month']}: median {last['breaches_p50']:.0f}")


if __name__ == "__main__":
    main()
