"""The long-waiter section of a comparison: breaches and patients within target, paired with the
baseline, checked against figures worked out by hand from a small monthly table."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
from services import service_config

from sim.reports.long_waiters import lever_words, long_waiter_lines, long_waiter_table


def _scenario(name: str, changes: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=name, config=service_config(changes))


def _result(scenarios: list) -> SimpleNamespace:
    # Two replications, one month: baseline waits 100 and 120 with 40 and 60 over target; the
    # lever's futures wait as many (the same patients seen) with 30 and 44 over target.
    rows = [
        ("base", 0, 100, 40, 20.0), ("base", 1, 120, 60, 22.0),
        ("aimed", 0, 100, 30, 21.0), ("aimed", 1, 120, 44, 23.0),
    ]
    monthly = pd.DataFrame(rows, columns=["scenario", "replication", "waiting", "breaches", "wait_p50_weeks"])
    monthly["month"] = "2024-09"
    return SimpleNamespace(
        scenarios=scenarios, monthly=monthly, baseline="base", names=[s.name for s in scenarios]
    )


AIMED = {"access_policy.long_waiters": {"share": 0.3, "over_weeks": 14}}
LEVER = {"events": [{"date": "2024-06-01", "set": AIMED}]}


def test_breaches_and_within_target_beside_the_baseline() -> None:
    result = _result([_scenario("base"), _scenario("aimed", LEVER)])
    table = long_waiter_table(result, ["2024-09"]).set_index("scenario")
    aimed = table.loc["aimed"]
    assert aimed["breaches_p50"] == (30 + 44) / 2
    assert aimed["breaches_diff_mean"] == ((30 - 40) + (44 - 60)) / 2  # paired: -13
    assert aimed["within_target_p50"] == (70 + 76) / 2
    assert aimed["within_target_diff_mean"] == ((70 - 60) + (76 - 60)) / 2  # +13: as many still waiting
    assert aimed["wait_p50_weeks_p50"] == 22.0
    assert table.loc["base", "breaches_diff_mean"] == 0
    lines = long_waiter_lines(table.reset_index(), {"base": "Baseline", "aimed": "Aimed"}, "base", "2024-09")
    assert "30% of first contacts for patients waiting over 14 weeks, from Jun 2024" in lines[2]
    assert "13 fewer than the baseline" in lines[2] and "13 more than the baseline" in lines[2]


def test_no_section_without_the_lever() -> None:
    assert long_waiter_table(_result([_scenario("base"), _scenario("aimed")]), ["2024-09"]) is None


def test_lever_in_words_from_the_file_and_from_dated_sets() -> None:
    config = service_config({"access_policy": {"long_waiters": {"share": 0.25, "over_weeks": 18}}})
    assert lever_words(config) == "25% of first contacts for patients waiting over 18 weeks"
    off = {"events": [{"date": dt.date(2024, 9, 1), "set": {"access_policy.long_waiters": None}}]}
    both = service_config({**LEVER, "events": LEVER["events"] + off["events"]})
    assert lever_words(both).endswith("from Jun 2024; none from Sep 2024")
