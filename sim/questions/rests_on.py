"""What an answer rests on: the two or three service assumptions it is most sensitive to, measured.

Not a fixed list. The baseline is re-run with each of a few assumptions every service file states
nudged down and up by a plausible margin (below), on common random numbers (the same seed, so
the swing is the assumption's and not chance), at few replications (``REPS``) because only the
ranking is wanted; the answer's measure is the median of the goal's metric (breaches by default)
at the answer's month. The assumptions whose swing is largest are named, with the swing.

Why these and these margins: they are the inputs a community service estimates rather than
counts, and the margins are about how far such estimates are usually out (referrals +-10%, the
first-contact DNA rate +-3 points, staff's non-clinical share +-5 points, the validation
removal rate +-50%). Cost: 8 runs of ``REPS`` replications, about a tenth of a 100-replication
compare of one scenario; without observed months (conditioning would multiply it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.engine.sweep import Scenario
from sim.runs.result import run

REPS = 10


@dataclass(frozen=True)
class Nudge:
    """One assumption, in words, and the dotted changes that move it down and up."""

    words: str
    margin: str
    low: dict
    high: dict


def nudges(scenario: Scenario) -> list[Nudge]:
    """The assumptions tried, as they stand in this scenario."""
    config = scenario.config
    rate = config.demand.monthly_rate
    found = [Nudge("referrals a month", "10%", {"demand.monthly_rate": rate * 0.9},
                   {"demand.monthly_rate": rate * 1.1})]
    firsts = {n: t.dna_rate for n, t in config.appointment_types.items() if t.activity == "new"}
    if firsts:
        found.append(Nudge(
            "the first-contact DNA rate", "3 points",
            {f"appointment_types.{n}.dna_rate": max(0.0, d - 0.03) for n, d in firsts.items()},
            {f"appointment_types.{n}.dna_rate": min(0.95, d + 0.03) for n, d in firsts.items()},
        ))
    shares = {r: p.non_clinical_share for r, p in config.job_plans.items()}
    found.append(Nudge(
        "staff's clinical time (non-clinical share)", "5 points",
        {f"job_plans.{r}.non_clinical_share": max(0.0, s - 0.05) for r, s in shares.items()},
        {f"job_plans.{r}.non_clinical_share": min(0.95, s + 0.05) for r, s in shares.items()},
    ))
    removal = config.access_policy.validation_removal_rate
    if removal > 0:
        found.append(Nudge("removals on validation", "50%",
                           {"access_policy.validation_removal_rate": removal * 0.5},
                           {"access_policy.validation_removal_rate": removal * 1.5}))
    return found


def rests_on(
    scenario: Scenario, metric: str, month: str, seed: int, workers: int | None = None,
    parameter_draws: bool = True, reps: int = REPS,
) -> pd.DataFrame:
    """Per assumption: median ``metric`` at ``month`` with it low and high, and the swing (largest first)."""

    def median(variant: Scenario) -> float:
        runs = run(variant.config, reps, seed, workers, variant.name, parameter_draws=parameter_draws)
        monthly = runs.monthly
        return float(monthly.loc[monthly["month"] == month, metric].median())

    rows = []
    for nudge in nudges(scenario):
        low = median(scenario.with_changes(nudge.low, what="rests on"))
        high = median(scenario.with_changes(nudge.high, what="rests on"))
        rows.append({"assumption": nudge.words, "margin": nudge.margin, "metric": metric, "month": month,
                     "result_low": low, "result_high": high, "swing": abs(high - low), "replications": reps})
    table = pd.DataFrame(rows)
    return table.sort_values("swing", ascending=False, kind="stable", ignore_index=True)
