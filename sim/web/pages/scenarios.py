"""Scenarios: named scenarios built from dated changes picked from a menu in plain words."""

import datetime as dt
import html

import streamlit as st

from sim.engine.config import Event
from sim.engine.scenario import ConfigError
from sim.reports.report_sections import describe_event
from sim.web.changes import menu
from sim.web.checks import change_problems, horizon
from sim.web.labels import day, role_name
from sim.web.ui import ANY_DAY, field_input, refuse, show_problems, workspace

CHANGE_KEYS = ("change_from", "change_until", "change_label", "change-")

st.title("Scenarios")
space = workspace()
config = space.config()
st.write(
    "Each scenario is the baseline service plus dated changes. They run side by side on the same "
    "random numbers, so differences between them are the effect of the changes."
)

with st.form("new_scenario", clear_on_submit=True):
    name = st.text_input("New scenario name", placeholder="e.g. Three Band 6 posts from October")
    if st.form_submit_button("Add scenario"):
        try:
            space.add_scenario(name)
            st.session_state["editing"] = name.strip()
        except ConfigError as error:
            show_problems(error)

if not space.scenarios:
    st.info("No scenarios yet: name one above, then add its changes.")
    st.stop()

names = [s.name for s in space.scenarios]
current = st.session_state.get("editing")
editing = st.selectbox("Scenario", names, index=names.index(current) if current in names else 0)
scenario = space.scenario(editing)

st.subheader(f"Changes in {editing}")
if not scenario.events:
    st.caption("No changes yet: this scenario is the baseline until you add one.")
for position, event in enumerate(list(scenario.events)):
    left, right = st.columns([6, 1])
    words = html.unescape(describe_event(Event.model_validate(event), space.document))
    until = f" until {day(event['until'])}" if event.get("until") and "until" not in words else ""
    label = f" ({event['label']})" if event.get("label") else ""
    left.write(f"From **{day(event['date'])}**{until}: {words}{label}")
    if right.button("Remove", key=f"remove-{editing}-{position}"):
        scenario.events.pop(position)
        st.rerun()

st.subheader("Add a change")
if st.session_state.get("change_form_for") != editing:  # each scenario starts with an empty form
    for key in [k for k in st.session_state if str(k).startswith(CHANGE_KEYS)]:
        del st.session_state[key]
    st.session_state["change_form_for"] = editing
kinds = menu()
chosen = st.selectbox("What changes", [k.label for k in kinds], key="change_kind")
kind = kinds[[k.label for k in kinds].index(chosen)]
st.caption(kind.explain)
roles = list(config.job_plans)
first_day, last_day = horizon(config)
with st.form("add_change"):
    first, second = st.columns(2)
    date = first.date_input("From", value=first_day, key="change_from", **ANY_DAY)
    slots = {"from": first.empty()}
    until = None
    if kind.until != "no":
        optional = kind.until == "optional"
        until = second.date_input(
            "Until" + (" (optional)" if optional else ""),
            value=None if optional else first_day + dt.timedelta(days=182),
            key="change_until",
            **ANY_DAY,
        )
        slots["until"] = second.empty()
    st.caption(f"The simulation runs from {first_day:%-d %B %Y} to {last_day:%-d %B %Y}.")
    values = {}
    for spec in kind.fields:
        key = f"change-{kind.key}-{spec.path}"
        if spec.path == "role":
            values["role"] = st.selectbox("Role", roles, format_func=role_name, key=key)
        else:
            start = spec.default if spec.default is not None else (1.0 if spec.kind == "number" else None)
            values[spec.path] = field_input(spec, start, key)
        slots[spec.path] = st.empty()
    label = st.text_input("Label shown in reports (optional)", key="change_label")
    if st.form_submit_button("Add change", type="primary"):
        if not refuse(slots, change_problems(kind, date, until, values, config)):
            try:
                space.add_change(editing, kind.event(date, values, until, label or None))
            except ConfigError as error:
                show_problems(error)
            else:
                st.rerun()

if st.button(f"Delete scenario {editing}"):
    space.remove_scenario(editing)
    st.session_state.pop("editing", None)
    st.rerun()
