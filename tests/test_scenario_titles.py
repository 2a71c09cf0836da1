"""Every scenario carries its own title: none inherits its baseline's (issue 24 item 5)."""

from __future__ import annotations

import copy

from services import EXAMPLE

from sim.engine.scenario import validate
from sim.engine.sweep import Scenario, load_scenarios
from sim.reports.labels import scenario_labels


def test_a_scenario_built_on_the_baseline_document_is_named_by_its_change():
    base = load_scenarios(EXAMPLE / "baseline.yaml")[0]
    document = copy.deepcopy(base.document)  # as the explorer builds one: baseline + its events
    posts = {"role": "band6", "wte": 2}
    document["events"] = [{"date": "2024-10-01", "label": "Two posts", "add_staff": posts}]
    made = Scenario("Two more Band 6", validate(document, "explorer"), document)
    labels = scenario_labels([base, made])
    assert labels == {"baseline": "Do nothing (current service)", "Two more Band 6": "Two more Band 6"}


def test_a_file_without_a_title_is_named_by_its_file_not_its_baseline(tmp_path):
    (tmp_path / "base.yaml").write_text((EXAMPLE / "baseline.yaml").read_text())
    (tmp_path / "more.yaml").write_text(
        "extends: base.yaml\nevents:\n  - {date: 2024-10-01, add_staff: {role: band6, wte: 1}}\n"
    )
    scenarios = [*load_scenarios(tmp_path / "base.yaml"), *load_scenarios(tmp_path / "more.yaml")]
    assert scenario_labels(scenarios)["more"] == "more"
