"""dcsim browser explorer: ``dcsim app [BASELINE.yaml]`` runs ``streamlit run`` on this file."""

from pathlib import Path

import streamlit as st

from sim.web import session
from sim.web.ui import workspace

HERE = Path(__file__).parent
PAGES = (
    ("service.py", "Service", ":material/home_health:"),
    ("scenarios.py", "Scenarios", ":material/edit_calendar:"),
    ("run.py", "Run and compare", ":material/monitoring:"),
    ("capacity.py", "Capacity needed", ":material/group_add:"),
    ("calibrate.py", "Calibrate", ":material/tune:"),
    ("takeaway.py", "Take it away", ":material/download:"),
)

st.set_page_config(page_title="dcsim explorer", page_icon=":material/monitoring:", layout="wide")
pages = [st.Page(HERE / "pages" / file, title=title, icon=icon) for file, title, icon in PAGES]
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
