"""Write example_extract.csv: a synthetic patient-level extract drawn from KNOWN parameters.

    .venv/bin/python calibration/data/make_example_extract.py

The parameters are those of ``EXAMPLE`` below (calibration.synthetic_extract explains the
process), so `dcsim estimate` on the file can be checked against them. No real patient is
in it. The same seed writes the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from calibration.synthetic_extract import SyntheticService, extract_at, true_history, write_extract

EXAMPLE = SyntheticService(start=dt.date(2022, 4, 1), months=24, base_rate=40.0, annual_trend=0.10)
SEED = 2024
HERE = Path(__file__).resolve().parent


def main() -> None:
    history = true_history(EXAMPLE, SEED)
    path = write_extract(extract_at(history, EXAMPLE.snapshot), HERE / "example_extract.csv")
    print(f"{path}: {len(history)} referrals, snapshot {EXAMPLE.snapshot}")


if __name__ == "__main__":
    main()
