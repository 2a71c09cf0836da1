"""Run and compare: replications and seed, progress, interactive charts, board table, P(goal)."""

import dataclasses
import time

import streamlit as st

from sim.api import board_table
from sim.api import costs as staff_costs
from sim.engine.scenario import ConfigError
from sim.questions.results import note, rests_on_words
from sim.reports.costs import cost_lines
from sim.reports.error_bands import bands_words, error_bands
from sim.reports.goal_text import goal_lines
from sim.web import charts, labels, questions, session
from sim.web.answers import Asked
from sim.web.jobs import STORE
from sim.web.ui import asked_job, finished_result, run_settings, show_problems, stale_note, workspace
from sim.web.uploads import read_monthly_upload

st.title("Run and compare")
space = workspace()
settings = run_settings()
try:  # each scenario by its title, as the board table and the report name it
    named = labels.scenario_names(space.run_scenarios())
except ConfigError:  # a scenario that no longer validates: the Run button says why
    named = {}

with st.form("run"):
    chosen = st.multiselect(
        "Scenarios",
        space.names(),
        default=space.names(),
        format_func=lambda name: named.get(name, name),
        help="The baseline is always run: differences are measured from it.",
    )
    left, right = st.columns(2)
    reps = left.number_input(
        "Replications",
        min_value=1,
        max_value=2000,
        value=settings["reps"],
        step=10,
        help="More replications give tighter bands and take longer.",
    )
    seed = right.number_input(
        "Seed",
        min_value=0,
        value=settings["seed"],
        step=1,
        help="The same seed gives the same numbers, here and with the CLI.",
    )
    pressed = st.form_submit_button("Run", type="primary")
with st.expander("Reported figures to overlay (optional)"):
    upload = st.file_uploader(
        "Reported monthly figures (CSV, one row a month: `month`, then any of `breaches`, `waiting` and "
        "`projected_breaches` for the plan's trajectory)",
        type=["csv"],
    )
if upload is not None and st.session_state.get("actuals_file") != upload.file_id:
    try:
        space.actuals = read_monthly_upload(upload.name, upload.getvalue())
        st.session_state["actuals_file"] = upload.file_id
    except ConfigError as error:
        show_problems(error)


def ask(names: list[str], reps: int, seed: int) -> None:
    """Start the comparison and keep the question with the workspace."""
    job = questions.start_comparison(space.run_scenarios(names), reps, seed)
    space.asked["compare"] = Asked("compare", job.key, {"names": names, "reps": reps, "seed": seed})


if pressed:
    settings.update(reps=int(reps), seed=int(seed))
    try:
        ask(["baseline", *chosen], int(reps), int(seed))
    except ConfigError as error:
        show_problems(error)

asked, job = asked_job(space, "compare")
if job is None:
    st.info("Choose replications and a seed, then press Run.")
    st.stop()
if not job.running:
    stale_note(space, asked, lambda: ask(**asked.request), "the comparison")


LATE = 0.75  # no new provisional drawing beyond this share of the run
REDRAW_SECONDS = 10.0


@st.cache_resource(max_entries=4, show_spinner=False)
def provisional_figure(key: str, batches: int, shown: dict[str, str]):
    """The breach fan of a running comparison's first ``batches`` batches, drawn once per count.

    The progress poll reruns every few seconds; given the same figure the browser keeps the
    rendered chart, where a new figure each poll would never finish rendering.
    """
    provisional = questions.provisional_summary(STORE.get(key), batches)
    if provisional is None:  # finished meanwhile: its batches are released, the answer follows
        return None
    summary, count = provisional
    figure = charts.fan_figure(summary, "breaches", questions.TRAJECTORY_METRICS["breaches"], shown=shown)
    return figure, count


