"""dcsim browser explorer: ``dcsim app [BASELINE.yaml]`` runs ``streamlit run`` on this file."""

from pathlib import Path

import streamlit as st

from sim.web import session
from sim.web.ui import workspace
from sim.web.waits import started_with

HERE = Path(__file__).parent
PAGES = (
    ("service.py", "Service", ":material/home_health:"),
    ("waits.py", "Start from waits", ":material/table_chart:"),
    ("scenarios.py", "Scenarios", ":material/edit_calendar:"),
    ("run.py", "Run and compare", ":material/monitoring:"),
    ("capacity.py", "Capacity needed", ":material/group_add:"),
    ("calibrate.py", "Calibrate", ":material/tune:"),
    ("takeaway.py", "Take it away", ":material/download:"),
)

st.set_page_config(page_title="dcsim explorer", page_icon=":material/monitoring:", layout="wide")
# Started with a waits file (`dcsim app --waits PATH`), the planner lands where they pick a series.
first = "waits.py" if started_with() is not None else "service.py"
pages = [st.Page(HERE / "pages" / f, title=t, icon=i, default=f == first) for f, t, i in PAGES]
workspace()  # the workspace the address names, opened before any page reads it
saved = session.current()
if saved is not None:
    st.sidebar.caption(f"Workspace **{saved.name}**: saved as you work (Service page: open, rename, export).")
if notice := st.session_state.pop("workspace_notice", None):
    st.sidebar.warning(notice)
try:
    st.navigation(pages).run()
finally:  # also after st.stop() and st.rerun(): every change is saved as it is made
    session.save()
