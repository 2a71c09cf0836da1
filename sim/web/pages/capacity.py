"""Capacity needed: what WTE of which role, from when, meets a goal with what confidence."""

import streamlit as st

from sim.engine.scenario import ConfigError
from sim.web import answers, charts, checks, labels, questions
from sim.web.ui import (
    ANY_DAY,
    asked_job,
    finished_result,
    refuse,
    run_settings,
    show_problems,
    stale_note,
    workspace,
)

st.title("Capacity needed")
space = workspace()
config = space.config()
settings = run_settings()
months = questions.month_labels(config)
try:  # each scenario by its title, as the Run page and the report name it
    named = labels.scenario_names(space.run_scenarios())
except ConfigError:
    named = {}
st.write(
    "How many whole-time equivalents of a role, in post from a date, reach a goal with the "
    "confidence you ask for? Each number of posts tried runs on the same random numbers."
)

with st.form("capacity"):
    top = st.columns(4)
    scenario = top[0].selectbox("Starting from", space.names(), format_func=lambda n: named.get(n, n))
    role = top[1].selectbox(
        "Role", list(config.job_plans), index=min(1, len(config.job_plans) - 1), format_func=labels.role_name
    )
    start = top[2].date_input("Posts start recruiting on", value=config.service.start_date, **ANY_DAY)
    start_slot = top[2].empty()
    lag = top[3].number_input(
        "Recruitment lag (weeks)", min_value=0.0, max_value=156.0, value=0.0, format="%g"
    )
    goal_cols = st.columns(4)
    metric = goal_cols[0].selectbox(
        "Measure", [*questions.TRAJECTORY_METRICS, *questions.WEEKS_METRICS], format_func=labels.metric_name
    )
    words = goal_cols[1].selectbox("is", list(questions.OPERATORS))
    threshold = goal_cols[2].number_input("Number", min_value=0.0, value=0.0, format="%g")
    month = goal_cols[3].selectbox(
        "By the end of", months, index=min(20, len(months) - 1), format_func=labels.month
    )
    grid = st.columns(5)
    confidence = grid[0].slider("Confidence", 50, 99, 90, 1, format="%d%%") / 100
    low = grid[1].number_input("Fewest WTE tried", min_value=0.0, value=0.0, format="%g")
    high = grid[2].number_input("Most WTE tried", min_value=0.5, value=6.0, format="%g", key="cap-high")
    step = grid[3].number_input("Step", min_value=0.1, value=0.5, format="%g", key="cap-step")
    reps = grid[4].number_input(
        "Replications per try", min_value=10, max_value=1000, value=40, step=10, key="cap-reps"
    )
    include_error = st.checkbox(
        "Include the model's real-world error",
        value=True,
        key="cap-model-error",
        help="Each future counts only if it meets the goal once a draw of how far dcsim's forecasts have "
        "missed real community health services is added (off: the simulation alone).",
    )
    pressed = st.form_submit_button("Find the capacity needed", type="primary")


def ask(question: questions.CapacityQuestion, reps: int, seed: int) -> None:
    job = questions.start_capacity(space, question, reps, seed)
    space.asked["capacity"] = answers.Asked(
        "capacity", job.key, answers.capacity_request(question, reps, seed)
    )


if pressed and refuse({"start": start_slot}, checks.dated("start", start, config)):
    pressed = False
if pressed:
    question = questions.CapacityQuestion(
        scenario,
        role,
        start,
        float(lag),
        questions.goal_text(metric, words, threshold, "by", month),
        float(confidence),
        float(low),
        float(high),
        float(step),
        bool(include_error),
    )
    try:
        ask(question, int(reps), settings["seed"])
    except ConfigError as error:
        show_problems(error)

asked, job = asked_job(space, "capacity")
if job is None:
    st.stop()
question = answers.capacity_question(asked.request)
if not job.running:
    stale_note(
        space,
        asked,
        lambda: ask(question, asked.request["reps"], asked.request["seed"]),
        "the capacity question",
    )
result = finished_result(job, "Replications run")
st.success(questions.capacity_sentence(result, question))
left, right = st.columns(2)
left.plotly_chart(
    charts.solve_figure(
        result.evaluations, question.confidence, f"{labels.role_name(question.role)} WTE added"
    ),
    use_container_width=True,
)
answer = result.run.summary
# The run drawn is at the answer, or with none at the most helpful number tried: named by the
# posts it adds, never by the solver's own name for it ("baseline[events.0.add_staff.wte=4]").
tried = result.evaluations["value"]
drawn = result.value if result.value is not None else (tried.max() if result.rising else tried.min())
if "scenario" in answer:
    starting = named.get(question.scenario, question.scenario)
    answer = answer.assign(scenario=f"{starting} + {drawn:g} WTE {labels.role_name(question.role)}")
right.plotly_chart(
    charts.fan_figure(
        answer,
        result.goal.metric,
        "Trajectory at the answer" if result.value is not None else f"Trajectory at {drawn:g} WTE added",
        goal_line=result.goal.threshold,
    ),
    use_container_width=True,
)
st.dataframe(labels.tries_table(result.evaluations, labels.role_name(question.role)), hide_index=True)
