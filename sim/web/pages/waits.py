"""Start from waits: pick a provider's published series, build its service and see its forecast."""

from pathlib import Path

import streamlit as st

from calibration.from_waits.estimate import fitting_months
from calibration.waits import BandHistory, WaitsError
from sim.web import charts, labels, position, session, waits
from sim.web.jobs import STORE
from sim.web.ui import job_progress, run_settings, workspace

st.title("Start from waits")
space = workspace()
st.write(
    "Build the service from the waiting list it publishes each month by weeks waited: NHS England's "
    "Community Health Services waiting lists (the CSV or a monthly workbook), or a history of your own "
    "with a `month` column and one column per band of weeks waited (`band_0_4`, `band_4_18`, "
    "`band_18_inf`). The flows the bands imply (referrals, first contacts, removals by wait) become a "
    "service you can plan with."
)


@st.cache_data(show_spinner="Reading the waits file...", max_entries=8)
def series_table(path: str, stamp: float):
    """The series a file holds (cached per file version: the national file takes a second)."""
    return waits.series_table(Path(path))


def refusal(error: Exception, path: Path | None = None) -> None:
    st.error(waits.sentence(error, path))


def choose_file() -> Path | None:
    """The waits file to read: an upload, else the one the app was started with."""
    started = waits.started_with()
    label = "Upload another waits file instead" if started else "Upload published waits"
    upload = st.file_uploader(
        f"{label} (CSV, compressed CSV or a CHS workbook)", type=["csv", "gz", "xlsx"], key="waits-upload"
    )
    if upload is not None:
        try:
            return waits.keep_upload(upload.name, upload.getvalue())
        except WaitsError as error:
            refusal(error)
            return None
    if started is not None:
        st.caption(f"Reading **{started.name}**, the waits file the app was started with.")
    return started


def choose_series(path: Path) -> BandHistory | None:
    """Provider and service picked by name or code; None until both are chosen."""
    try:
        table = series_table(str(path), path.stat().st_mtime)
    except WaitsError as error:
        refusal(error, path)
        return None
    key = service = None
    if len(table) > 1:
        providers = table["org_type"].isin(["Provider", None])
        others = providers.all() or st.toggle("Also list ICBs, regions and England", key="waits-others")
        shown = table if others else table[providers]
        organisations = dict(zip(shown["key"], shown["organisation"], strict=True))
        left, right = st.columns(2)
        key = left.selectbox(
            "Provider (type part of its name or code)", list(organisations), index=None,
            format_func=organisations.get, placeholder="Choose a provider", key="waits-provider",
        )  # fmt: skip
        if key is None:
            return None
        rows = table[table["key"] == key]
        services = {r.service: waits.service_label(r) for r in rows.itertuples()}
        service = right.selectbox(
            "Service", list(services), index=None if len(services) > 1 else 0, format_func=services.get,
            placeholder="Choose a service", key=f"waits-service-{key}",
        )  # fmt: skip
        if service is None:
            return None
    try:
        return waits.read_series(path, key, service)
    except WaitsError as error:
        refusal(error, path)
        return None


def show_series(history: BandHistory, path: Path) -> None:
    months = history.months
    if not months:
        st.warning("No month of this series can be used: " + " ".join(waits.problem_sentences(history)))
        return
    target = 18.0 if 18.0 in waits.target_choices(history) else waits.target_choices(history)[-1]
    frame = history.frame()
    series = position.Series(
        frame.assign(waiting=frame["total"].astype(float), over=history.over(target).astype(float)), path.name
    )
    text, chart = st.columns([2, 3])
    last = frame.iloc[-1]
    text.markdown(
        f"**{len(months)} months** published, {labels.month(months[0])} to {labels.month(months[-1])}. "
        f"At the end of {labels.month(months[-1])}: **{labels.number(last['total'])} waiting**, "
        f"**{labels.number(series.frame['over'].iloc[-1])}** over {target:g} weeks."
    )
    problems = waits.problem_sentences(history)
    if problems:
        text.markdown(f"**Problems found in the figures ({len(problems)})**")
        text.markdown("\n".join(f"- {p}" for p in problems))
        text.caption("Months whose bands do not add up, or that repeat the month before, are not used.")
    else:
        text.markdown("No problems found in the figures.")
    chart.plotly_chart(position.trend_figure(series, target), key="chart-waits")


