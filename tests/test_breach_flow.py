"""Why breaches move: the monthly breach flow balances.

Crossings and leavers are counted by the engine as they happen (leavers when a breaching
clock stops, is removed or restarts; crossings of those still waiting at the census), apart
from the month-end breach count. So ``opening + crossings - leavers = closing`` fails if a
route out of the breach stock is missed or a crossing is counted twice.
"""

from __future__ import annotations

import pandas as pd
import pytest
from services import EXAMPLE, service_document

from sim.engine.scenario import load_config, validate
from sim.questions.breach_flow import FLOW_COLUMNS, breach_flow
from sim.runs.runner import run_replications

LEAVING = ["breach_seen", "breach_removed", "breach_other"]


def monthly(config, reps: int = 3) -> pd.DataFrame:
    return pd.DataFrame(run_replications(config, reps, seed=5, workers=1))


def assert_balances(table: pd.DataFrame) -> None:
    for _, rows in table.groupby("replication"):
        rows = rows.sort_values("month")
        net = rows["breaches_opening"] + rows["breach_crossings"] - rows[LEAVING].sum(axis=1)
        assert (net == rows["breaches"]).all(), rows[["month", "breaches_opening", "breaches"]]
        assert (rows["breaches_opening"].iloc[1:].to_numpy() == rows["breaches"].iloc[:-1].to_numpy()).all()


def test_example_baseline_balances_every_month():
    table = monthly(load_config(EXAMPLE / "baseline.yaml"))
    assert_balances(table)
    assert table["breach_crossings"].sum() > 0 and table["breach_seen"].sum() > 0


def test_balances_with_every_way_out_of_the_breach_stock():
    """Short target, slow triage, clock resets after DNAs, validation and reneging, a validation event."""
    document = service_document(
        {
            "service": {"rtt_target_weeks": 3, "horizon_months": 10},
            "triage": {"delay_days": {"urgent": 10, "routine": 30}},
            "access_policy": {
                "dna": {"action": "reset_clock", "discharge_after": 3},
                "validation_removal_rate": 0.03,
                "reneging_rate": 0.02,
                "clock_stops_at_contact": 2,
            },
            "appointment_types": {"assessment": {"dna_rate": 0.3}},
            "events": [{"date": "2024-08-15", "validate_list": {"share": 0.2}}],
        }
    )
    table = monthly(validate(document, "flow.yaml"))
    assert_balances(table)
    for column in ["breach_crossings", *LEAVING]:
        assert table[column].sum() > 0, column  # every route is exercised


@pytest.mark.parametrize("reps", [4])
def test_breach_flow_table_means_balance(reps):
    table = monthly(load_config(EXAMPLE / "three_band6_posts.yaml"), reps).assign(scenario="posts")
    flow = breach_flow(table)
    assert list(flow.columns) == ["scenario", "month", *FLOW_COLUMNS]
    net = flow["opening"] + flow["crossing"] - flow[["seen", "removed", "other"]].sum(axis=1)
    assert (net - flow["closing"]).abs().max() < 1e-9
    first = table[table["month"] == table["month"].min()]
    assert flow["opening"].iloc[0] == pytest.approx(first["breaches_opening"].mean())
