"""``calibrate --waits`` recovery trials on histories of the compartment simulator (not dcsim's engine).

Twelve histories of ``benchmarks/compartment_waits.py`` (200 referrals a month, exit hazards by weeks band,
eight months), each fitted with the default fields and priors; counts the trials whose 90% range
holds the true referral rate, and those whose range of exits (capacity as first-contact slots
plus the removals the fitted service made) holds the true exits.

    .venv/bin/python benchmarks/waits_calibrate_recovery.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compartment_waits import compartment_history  # noqa: E402

from calibration.from_waits.service import slots_per_wte_month  # noqa: E402
from calibration.waits_fit import CAPACITY, REFERRALS, calibrate_waits  # noqa: E402

RATES = [0.3, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05]
TRIALS, REFERRALS_TRUE = 12, 200.0


def main() -> None:
    hits_referrals = hits_exits = 0
    for seed in range(1, TRIALS + 1):
        history, exits = compartment_history(REFERRALS_TRUE, RATES, months=8, seed=seed)
        result, prepared = calibrate_waits(
            history, history.months[-1], reps=4, draws=400, forecast_reps=20, seed=seed, workers=2
        )
        table, config = result.table.set_index("parameter"), prepared.config
        per_wte = slots_per_wte_month(config.service.start_date, config.service.horizon_months, "england")
        months = prepared.frame["month"]
        removed = result.start_summary.set_index("month")["removed_p50"].reindex(months).mean()
        low, high = table.loc[REFERRALS, "low"], table.loc[REFERRALS, "high"]
        exits_low, exits_high = (table.loc[CAPACITY, side] * per_wte + removed for side in ("low", "high"))
        hits_referrals += low <= REFERRALS_TRUE <= high
        hits_exits += exits_low <= exits <= exits_high
        ranges = f"referrals {low:.0f}-{high:.0f}, exits {exits_low:.0f}-{exits_high:.0f}"
        print(f"{seed}: {ranges} (true exits {exits:.0f})")
    print(f"referrals held in {hits_referrals}/{TRIALS}; exits held in {hits_exits}/{TRIALS}")


if __name__ == "__main__":
    main()
