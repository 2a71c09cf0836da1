"""Calibrate: fit unpublished settings to reported monthly figures; see the fit and the ranges."""

import streamlit as st

from sim.engine.scenario import ConfigError
from sim.web import charts, questions
from sim.web.jobs import STORE
from sim.web.ui import finished_result, run_settings, show_problems, workspace
from sim.web.uploads import read_monthly_upload

st.title("Calibrate")
space = workspace()
st.write(
    "Upload the monthly figures the service reported (CSV with a `month` column and any of "
    "`breaches`, `waiting`, `referrals`, `first_contacts`, `projected_breaches`). The settings you "
    "pick are fitted so the simulated months match them; the ranges show how well the figures pin "
    "them down, and the forecast carries that uncertainty."
)
upload = st.file_uploader("Reported monthly figures (CSV)", type=["csv"], key="history_upload")
if upload is not None and st.session_state.get("history_file") != upload.file_id:
    try:
        st.session_state["history"] = read_monthly_upload(upload.name, upload.getvalue())
        st.session_state["history_file"] = upload.file_id
    except ConfigError as error:
        show_problems(error)
history = st.session_state.get("history")
if history is None:
    st.stop()
st.dataframe(history, hide_index=True)

with st.form("fit"):
    params = st.multiselect(
        "Settings to fit", questions.fit_candidates(space), default=questions.fit_candidates(space)[1:2]
    )
    targets = {}
    options = questions.fit_targets(history)
    columns = st.columns(max(1, len(options)))
    for column, (metric, choices) in zip(columns, options.items(), strict=False):
        picked = column.selectbox(
            f"Fit simulated {metric} to", ["(not fitted)", *choices], index=1, key=f"target-{metric}"
        )
        if picked != "(not fitted)":
            targets[metric] = picked
    cols = st.columns(3)
    reps = cols[0].number_input("Replications per evaluation", min_value=2, max_value=50, value=4)
    draws = cols[1].number_input("Draws for the ranges", min_value=20, max_value=2000, value=150, step=10)
    forecast = cols[2].number_input("Forecast replications", min_value=10, max_value=500, value=50, step=10)
    pressed = st.form_submit_button("Fit", type="primary")
if pressed:
    try:
        job = questions.start_fit(
            space, history, params, targets, int(reps), run_settings()["seed"], int(draws), int(forecast)
        )
        st.session_state["fit_key"] = job.key
    except ConfigError as error:
        show_problems(error)

job = STORE.get(st.session_state.get("fit_key", ""))
if job is None:
    st.stop()
result = finished_result(job, "Fit steps done")
st.subheader("Fitted settings and their 90% ranges")
st.dataframe(result.table, hide_index=True)
for warning in result.warnings:
    st.warning(warning)
metric = next(iter(result.info["targets"]), "breaches")
figure = charts.fan_figure(
    result.summary,
    metric,
    f"Forecast of {metric} with the fitted ranges",
    actuals=charts.observed(history, metric),
    plan=charts.observed(history, f"projected_{metric}"),
)
st.plotly_chart(figure, use_container_width=True)
st.subheader("How the forecast agrees with the reported figures")
st.dataframe(result.checks, hide_index=True)
if st.button("Use the fitted values in the service"):
    try:
        space.with_values(dict(result.estimate))
        st.success("The service now uses the fitted values.")
    except ConfigError as error:
        show_problems(error)
