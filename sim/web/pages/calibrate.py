"""Calibrate: fit unpublished settings to reported monthly figures; see the fit, the ranges of the
kept parameter draws and the forecast conditioned on the reported months; take the files away."""

import streamlit as st

from calibration.ranges import draw_ranges
from sim.engine.scenario import ConfigError
from sim.reports.setting_words import plain_paths, setting_name
from sim.runs.regression_adjustment import MAX_DISTANCE
from sim.web import answers, charts, labels, questions
from sim.web.calibrated import start_conditioned
from sim.web.fit_words import checks_table, fitted_table, ranges_table, series_words, warning_words
from sim.web.ui import asked_job, finished_result, run_settings, show_problems, stale_note, workspace
from sim.web.uploads import read_monthly_upload

st.title("Calibrate")
space = workspace()
st.write(
    "Upload the monthly figures the service reported (a CSV file: a `month` column and any of "
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
st.dataframe(labels.months_table(history), hide_index=True)

with st.form("fit"):
    params = st.multiselect(
        "Settings to fit",
        questions.fit_candidates(space),
        default=questions.fit_candidates(space)[1:2],
        format_func=setting_name,
    )
    targets = {}
    options = questions.fit_targets(history)
    columns = st.columns(max(1, len(options)))
    for column, (metric, choices) in zip(columns, options.items(), strict=False):
        picked = column.selectbox(
            f"Fit simulated {labels.metric_name(metric).lower()} to",
            ["(not fitted)", *choices],
            index=1,
            key=f"target-{metric}",
            format_func=lambda c: c if c.startswith("(") else f"reported {series_words(c).lower()}",
        )
        if picked != "(not fitted)":
            targets[metric] = picked
    cols = st.columns(3)
    reps = cols[0].number_input("Replications per evaluation", min_value=2, max_value=50, value=4)
    draws = cols[1].number_input("Draws for the ranges", min_value=20, max_value=2000, value=150, step=10)
    forecast = cols[2].number_input("Forecast replications", min_value=10, max_value=500, value=50, step=10)
    pressed = st.form_submit_button("Fit", type="primary")


def ask(params: list[str], targets: dict[str, str], reps: int, seed: int, draws: int, forecast: int) -> None:
    job = questions.start_fit(space, history, params, targets, reps, seed, draws, forecast)
    request = {"params": params, "targets": targets, "reps": reps, "seed": seed, "draws": draws}
    request |= {"forecast": forecast, "basis": answers.service_key(space)}
    space.asked["fit"] = answers.Asked("fit", job.key, request)


if pressed:
    try:
        ask(params, targets, int(reps), run_settings()["seed"], int(draws), int(forecast))
    except ConfigError as error:
        show_problems(error)

asked, job = asked_job(space, "fit")
if job is None:
    st.stop()
if not job.running:
    again = {k: v for k, v in asked.request.items() if k != "basis"}
    stale_note(space, asked, lambda: ask(**again), "the fit")
answer = finished_result(job, "Fit steps done")
result, files = answer.fit, answer.files
st.subheader("Fitted settings and their 90% ranges")
st.dataframe(fitted_table(result.table), hide_index=True)
for warning in result.warnings:
    st.warning(warning_words(warning))

st.subheader("Kept parameter draws")
draws = files.draws_table()
st.write(
    f"{len(draws)} draws of the fitted settings were kept. A run of the calibrated scenario gives "
    "each replication one of them (in proportion to its weight), so its bands carry this uncertainty."
)
st.dataframe(ranges_table(draw_ranges(draws)), hide_index=True)
cols = st.columns(3)
cols[0].download_button(
    "Download calibrated.yaml", files.read(files.scenario.name), file_name=files.scenario.name,
    mime="application/x-yaml",
)  # fmt: skip
cols[1].download_button(
    "Download parameter_draws.csv", files.read(files.draws.name), file_name=files.draws.name, mime="text/csv"
)
cols[2].download_button(
    "Download baseline.yaml", files.read(files.baseline.name),
    file_name=files.baseline.name, mime="application/x-yaml",
)  # fmt: skip
st.caption(
    f"Save the three files together ({files.scenario.name} builds on baseline.yaml): an analyst re-runs "
    "the calibrated service from them, with the reported figures, to the forecast below."
)
if st.button("Use the fitted values in the service"):
    try:
        space.with_draws(dict(result.estimate), files.draws)
        asked.request["basis"] = answers.service_key(space)  # the service now is this fit's answer
        st.success(
            "The service now uses the fitted values, and every later run in the app draws the fitted "
            "settings from the kept parameter draws."
        )
    except ConfigError as error:
        show_problems(error)

st.subheader("Forecast")
CALIBRATED = {"calibrated": "Calibrated service"}  # the fit's name for its scenario, in the legend
st.dataframe(checks_table(result.checks), hide_index=True)
metric = next(iter(result.info["targets"]), "breaches")
name = labels.metric_name(metric)
left, right = st.columns(2)
left.plotly_chart(
    charts.fan_figure(
        result.summary if result.start_summary is None else result.start_summary,
        metric,
        f"{name}: from the start",
        actuals=charts.observed(history, metric),
        plan=charts.observed(history, f"projected_{metric}"),
        shown=CALIBRATED,
    ),
    use_container_width=True,
)
forecast_reps = int(result.info["forecast_reps"])
with right:
    conditioned = finished_result(
        start_conditioned(files, history, forecast_reps, result.info["seed"]), "Candidate replications run"
    )
    right.plotly_chart(
        charts.fan_figure(
            conditioned.summary,
            metric,
            f"{name}: from the reported months",
            actuals=charts.observed(history, metric),
            shown=CALIBRATED,
        ),
        use_container_width=True,
    )
info = conditioned.manifest["conditioning"]
st.caption(
    f"Left: the calibrated service from the starting list, each simulated future with its own draw of the "
    f"fitted settings (the checks above). Right: the same service run on from the reported months to "
    f"{labels.month(info['cut_off'])}: {info['candidates']} simulated futures were weighted by how well "
    f"they match the reported figures, and {forecast_reps} drawn from them (in effect "
    f"{info['effective_sample_size']:.0f} distinct futures), each shifted to start from the last reported "
    "figure"
    + (
        " and adjusted for how far it had been from the reported figures."
        if info.get("regression_adjustment", {}).get("applied")
        else "."
    )
)
if info["effective_sample_size"] < info["min_effective_sample_size"]:
    st.warning(
        f"Few distinct simulated futures carry the band on the right (in effect "
        f"{info['effective_sample_size']:.0f}, fewer than {info['min_effective_sample_size']:g}): "
        "raise 'Forecast replications' and fit again."
    )
adjustment = info.get("regression_adjustment", {})
if adjustment.get("distance_of_reported_figures_sd", 0.0) > MAX_DISTANCE:
    st.warning(f"Not adjusted towards the reported figures: {plain_paths(adjustment['why'])}.")
