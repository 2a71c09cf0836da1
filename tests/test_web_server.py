"""``dcsim app`` owns its server: a stop signal ends Streamlit and frees the port.

Waits are bounded (a test fails rather than hangs); nothing asserts how long anything took.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from sim.web.browser import free_port, wait_healthy

BOUND = 60.0  # seconds: the most any wait here may take before the test fails


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(child) for child in text.split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def gone(pids: list[int], bound: float = BOUND) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids):
            return True
        time.sleep(0.2)
    return False


def port_free(port: int) -> bool:
    """Nothing answers on the port and it can be bound again."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_run_server_stops_the_whole_group_on_a_stop_signal(tmp_path, number):
    """A server that starts a helper of its own: both end when the runner is told to stop."""
    pids = tmp_path / "pids"
    server = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{helper.pid}}")
        time.sleep(600)
        """
    )
    runner = textwrap.dedent(
        f"""
        import sys
        from sim.web.server import run_server
        sys.exit(run_server([sys.executable, "-c", {server!r}]))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", runner], start_new_session=True)
    try:
        deadline = time.monotonic() + BOUND
        while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        started = [int(pid) for pid in pids.read_text().split()]
        process.send_signal(number)
        assert process.wait(BOUND) == 0
        assert gone(started)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(BOUND)


def test_run_server_returns_the_exit_code_of_a_server_that_ends():
    assert subprocess.run(
        [sys.executable, "-c", "import sys; from sim.web.server import run_server; "
         "sys.exit(run_server([sys.executable, '-c', 'raise SystemExit(3)']))"],
        timeout=BOUND, check=False,
    ).returncode == 3  # fmt: skip


def test_sigterm_to_dcsim_app_stops_its_streamlit_server_and_frees_the_port():
    pytest.importorskip("streamlit")
    port = free_port()
    with tempfile.TemporaryFile() as log:
        app = subprocess.Popen(
            [sys.executable, "-m", "sim", "app", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy(f"http://127.0.0.1:{port}", app, BOUND, log)
            servers = children(app.pid)
            assert servers, "dcsim app started no server"
            app.send_signal(signal.SIGTERM)  # to dcsim app alone, as a service manager would
            assert app.wait(BOUND) == 0
            assert gone(servers)
            assert port_free(port)
        finally:
            if app.poll() is None:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait(BOUND)
