"""``dcsim app``: start the browser scenario explorer (Streamlit) on this machine.

Registered on the ``dcsim`` app when ``sim.cli`` is imported. It binds to 127.0.0.1 unless told
otherwise, caps uploads, and passes the baseline (a file the operator names, never one named
from the browser) to the app through an environment variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import app, console, fail, user_errors

APP = Path(__file__).resolve().parents[1] / "web" / "app.py"


def streamlit_command(port: int, host: str) -> list[str]:
    """``streamlit run`` with the settings the explorer relies on (no telemetry, no file watcher).

    Streamlit's full garbage collection after every script run is off: the progress poll
    reruns every second, and those collections took about 3 s of CPU from a 100-replication
    run on 2 cores (py-spy on the server). Python's own collector still runs.
    """
    from sim.web.uploads import UPLOAD_LIMIT_MB

    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.maxUploadSize", str(UPLOAD_LIMIT_MB),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
        "--theme.primaryColor", "#005eb8",
        "--runner.postScriptGC", "false",
    ]  # fmt: skip


@app.command(name="app")
def start_app(
    baseline: Annotated[
        Path | None, typer.Argument(help="Baseline YAML to start from (default: the example service).")
    ] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8501,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 127.0.0.1 keeps the app on this machine.")
    ] = "127.0.0.1",
    workspaces: Annotated[
        Path | None,
        typer.Option(
            "--workspaces",
            help="Folder where planners' workspaces are saved as they work "
            "(default: $DCSIM_APP_WORKSPACES or ~/.local/share/dcsim/workspaces).",
        ),
    ] = None,
    waits: Annotated[
        Path | None,
        typer.Option(
            "--waits",
            help="Published waits (CHS wide CSV, CHS workbook or folder of them, or a band CSV): the app "
            "opens where a planner picks a provider and service and builds the service from its waits.",
        ),
    ] = None,
) -> None:
    """Start the browser explorer: services, scenarios, runs and board tables without YAML."""
    try:
        import plotly  # noqa: F401
        import streamlit  # noqa: F401
    except ImportError:
        fail("the browser explorer needs the app extra: pip install 'dcsim[app]' (or run `make app`)")
    environment = dict(os.environ)
    if baseline is not None:
        from sim.engine.scenario import load_config

        with user_errors():
            load_config(baseline)  # a bad file stops here with the CLI's message
        environment["DCSIM_APP_BASELINE"] = str(baseline.resolve())
    if waits is not None:
        from calibration.waits import list_series

        with user_errors():
            list_series(waits)  # a file the reader refuses stops here, with its message
        environment["DCSIM_APP_WAITS"] = str(waits.resolve())
    if workspaces is not None:
        environment["DCSIM_APP_WORKSPACES"] = str(workspaces.resolve())
    console.print(f"dcsim explorer: http://{host}:{port}  (Ctrl-C stops it)", highlight=False)
    # The server is ours: SIGTERM/SIGINT stop it and its process group, and the port is free after.
    from sim.web.server import run_server

    raise typer.Exit(run_server(streamlit_command(port, host), environment))
