"""Per-patient traces: written only when asked, and they add up to the monthly figures."""

from __future__ import annotations

import pandas as pd
import pytest
from services import EXAMPLE
from typer.testing import CliRunner

from sim.cli import app
from sim.runs.runner import run_replications
from sim.runs.trace import TracedModel

# Monthly flow column -> trace events that each count one of it.
FLOWS = {
    "referrals": ["referred"],
    "triaged": ["triaged_accepted", "triaged_rejected", "triaged_signposted"],
    "accepted": ["triaged_accepted"],
    "rejected": ["triaged_rejected"],
    "signposted": ["triaged_signposted"],
    "first_contacts": ["attended_first"],
    "followup_contacts": ["attended_followup"],
    "dnas": ["dna_first", "dna_followup"],
    "removed": ["removed"],
    "discharged": ["discharged"],
}


@pytest.fixture(scope="module")
def traced(request):
    from services import service_config

    config = service_config({"access_policy": {"validation_removal_rate": 0.02}})
    model = TracedModel(config, 4, 2)
    monthly = pd.DataFrame.from_records(model.run())
    return config, model, monthly, model.frame()


def test_trace_events_add_up_to_the_monthly_flows(traced):
    _, _, monthly, trace = traced
    trace["month"] = trace["date"].str[:7]
    counts = trace.groupby(["month", "event"]).size().unstack(fill_value=0)
    counts = counts.reindex(monthly["month"], fill_value=0)
    for column, events in FLOWS.items():
        counted = counts.reindex(columns=events, fill_value=0).sum(axis=1).to_numpy()
        assert (counted == monthly[column].to_numpy()).all(), column
    assert monthly["removed"].sum() > 0 and monthly["dnas"].sum() > 0


def test_each_referral_starts_once_and_nothing_follows_its_end(traced):
    config, _, _, trace = traced
    starts = trace[trace["event"].str.startswith(("referred", "at_start_"))]
    assert starts["referral"].is_unique
    assert set(trace["referral"]) == set(starts["referral"])
    snapshot = config.initial_state
    waiting = sum(band.count for band in snapshot.waiting_list)
    assert (starts["event"] == "at_start_waiting_first").sum() == waiting
    assert (starts["event"] == "at_start_in_followup").sum() == snapshot.followup_caseload
    ends = trace[trace["event"].isin(["discharged", "removed", "triaged_rejected", "triaged_signposted"])]
    assert ends["referral"].is_unique
    position = trace.reset_index().groupby("referral")["index"].max()
    assert (position.loc[ends["referral"]].to_numpy() == ends.index.to_numpy()).all()
    assert set(trace.columns) >= {"replication", "referral", "day", "date", "event", "priority", "pathway"}


def test_tracing_changes_no_monthly_figure(traced):
    config, _, monthly, _ = traced
    untraced = run_replications(config, 3, 4, workers=1)
    plain = untraced[untraced["replication"] == 2].drop(columns="replication").reset_index(drop=True)
    pd.testing.assert_frame_equal(plain, monthly, check_exact=True)


def test_cli_writes_traces_only_when_asked(tmp_path):
    base = ["run", str(EXAMPLE / "baseline.yaml"), "-n", "2", "-s", "1", "--backend", "serial", "-o"]
    result = CliRunner().invoke(app, [*base, str(tmp_path / "plain")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "plain" / "trace").exists()
    result = CliRunner().invoke(app, [*base, str(tmp_path / "traced"), "--trace"])
    assert result.exit_code == 0, result.output
    parts = sorted((tmp_path / "traced" / "trace").glob("trace_*.csv"))
    trace = pd.concat([pd.read_csv(p) for p in parts])
    monthly = pd.read_csv(tmp_path / "traced" / "monthly.csv")
    assert sorted(trace["replication"].unique()) == [0, 1]
    assert (trace["event"] == "attended_first").sum() == monthly["first_contacts"].sum()
