"""Streamlit helpers shared by the pages: the session's workspace, inputs from ``FieldSpec``s,
messages in the CLI's words, and a progress bar that polls a background job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from sim.engine.scenario import ConfigError
from sim.reports.setting_words import choice, plain_paths
from sim.web.answers import STALE, Asked, is_stale
from sim.web.fields import FieldSpec, is_share
from sim.web.jobs import STORE, Job
from sim.web.workspace import Workspace

# A poll costs the browser ~0.1 s of CPU (taken from the replications on a 2-core machine);
# the end of a job is not left to the next poll (see ``job_progress``).
POLL_SECONDS = 2.0
# Date inputs take any day a planner types; the page checks it against the simulated period and
# says why it is refused (the widget's own bounds would turn it red and keep the old value).
ANY_DAY = {"min_value": dt.date(1000, 1, 1), "max_value": dt.date(2999, 12, 31)}
WAIT_SECONDS = 1.0  # the longest a poll holds the page while it waits for a job's answer


def workspace() -> Workspace:
    """This browser session's workspace: the one the URL names (``?ws=``), else a new one
    started from the command line's baseline or the example; saved as the planner works."""
    from sim.web import session

    if "workspace" not in st.session_state:
        return session.open_workspace(st.query_params.get(session.QUERY))
    if session.current() is None:  # put in the session directly (tests): saved from now on
        session.adopt(st.session_state["workspace"])
    return st.session_state["workspace"]


def run_settings() -> dict[str, int]:
    """Replications and seed chosen on the Run page (shared by every page that runs)."""
    return st.session_state.setdefault("run_settings", {"reps": 100, "seed": 2024})


def show_problems(error: ConfigError) -> None:
    """A validation failure in a planner's words: one sentence per problem, settings named as the
    page names them rather than by the file's dotted paths (the CLI prints those for analysts)."""
    st.error("\n\n".join(problem_sentence(line) for line in str(error).splitlines() if line.strip()))


def problem_sentence(line: str) -> str:
    """``small.yaml: demand.multiplier: Input should be ...`` -> ``Referral volume multiplier: Input
    should be ...`` (the file the app wrote for itself says nothing to a planner)."""
    head, _, rest = line.partition(": ")
    if rest and head.endswith((".yaml", ".yml", "<scenario>", "<service>")):
        line = rest
    return plain_paths(line)


def field_input(spec: FieldSpec, value: Any, key: str) -> Any:
    """A widget for one schema field, showing ``value``: options in words, shares as percentages
    (the value returned is the share the schema takes)."""
    if is_share(spec):
        shown = st.number_input(
            f"{spec.label} (%)", value=round(float(value or 0.0) * 100, 6), step=1.0, format="%g",
            help=spec.help or None, key=key,
        )  # fmt: skip
        return shown / 100
    if spec.kind == "bool":
        return st.checkbox(spec.label, value=bool(value), help=spec.help or None, key=key)
    if spec.kind == "choice":
        options = list(spec.choices)
        index = options.index(value) if value in options else 0
        return st.selectbox(
            spec.label, options, index=index, format_func=choice, help=spec.help or None, key=key
        )
    if spec.kind == "date":
        return st.date_input(spec.label, value=value, help=spec.help or None, key=key, **ANY_DAY)
    if spec.kind == "text":
        return st.text_input(
            spec.label, value="" if value is None else str(value), help=spec.help or None, key=key
        )
    if spec.kind == "integer":
        return int(
            st.number_input(spec.label, value=int(value or 0), step=1, help=spec.help or None, key=key)
        )
    return st.number_input(
        spec.label, value=float(value or 0.0), step=_step(spec), format="%g", help=spec.help or None, key=key
    )


def refuse(slots: dict[str, Any], problems: dict[str, str]) -> bool:
    """Show each problem in the slot under its widget; True when there were any."""
    for name, sentence in problems.items():
        if name in slots:
            slots[name].error(sentence)
        else:
            st.error(sentence)
    return bool(problems)


def _step(spec: FieldSpec) -> float:
    return 0.01 if spec.high is not None and spec.high <= 1 else 0.1


Preview = Callable[[Job], None]  # draws what a running job has so far


def job_progress(job: Job, label: str, preview: Preview | None = None) -> None:
    """Show a job's progress and ``preview``; rerun the page when it finishes.

    Only this part reruns while the job runs, so the rest of the page stays usable. When
    the answer is due within two polls, the poll waits for it in steps of ``WAIT_SECONDS``
    (a click elsewhere is answered between steps) and shows it at once, instead of up to a
    poll later.
    """

    @st.fragment(run_every=POLL_SECONDS if job.running else None)
    def poll() -> None:
        if not job.running:
            st.rerun()  # the whole page, now showing the answer
        st.progress(job.fraction, text=f"{label}: {job.done} of {job.total}")
        if job.messages:
            st.caption(job.messages[-1])
        if preview is not None:
            preview(job)
        if _due_soon(job):
            if job.wait(WAIT_SECONDS):
                st.rerun()
            st.rerun(scope="fragment")  # wait on; a rerun the browser asked for meanwhile comes first

    poll()


def _due_soon(job: Job) -> bool:
    left = job.seconds_left()
    return left is not None and left <= 2 * POLL_SECONDS


def finished_result(job: Job, label: str, preview: Preview | None = None) -> Any:
    """A job's result; while it runs the page shows its progress, after an error the problems."""
    if job.running:
        job_progress(job, label, preview)
        st.stop()
    if job.error:
        show_problems(ConfigError(job.error))
        st.stop()
    return job.result


def asked_job(space: Workspace, kind: str) -> tuple[Asked | None, Job | None]:
    """The workspace's last question of ``kind`` and its job (None when neither is known)."""
    asked = space.asked.get(kind)
    return asked, (STORE.get(asked.key) if asked is not None else None)


def stale_note(space: Workspace, asked: Asked | None, rerun: Callable[[], None], what: str) -> None:
    """Mark a finished answer that the workspace has moved on from, with a button to re-run it."""
    if not is_stale(space, asked):
        return
    with st.container(border=True):
        st.warning(f"Out of date: {STALE}", icon=":material/update:")
        if st.button(f"Re-run {what} with the current service and scenarios", key=f"rerun-{asked.kind}"):
            try:
                rerun()
            except ConfigError as error:
                show_problems(error)
            else:
                st.rerun()
