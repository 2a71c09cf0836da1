"""The compartment simulator the tests take their truth from, built without dcsim's engine.

It lives beside the recovery benchmark (``benchmarks/compartment_waits.py``), which scores
from-waits on many of its trials; the tests import it from here so both read one simulator.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from compartment_waits import EDGES, Waits, compartment_history, simulate  # noqa: E402

__all__ = ["EDGES", "Waits", "compartment_history", "simulate"]