def provisional_chart(running) -> None:
    """The breach fan of the replications finished so far: drawn from the batches in at the
    first poll that has any, then again at most every ``REDRAW_SECONDS`` and not in the last
    quarter of the run, when the answer is near. Each drawing (here and in the browser, about
    0.3 s of CPU) takes CPU from the replications still running on the same cores.
    """
    batches = len(running.batches)
    if not batches:
        return
    key, count, when = st.session_state.get("provisional", ("", 0, 0.0))
    now = time.monotonic()
    if key != running.key or (now - when >= REDRAW_SECONDS and running.fraction < LATE):
        key, count, when = running.key, batches, now
        st.session_state["provisional"] = (key, count, when)
    drawn = provisional_figure(running.key, count, named)
    if drawn is None:
        return
    figure, count = drawn
    st.caption(f"Provisional: from the first {count} replications; the band settles as the rest come in.")
    st.plotly_chart(figure, use_container_width=True, key="chart-provisional")


def goal_takes(result, goal, key: str, shown: dict[str, str]) -> None:
    """What the goal takes: first contacts a month needed, for whom, what each scenario adds.

    Worked out once per answer and goal (about 0.1 s a scenario) and kept for the page's reruns.
    """
    kept = st.session_state.get("goal-capacity")
    if kept is None or kept[0] != (key, goal.text):
        kept = ((key, goal.text), questions.goal_capacity_answer(result, goal))
        st.session_state["goal-capacity"] = kept
    capacity = kept[1]
    st.subheader("What the goal takes")
    lines = goal_lines(capacity, shown)
    if capacity is None:
        st.info(lines[0])
        return
    st.write(lines[0])
    for line in lines[1:]:
        text = line.strip()
        (st.warning if "LOAD WARNING" in text else st.markdown)(text.replace("LOAD WARNING: ", ""))
    st.dataframe(labels.named(labels.goal_capacity_table(capacity.summary), shown), hide_index=True)
    aim = capacity.aim
    chosen = st.selectbox(
        "Who must be seen, by weeks waited, for",
        result.names,
        format_func=lambda name: shown.get(name, name),
        key="goal-bands-scenario",
    )
    bands = labels.goal_bands_table(capacity.bands, chosen, aim.target_weeks, aim.month)
    st.dataframe(bands, hide_index=True)
    st.caption(
        "From the service files: demand and the first contacts the job plans offer, patients seen in "
        "turn; the report explains each figure (Take it away page)."
    )


result = finished_result(job, "Replications run", provisional_chart)
# The bands include the model's real-world error unless "Include the model's real-world error"
# (below, with P(goal)) is unticked: as Take it away's board table and report then say.
include_error = bool(st.session_state.get("goal_model_error", True))
result = questions.error_choice(result, include_error)
shown = labels.scenario_names(result.scenarios)  # as run: the names the board table and report use
months = list(dict.fromkeys(result.summary["month"]))
reps_run = result.manifest["replications"]
st.caption(f"{len(result.names)} scenarios x {reps_run} replications, seed {result.manifest['seed']}.")
# Only the open tab's chart is built and sent (a tab change reruns the page): drawing all
# five in the browser delayed the finished answer by about 0.4 s.
tabs = st.tabs([*questions.TRAJECTORY_METRICS.values(), "Other measures"], key="chart-tab", on_change="rerun")
for tab, (metric, title) in zip(tabs, questions.TRAJECTORY_METRICS.items(), strict=False):
    if not tab.open:
        continue
    actual = charts.observed(space.actuals, metric)
    plan = charts.observed(space.actuals, f"projected_{metric}")
    wide = error_bands(result.comparison, result.manifest, metric)
    figure = charts.fan_figure(
        result.summary, metric, title, result.names, actual, plan, errors=wide, shown=shown
    )
    tab.plotly_chart(figure, use_container_width=True, key=f"chart-{metric}")
    tab.caption(labels.band_words(bands_words(result, shown, metric=metric)))
other = tabs[-1].open and tabs[-1].selectbox(
    "Measure", questions.chart_metrics(result), format_func=labels.metric_name, key="other-measure"
)
if other:
    figure = charts.fan_figure(result.summary, other, labels.metric_name(other), result.names, shown=shown)
    tabs[-1].plotly_chart(figure, use_container_width=True, key="chart-other")