def build_form(history: BandHistory, path: Path) -> None:
    """Month to start from, target and forecast; refusals shown where they are made."""
    good = waits.start_months(history)
    options = list(history.months)
    default = options.index(good[-1]) if good else len(options) - 1
    cols = st.columns(4)
    up_to = cols[0].selectbox(
        "Start from the end of", options, index=default, format_func=labels.month, key="waits-month"
    )
    targets = waits.target_choices(history)
    target = cols[1].selectbox(
        "Target (weeks waited)", targets, index=targets.index(18.0) if 18.0 in targets else len(targets) - 1,
        format_func=lambda w: f"{w:g} weeks", key="waits-target",
    )  # fmt: skip
    horizon = cols[2].number_input(
        "Months to forecast", min_value=1, max_value=36, value=12, key="waits-horizon"
    )
    reps = cols[3].number_input(
        "Forecast replications", min_value=10, max_value=500, value=100, step=10, key="waits-reps"
    )
    try:
        fitted = fitting_months(history, up_to).months
    except WaitsError as error:
        refusal(error, path)
        return
    st.caption(
        f"The flows are fitted on the {len(fitted)} months {labels.month(fitted[0])} to "
        f"{labels.month(fitted[-1])}; the simulation starts from the {labels.month(up_to)} list. "
        "The service replaces this workspace's service; scenarios that still apply are kept."
    )
    if st.button("Build the service from these waits", type="primary"):
        request = waits.Request(
            path.name, history.provider_code or history.provider_name, history.service, up_to, float(target),
            int(horizon), int(reps), run_settings()["seed"],
        )  # fmt: skip
        job = waits.start_build(history, request)
        st.session_state["waits_pending"] = {"key": job.key, "request": request, "history": history}


def finish_build() -> None:
    """Follow the build job; when it is done, make its service the workspace's."""
    pending = st.session_state.get("waits_pending")
    job = STORE.get(pending["key"]) if pending else None
    if job is None:
        return
    if job.running:
        job_progress(job, "Forecast replications run")
        st.stop()
    st.session_state.pop("waits_pending")
    if job.error:
        st.error(job.error)
        return
    old = st.session_state["workspace"]
    new = waits.adopt(old, pending["history"], pending["request"], job.result)
    st.session_state["workspace"] = new
    dropped = [s.name for s in old.scenarios if s.name not in new.names()]
    note = "This workspace now plans with the service built from these waits; it is saved as you work."
    if dropped:
        note += f" Scenarios left out, as they name what this service lacks: {', '.join(dropped)}."
    st.session_state["waits_notice"] = note


def show_built(space) -> None:
    """The workspace's service built from waits: where it stands, the fit's ranges, the forecast."""
    origin = space.origin
    history = waits.as_history(origin)
    fitted = origin["fitted_months"]
    st.subheader(f"The service built from its waits: {space.config().service.name}")
    if notice := st.session_state.pop("waits_notice", None):
        st.success(notice)
    st.markdown(
        f"Built from {position.series_source(origin)}, fitted on the {len(fitted)} months "
        f"{labels.month(fitted[0])} to {labels.month(fitted[-1])}. The simulation starts from the "
        f"{labels.month(origin['up_to'])} list and runs {origin['horizon']} months."
    )
    for line in position.headline(position.current_position(space, session.uploads())):
        st.markdown(line)
    left, right = st.columns(2)
    with left:
        st.markdown("**What the waits imply**")
        for line in waits.range_sentences(origin["ranges"]):
            st.markdown(f"- {line}")
        st.markdown("- Staff: one clinician role whose first-contact slots match those seen; no seasonality.")
    with right:
        st.markdown("**Share of each band leaving the list a month**")
        st.dataframe(waits.exit_rate_table(origin["ranges"]), hide_index=True)
    summary = waits.summary_of(origin)
    target = float(origin["target_weeks"])
    # Published figures from the fitted months on: earlier ones, across the gaps, would squeeze the axis.
    shown = {k: v[v.index >= fitted[0]] for k, v in waits.reported(history, target).items()}
    left, right = st.columns(2)
    for column, metric, title in (
        (left, "waiting", "Waiting list"),
        (right, "breaches", f"Waiting over {target:g} weeks"),
    ):
        figure = charts.fan_figure(
            summary, metric, f"{title}: forecast", actuals=shown[metric], shown={waits.FORECAST: "Forecast"}
        )
        figure.update_layout(yaxis_title=title)
        column.plotly_chart(figure, key=f"chart-built-{metric}")
    st.caption(
        f"Median and 10-90% band of {origin['reps']} simulated futures; dots are the published figures "
        "(those after the start month show how the forecast is doing). The band holds the model's own "
        "chance, the range of flows the waits allow, and how far dcsim's forecasts from published waits "
        "missed real community services at each horizon in 2023. Open the Service page to see and "
        "change the service, and Scenarios to plan changes."
    )
    for line in origin.get("band_words", []):
        st.markdown(f"- {line}")
    track = origin.get("track_words", [])
    if track:
        st.markdown("**How this forecast did before**")
        st.markdown(track[0])
        for line in track[1:]:
            st.markdown(f"- {line}")


path = choose_file()
if path is not None:
    history = choose_series(path)
    if history is not None:
        show_series(history, path)
        if history.months:
            build_form(history, path)
elif waits.started_with() is None and st.session_state["workspace"].origin is None:
    st.info("Upload a waits file to begin.")
finish_build()  # after the form, so its progress shows under it
if st.session_state["workspace"].origin:
    st.divider()
    show_built(st.session_state["workspace"])
