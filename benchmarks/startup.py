"""Start-up time of the command line: ``dcsim --help``, ``dcsim validate`` and ``import sim.cli``.

Each command is run ``--repeat`` times in a fresh interpreter and its wall time printed (median
and fastest), with the heavy libraries it imported. ``--against PATH`` times a second checkout
in the same run, interleaved, so the ratio holds on a busy machine when absolute times do not.

    .venv/bin/python benchmarks/startup.py [--repeat 15] [--against /path/to/other/checkout]

Target (issue 27): ``dcsim --help`` under 0.4 s on a quiet machine, importing none of scipy,
pandas, matplotlib, seaborn, plotly, streamlit or dask.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "pandas", "matplotlib", "seaborn", "plotly", "streamlit", "dask")
# Run in the checkout's own folder, so that its ``sim`` package is the one imported.
PROGRAM = """
import sys
try:
    from sim.cli import app
    if sys.argv[1:]:
        app(sys.argv[1:], prog_name="dcsim", standalone_mode=False)
finally:
    print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""
COMMANDS = {
    "dcsim --help": ["--help"],
    "dcsim validate baseline.yaml": ["validate", "scenarios/example/baseline.yaml"],
    "import sim.cli": [],
}


def once(checkout: Path, arguments: list[str]) -> tuple[float, str]:
    """Wall time of one fresh interpreter running ``arguments``, and the heavy modules it imported."""
    program = PROGRAM.format(heavy=HEAVY)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", program, *arguments], cwd=checkout, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {' '.join(arguments)} failed:\n{done.stderr}")
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")]
    return seconds, heavy[-1].removeprefix("HEAVY=") if heavy else "?"


def measure(checkouts: dict[str, Path], repeat: int) -> list[dict]:
    rows = []
    for label, arguments in COMMANDS.items():
        times: dict[str, list[float]] = {name: [] for name in checkouts}
        imported: dict[str, str] = {}
        for _ in range(repeat):  # interleaved, so both checkouts see the same load
            for name, checkout in checkouts.items():
                seconds, imported[name] = once(checkout, arguments)
                times[name].append(seconds)
        for name in checkouts:
            rows.append({
                "command": label, "checkout": name, "median_s": round(statistics.median(times[name]), 3),
                "fastest_s": round(min(times[name]), 3), "imports": imported[name] or "none of them",
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15, help="Runs of each command (default 15).")
    parser.add_argument("--against", type=Path, help="A second checkout timed side by side.")
    parser.add_argument("--json", type=Path, help="Also write the figures here as JSON.")
    args = parser.parse_args()
    checkouts = {"this": ROOT}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    rows = measure(checkouts, args.repeat)
    print(f"Start-up, {args.repeat} runs each ({sys.executable}); heavy = {', '.join(HEAVY)}")
    print("| command | checkout | median s | fastest s | heavy modules imported |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['command']} | {row['checkout']} | {row['median_s']:.3f} | {row['fastest_s']:.3f} "
              f"| {row['imports']} |")
    if args.against is not None:
        for label in COMMANDS:
            this, other = (r["median_s"] for r in rows if r["command"] == label)
            print(f"{label}: {other / this:.1f}x faster than {checkouts['against']}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