month = st.select_slider("Month", months, value=months[-1], format_func=labels.month)
st.subheader(f"Waiting over the target at the end of {labels.month(month)}")
table = questions.medians(result, month)
for row in table.to_dict("records"):
    middle = labels.band(row["median"], row["10th centile"], row["90th centile"])
    line = f"**{shown.get(row['scenario'], row['scenario'])}**: {middle}"
    wide = [row.get(f"{q} centile {questions.WITH_ERROR}") for q in ("10th", "90th")]
    if wide[0] is not None:  # as dcsim compare's answer line
        line += f"; {labels.number(wide[0])} to {labels.number(wide[1])} with the model's real-world error"
    st.markdown(line)
st.dataframe(labels.named(labels.medians_table(table), shown), hide_index=True)
if (rests := rests_on_words(result.rests_on)) is not None:  # as dcsim compare prints it
    st.markdown(labels.on_page(rests))

st.subheader("Board table")
st.caption(
    "Median breaches at each month end and the middle 80% of futures; reported figures first when "
    f"uploaded. {labels.band_words(bands_words(result, shown))}"
)
if st.toggle(
    "Show staff costs",
    help="Each scenario's staff cost (Agenda for Change pay plus on-costs), "
    "the cost per breach avoided and per extra first contact, as in the report.",
):
    try:
        costed = dataclasses.replace(result, costs=staff_costs(result))
    except ConfigError as error:
        costed = None
        st.caption(f"Staff costs not shown: {error}")
    if costed is not None:
        st.dataframe(labels.month_columns(board_table(costed, space.actuals)), hide_index=True)
        st.markdown(
            "\n".join(
                f"- {line.strip()}"
                for line in cost_lines(costed.costs, result.scenarios, shown)
            )
        )
else:
    st.dataframe(labels.month_columns(board_table(result, space.actuals)), hide_index=True)

st.subheader("Chance of meeting a goal")
with st.form("goal"):
    cols = st.columns(5)
    metric = cols[0].selectbox(
        "Measure", questions.goal_metrics(result), format_func=labels.metric_name, key="goal-measure"
    )
    words = cols[1].selectbox("is", list(questions.OPERATORS))
    threshold = cols[2].number_input("Number", value=0.0, min_value=0.0, format="%g")
    mode = cols[3].selectbox("When", ["by", "from"], help="by: at the end of the month; from: every month on")
    goal_month = cols[4].selectbox("Month", months, index=min(20, len(months) - 1), format_func=labels.month)
    asked = st.form_submit_button("Work out P(goal)")
if asked:
    text = questions.goal_text(metric, words, threshold, mode, goal_month)
    try:
        questions.read_goal(text)
    except ConfigError as error:
        show_problems(error)
    else:
        space.goal = text  # kept: shown whatever the month slider says, and taken away with the report
        # Saved now, not only when the page finishes: what the goal takes is worked out below (a
        # second or more), and a reload meanwhile opened the workspace without the goal.
        session.save()
include_error = st.checkbox(
    "Include the model's real-world error",
    value=True,
    key="goal_model_error",
    help="Each future counts only if it meets the goal once a draw of how far dcsim's forecasts have "
    "missed real community health services is added, and the bands above include it (off: the "
    "simulation alone).",
)
if space.goal:
    try:
        goal = questions.read_goal(space.goal)
        probabilities = questions.goal_probabilities(result, goal, include_error)
    except ConfigError as error:
        show_problems(error)
    else:
        st.write(f"Goal: {labels.goal_words(goal)}.")
        record = questions.error_record(questions.error_table(None if include_error else False))
        target = result.scenarios[0].config.service.rtt_target_weeks
        st.caption(labels.on_page(note(record, goal.metric, target)))
        st.dataframe(labels.named(labels.goal_table(probabilities, result.baseline), shown), hide_index=True)
        st.caption(
            "The goal and these chances are in the report, the workbook and the manifest (Take it away)."
        )
        goal_takes(result, goal, job.key, shown)
