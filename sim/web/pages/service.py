"""Service: the baseline (example or uploaded), its assumptions as tables, and the key values."""

import streamlit as st

from sim.engine.scenario import ConfigError, validate
from sim.web import charts, position, session, tables
from sim.web.checks import drawn_fields, drawn_problems, form_problems
from sim.web.fields import label_for
from sim.web.labels import day, role_name
from sim.web.store import export_text, from_state, import_text, to_state
from sim.web.ui import field_input, refuse, show_problems, workspace
from sim.web.uploads import read_scenario_upload, safe_name
from sim.web.workspace import Workspace

st.title("Service")
space = workspace()


def current_position(space: Workspace) -> None:
    """The list now, the count over the target and the trend: what a planner asks first."""
    found = position.current_position(space, session.uploads())
    with top.container(border=True):
        st.subheader("Where the list stands")
        charted = found.trend is not None and len(found.trend.frame) > 1
        text, chart = st.columns([3, 2]) if charted else (st, None)
        for line in position.headline(found):
            text.markdown(line)
        if trend := position.trend_sentence(found):
            text.markdown(trend)
        if chart is not None:
            figure = position.trend_figure(found.trend, found.target_weeks)
            chart.plotly_chart(figure, key="chart-position")


# Drawn first but filled last, so it shows the service after this run's edits and uploads.
top = st.empty()


def keep_answers(old: Workspace, new: Workspace) -> Workspace:
    """A new baseline in the same workspace: earlier answers stay, marked out of date."""
    new.asked, new.goal = old.asked, old.goal
    return new


with st.expander(f"Workspace: {session.current().name} (saved as you work)"):
    saved = session.current()
    left, right = st.columns(2)
    name = left.text_input("Name of this workspace", value=saved.name, key=f"ws-name-{saved.id}")
    if name.strip() and name.strip() != saved.name:
        session.save(name.strip())
        st.rerun()
    listed = session.workspace_store().list()
    picked = right.selectbox(
        "Saved workspaces",
        listed,
        index=next((i for i, s in enumerate(listed) if s.id == saved.id), 0),
        format_func=lambda s: f"{s.name} (saved {day(s.updated)} {s.updated[11:16]} UTC)",
    )
    buttons = right.columns(2)
    if buttons[0].button("Open", disabled=picked is None or picked.id == saved.id):
        session.switch(picked.id)
        st.rerun()
    if buttons[1].button("New workspace"):
        session.switch(space=session.starting_workspace())
        st.rerun()
    left.download_button(
        "Export this workspace (one JSON file)",
        export_text(saved.name, to_state(space, session.uploads())),
        file_name=f"{safe_name(saved.name, 'workspace')}.json",
        mime="application/json",
    )
    imported = left.file_uploader("Import a workspace file (JSON)", type=["json"], key="ws-import")
    if imported is not None and st.session_state.get("ws-imported") != imported.file_id:
        st.session_state["ws-imported"] = imported.file_id
        try:
            title, state = import_text(imported.getvalue())
            incoming, _ = from_state(state)
        except ConfigError as error:
            show_problems(error)
        else:
            session.switch(space=incoming, name=title)
            st.rerun()
    st.caption(
        f"This workspace's address opens it again (it ends ?ws={saved.id}); answers worked out here come "
        "back with it."
    )

with st.expander("Start from another baseline"):
    left, right = st.columns(2)
    if left.button("Use the example service"):
        st.session_state["workspace"] = space = keep_answers(space, Workspace.example())
        st.success("Loaded the example service.")
    upload = right.file_uploader("Upload a baseline YAML (a whole service)", type=["yaml", "yml"])
    if upload is not None and st.session_state.get("uploaded") != upload.file_id:
        try:
            document = read_scenario_upload(upload.name, upload.getvalue())
            validate(dict(document), upload.name)
        except ConfigError as error:
            show_problems(error)
        else:
            st.session_state["workspace"] = space = keep_answers(space, Workspace(document, upload.name))
            st.session_state["uploaded"] = upload.file_id
            st.success(f"Loaded {upload.name}.")

config = space.config()
st.caption(
    f"**{config.service.name}** ({space.source}): from {config.service.start_date.day} "
    f"{config.service.start_date:%B %Y} for "
    f"{config.service.horizon_months} months; target {config.service.rtt_target_weeks:g} weeks; "
    f"{config.service.nation.replace('_', ' ').title()} bank holidays."
)

