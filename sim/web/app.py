"""dcsim browser explorer: ``dcsim app [BASELINE.yaml]`` runs ``streamlit run`` on this file."""

from pathlib import Path

import streamlit as st

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
st.navigation(pages).run()
