"""Take it away: each scenario as YAML the CLI re-runs identically, the board table and the report."""

import streamlit as st

from sim.engine.scenario import ConfigError
from sim.web.answers import STALE, is_stale
from sim.web.downloads import comparison_files
from sim.web.labels import goal_words
from sim.web.questions import error_choice, read_goal, with_goal
from sim.web.ui import asked_job, run_settings, show_problems, workspace
from sim.web.workspace import DRAWS_NAME

st.title("Take it away")
space = workspace()
settings = run_settings()
st.subheader("Scenario files")
st.write(
    "Each file holds the whole service with the scenario's changes, ready for an analyst: run with "
    f"{settings['reps']} replications and seed {settings['seed']} it gives the numbers shown here."
)
for name in space.names():
    try:
        text = space.scenario_yaml(name, settings["reps"], settings["seed"])
    except ConfigError as error:
        show_problems(error)
        continue
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    st.download_button(
        f"Download {name}.yaml", text, file_name=f"{stem}.yaml", mime="application/x-yaml", key=f"yaml-{name}"
    )

draws = space.draws_file()
if draws is not None and draws.is_file():  # the app's own copy, put there by Calibrate
    st.download_button(
        f"Download {DRAWS_NAME}", draws.read_bytes(), file_name=DRAWS_NAME, mime="text/csv", key="draws"
    )
    st.caption("The calibrated settings each replication draws from: save it beside the YAML files.")

st.subheader("Board table and report")
asked, job = asked_job(space, "compare")
if job is None or job.running or job.result is None:
    st.info("Run a comparison on the Run and compare page first.")
    st.stop()
if is_stale(space, asked):
    st.warning(f"Out of date: {STALE} (Run and compare page)", icon=":material/update:")
files = st.session_state.get("files")
# The Run page's "Include the model's real-world error" choice (on unless it was unticked there).
include_error = bool(st.session_state.get("goal_model_error", True))
if files is None or files[0] != (job.key, space.goal, include_error):
    result = error_choice(job.result, include_error)  # bands with model error unless unticked
    if space.goal:
        try:
            result = with_goal(result, read_goal(space.goal), include_error)
        except ConfigError as error:
            show_problems(error)
    with st.spinner("Writing the board table and report..."):
        files = ((job.key, space.goal, include_error), comparison_files(result, space.actuals))
    st.session_state["files"] = files
content = files[1]
st.download_button(
    "Download board_table.xlsx",
    content["board_table.xlsx"],
    file_name="board_table.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
st.download_button(
    "Download board_table.csv", content["board_table.csv"], file_name="board_table.csv", mime="text/csv"
)
st.download_button("Download report.html", content["report.html"], file_name="report.html", mime="text/html")
st.download_button(
    "Download manifest.json",
    content["manifest.json"],
    file_name="manifest.json",
    mime="application/json",
    help="What was run (scenarios, seed, replications, goal): enough to reproduce the numbers.",
)
if space.goal:
    try:
        words = goal_words(read_goal(space.goal))
    except ConfigError:
        words = space.goal
    st.caption(f"The goal ({words}) and each scenario's chance of meeting it are in all three files.")
