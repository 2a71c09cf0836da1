"""The browser scenario explorer (Streamlit): a thin layer over ``sim.api`` and the questions.

Page modules live in ``sim/web/pages/`` and only lay out widgets. Everything else here
(building scenario documents from form values, plain-words dated changes, the run cache and
background jobs, charts, downloads, upload checks) imports no Streamlit, so it is tested
directly.
"""
