"""The Streamlit server ``dcsim app`` starts, owned by it: stopped with it, port freed.

The server runs in its own process group, so a signal to ``dcsim app`` (SIGTERM from a
service manager, SIGINT from Ctrl-C) is forwarded to the whole group: Streamlit and anything it
started. ``dcsim app`` then waits for the group to end (a bounded wait, then SIGKILL), so the
port is free when it returns. No Streamlit import here.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACE_SECONDS = 10.0  # how long the server has to stop after the signal, before SIGKILL


def _signal_group(group: int, number: int) -> None:
    try:
        os.killpg(group, number)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def stop(process: subprocess.Popen, number: int = signal.SIGTERM, grace: float = GRACE_SECONDS) -> int:
    """Send ``number`` to the server's process group, wait for it, SIGKILL the group if it hangs."""
    _signal_group(process.pid, number)
    try:
        code = process.wait(grace)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        code = process.wait()
    _signal_group(process.pid, signal.SIGKILL)  # anything the server left behind in its group
    return code


def run_server(command: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run ``command`` in its own process group until it ends or this process is told to stop.

    Returns the server's exit code, or 0 when a stop signal ended it.
    """
    process = subprocess.Popen(
        list(command), env=dict(env) if env is not None else None, start_new_session=True
    )
    received: list[int] = []

    def forward(number: int, _frame: FrameType | None) -> None:
        received.append(number)
        if len(received) == 1:  # a second signal while stopping changes nothing
            raise _Stop

    previous = {number: signal.signal(number, forward) for number in STOP_SIGNALS}
    try:
        try:
            code = process.wait()
        except _Stop:
            stop(process, signal.SIGTERM)
            return 0
        _signal_group(process.pid, signal.SIGKILL)  # the server ended: leave nothing of its group
        return code
    except BaseException:
        stop(process, signal.SIGTERM)
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Stop(Exception):
    """Raised in the main thread by a stop signal, to leave ``process.wait``."""
