"""The explorer speaks a planner's language: no page shows the model's own words.

Each page is rendered with Streamlit's AppTest, with answers worked out where the page has them,
and everything it shows (text, widget labels and options, table headers and cells) is searched
for dotted settings, snake_case names, CLI options, shell commands and ISO months. File names
(``board_table.xlsx``) and code spans (a file format's column names) are allowed; so is the
service file itself, which analysts open on purpose (``st.code``).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from test_web_pages import button, finish, page, workspaces_folder  # noqa: F401 - the fixture too

from sim.web.fit_words import checks_table, fitted_table, warning_words
from sim.web.workspace import Workspace

FILE = re.compile(r"\b[\w.-]+\.(?:yaml|yml|csv|json|html|xlsx|gz)\b")
CODE = re.compile(r"`[^`]*`")
JARGON = {
    "a dotted setting": re.compile(r"\b[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*\b"),
    "a snake_case name": re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b"),
    "a CLI option": re.compile(r"(?<![\w-])--[a-z]"),
    "a shell command": re.compile(r"\bdcsim (?:run|compare|calibrate|solve|app|sweep|report)\b"),
    "an ISO month": re.compile(r"\b\d{4}-\d{2}\b"),
}
ALLOWED = ("e.g.", "i.e.")


def shown_texts(test) -> list[str]:
    """Everything the page shows a planner, as strings (help tooltips and st.code aside)."""
    texts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
    ):
        texts += [str(e.value) for e in getattr(test, kind)]
    for kind in ("number_input", "text_input", "date_input", "checkbox", "toggle", "button", "slider"):
        texts += [str(w.label) for w in getattr(test, kind)]
    for kind in ("selectbox", "multiselect"):
        for widget in getattr(test, kind):
            texts += [str(widget.label), *[str(o) for o in widget.options]]
    texts += [str(t.label) for t in test.tabs] + [str(e.label) for e in test.expander]
    for chart in test.get("plotly_chart"):  # chart titles, axis titles and legend names
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        texts += [str(layout.get(k, {}).get("title", {}).get("text", "")) for k in ("xaxis", "yaxis")]
        texts += [str(layout.get("title", {}).get("text", ""))]
        texts += [str(t["name"]) for t in spec["data"] if t.get("name") and t.get("showlegend", True)]
    for table in test.dataframe:
        frame: pd.DataFrame = table.value
        texts += [str(c) for c in frame.columns]
        for column in frame.columns:
            if frame[column].dtype == object:
                texts += [str(v) for v in frame[column]]
    return texts


def legend_names(test) -> set[str]:
    """The scenario names the page's charts show in their legends."""
    return {
        str(t["name"])
        for chart in test.get("plotly_chart")
        for t in json.loads(chart.proto.spec)["data"]
        if t.get("name") and t.get("showlegend", True)
    }


def jargon(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        plain = FILE.sub("", CODE.sub("", text))
        for allowed in ALLOWED:
            plain = plain.replace(allowed, "")
        found += [
            f"{what}: {m.group(0)!r} in {text[:120]!r}"
            for what, rx in JARGON.items()
            for m in rx.finditer(plain)
        ]
    return found


def test_every_page_speaks_a_planners_language():
    space = Workspace.example()
    space.add_scenario("More posts")
    space.add_change("More posts", {"date": dt.date(2024, 10, 1), "add_staff": {"role": "band6", "wte": 2.0}})
    space.add_change("More posts", {"date": dt.date(2025, 1, 1), "set": {"demand.multiplier": 1.25}})
    found: dict[str, list[str]] = {}

    service = page("service", space)
    found["service"] = jargon(shown_texts(service))
    share = service.number_input(key="kv-appointment_types.assessment.dna_rate")
    assert share.label.endswith("(%)") and share.value == pytest.approx(8.0)  # 8%, not 0.08

    found["scenarios"] = jargon(shown_texts(page("scenarios", space, editing="More posts")))

    run = page("run", space)
    run.number_input[0].set_value(4)
    button(run, "Run").click().run()
    run = finish(run, "compare")
    button(run, "Work out P(goal)").click().run()
    found["run"] = jargon(shown_texts(run))
    legend = legend_names(run)
    assert "Do nothing (current service)" in legend and "More posts" in legend  # titles, as the report
    assert "baseline" not in legend  # not the workspace's name for it (nor a file name)

    capacity = page("capacity", space)
    capacity.number_input(key="cap-high").set_value(1.0)
    capacity.number_input(key="cap-step").set_value(1.0)
    capacity.number_input(key="cap-reps").set_value(10)
    button(capacity, "Find the capacity needed").click().run()
    found["capacity"] = jargon(shown_texts(finish(capacity, "capacity")))

    found["takeaway"] = jargon(shown_texts(page("takeaway", space)))
    problems = [f"{k}: {line}" for k, v in found.items() for line in v]
    assert not problems, "\n".join(problems)


def test_the_fit_reads_in_words():
    """The Calibrate page's tables and warnings (the fit itself is driven in test_web_pages)."""
    fitted = pd.DataFrame(
        {
            "parameter": ["job_plans.band6.non_clinical_share"],
            **{k: [0.3] for k in ("before", "estimate", "median", "low", "high", "bound_low", "bound_high")},
            "share_of_bounds": [0.2],
        }
    )
    checks = pd.DataFrame(
        {"series": ["projected_breaches"], "metric": ["breaches"], "fitted": [True], "months": [12]}
        | {k: [0.5] for k in ("mae", "bias", "coverage_80", "rms_change", "rms_change_p10")}
    )
    warnings = [warning_words("the posterior rests on few effective draws (4); raise --draws")]
    share = "job_plans.band6.non_clinical_share"
    warnings.append(warning_words(f"{share}: the best-fitting value lies outside"))
    warnings += [
        warning_words(f"{share}: the best-fitting value 0.1997 lies outside its posterior range; the model"),
        warning_words(f"{share}: the estimate is at a bound of the search; widen --bounds"),
        warning_words("projected_breaches: only 40% of fitted months lie inside the 10-90% band"),
        warning_words("breaches: it moves more; see docs/modelling-guide.md, Month-to-month variability"),
        warning_words(f"{share}: not pinned down; fit more series (waiting, first_contacts)"),
    ]
    texts = [*fitted_table(fitted).columns, *fitted_table(fitted)["setting"], *checks_table(checks).columns]
    assert not jargon([*texts, *warnings, *checks_table(checks)["reported figures"]])
    assert fitted_table(fitted)["fitted"][0] == "30%"
    assert "'Draws for the ranges'" in warnings[0]
    assert "the best fit, 20%," in warnings[2] and "0.1997" not in warnings[2]  # a share, as a percentage
    assert not [w for w in warnings if "posterior" in w or "docs/" in w]
