"""Why breaches move: the monthly breach flow of each scenario.

Breaches at a month end (closing) = breaches at the previous month end (opening) + patients
whose wait passed the target during the month (crossing) - breaching patients who left the
count: seen (clock stopped at a contact), removed from the list (validation, reneging,
removal after DNAs) or other (discharged or turned away with the clock running, clock
restarted after a DNA). The engine counts each part as it happens; here they are averaged
over replications, which keeps the balance (a mean of sums is the sum of means).
"""

from __future__ import annotations

import pandas as pd

from sim.questions.results import FLOW_WORDS

FLOW_COLUMNS = ("opening", "crossing", "seen", "removed", "other", "closing")
SOURCE = {
    "opening": "breaches_opening",
    "crossing": "breach_crossings",
    "seen": "breach_seen",
    "removed": "breach_removed",
    "other": "breach_other",
    "closing": "breaches",
}
WORDS = FLOW_WORDS


def breach_flow(monthly: pd.DataFrame) -> pd.DataFrame:
    """Mean breach flow per scenario x month (columns ``FLOW_COLUMNS``), in simulated order."""
    missing = [c for c in SOURCE.values() if c not in monthly.columns]
    if missing:
        raise ValueError(f"monthly table lacks the breach-flow columns {missing}")
    table = monthly.groupby(["scenario", "month"], sort=False)[list(SOURCE.values())].mean()
    table.columns = list(SOURCE)
    return table.reset_index()[["scenario", "month", *FLOW_COLUMNS]]