with st.form("key_values"):
    st.subheader("Key values")
    values, groups, slots = {}, {}, {}
    entries = [(path, spec) for _, path, spec in tables.key_values(space.document)]
    drawn = drawn_fields(config)
    shown = {path: tables.current(space.document, path, spec) for path, spec in entries}
    if named := [spec.label for path, spec in entries if path in drawn]:
        st.caption(
            f"{', '.join(named)}: drawn from their fitted ranges in every simulated future, so the forecast "
            "carries their uncertainty. Plan changes to them as scenarios."
        )
    for group, path, spec in tables.key_values(space.document):
        groups.setdefault(group, []).append((path, spec))
    columns = st.columns(len(groups))
    for column, (group, items) in zip(columns, groups.items(), strict=True):
        with column:
            st.markdown(f"**{group}**")
            for path, spec in items:
                values[path] = field_input(spec, tables.current(space.document, path, spec), f"kv-{path}")
                slots[path] = st.empty()
    if st.form_submit_button("Apply changes", type="primary") and not refuse(
        slots, form_problems(entries, values) | drawn_problems(entries, values, shown, drawn)
    ):
        try:
            config = space.with_values(values)
        except ConfigError as error:
            show_problems(error)
        else:
            st.success("Changes applied: the service is valid.")

with st.expander("Every job-plan setting"):
    role = st.selectbox("Role", list(space.document.get("job_plans", {})), format_func=role_name)
    with st.form("job_plan"):
        chosen, plan_slots, plan_entries = {}, {}, []
        for spec in tables.job_plan_specs(key_only=False):
            path = f"job_plans.{role}.{spec.path}"
            chosen[path] = field_input(spec, tables.current(space.document, path, spec), f"jp-{path}")
            plan_slots[path] = st.empty()
            plan_entries.append((path, spec))
        current = {path: tables.current(space.document, path, spec) for path, spec in plan_entries}
        problems = drawn_problems(plan_entries, chosen, current, drawn_fields(config))
        if st.form_submit_button("Apply job-plan changes") and not refuse(
            plan_slots, form_problems(plan_entries, chosen) | problems
        ):
            try:
                config = space.with_values(chosen)
            except ConfigError as error:
                show_problems(error)
            else:
                st.success(f"{role_name(role)}: job plan updated.")

st.subheader("Assumptions")
tabs = st.tabs(["Referrals", "Triage", "Pathways", "Job plans", "Staff in post", "Starting list"])
with tabs[0]:
    demand = config.demand
    scaled = demand.multiplier - 1
    volume = "" if abs(scaled) < 5e-4 else f", then {abs(scaled):.0%} {'more' if scaled > 0 else 'fewer'}"
    st.write(
        f"{demand.monthly_rate:g} referrals a month before seasonality, {demand.annual_trend:+.0%} a year"
        f"{volume}."
    )
    referrals = tables.referrals(config)
    table, chart = st.columns([2, 3])
    table.dataframe(referrals, hide_index=True, height=35 * (len(referrals) + 1) + 3)  # all 12 months
    # Also loads the chart library with the first page, not during the first run.
    chart.plotly_chart(charts.referrals_figure(referrals), key="chart-referrals")
    left, right = st.columns(2)
    left.dataframe(tables.shares(demand.sources, "source"), hide_index=True)
    right.dataframe(tables.shares(demand.priorities, "priority"), hide_index=True)
with tabs[1]:
    st.write(f"{config.triage.minutes_per_referral:g} clinician minutes to triage a referral.")
    st.dataframe(tables.shares(config.triage.outcomes, "triage outcome"), hide_index=True)
with tabs[2]:
    st.dataframe(tables.pathways(config), hide_index=True)
    st.dataframe(tables.appointment_types(config), hide_index=True)
with tabs[3]:
    table = tables.job_plans(config)
    table["setting"] = table["setting"].map(label_for)
    st.dataframe(table, hide_index=True)
with tabs[4]:
    st.dataframe(tables.staff(config), hide_index=True)
with tabs[5]:
    st.dataframe(tables.starting_list(config), hide_index=True)
    st.write(
        f"{config.initial_state.awaiting_triage} awaiting triage; "
        f"{config.initial_state.followup_caseload} in follow-up."
    )

# Analysts read the model in its own terms: the whole service file, one click away.
with st.expander("The service file (YAML, for analysts)"):
    try:
        st.code(space.scenario_yaml("baseline"), language="yaml")
    except ConfigError as error:
        show_problems(error)

current_position(st.session_state["workspace"])
