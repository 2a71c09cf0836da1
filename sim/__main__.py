"""``python -m sim`` runs the dcsim command line."""

from sim.cli import app

app()
