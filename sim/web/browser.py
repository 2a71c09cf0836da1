"""Driving the explorer from a real browser: for the end-to-end test, the benchmark and the
screenshots in docs/images. Uses Playwright for Python with the system's Chromium (Debian's
``chromium`` package); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("DCSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(
    port: int | None = None,
    baseline: str | Path | None = None,
    timeout: float = 90,
    workspaces: str | Path | None = None,
    waits: str | Path | None = None,
) -> Iterator[str]:
    """``dcsim app`` on a loopback port, in its own process group; yields its address.

    Workspaces are saved in ``workspaces`` (default: a temporary folder removed afterwards);
    ``waits`` is passed as ``--waits`` (the app then opens on its Start from waits page).
    """
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="dcsim-workspaces-") as scratch:
        folder = str(workspaces or scratch)
        with _serving(port, baseline, timeout, folder, waits) as address:
            yield address


@contextmanager
def _serving(
    port: int, baseline: str | Path | None, timeout: float, workspaces: str, waits: str | Path | None = None
) -> Iterator[str]:
    command = [sys.executable, "-m", "sim", "app", "--port", str(port), "--workspaces", workspaces]
    if baseline is not None:
        command.insert(4, str(baseline))
    if waits is not None:
        command += ["--waits", str(waits)]
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(address, server, timeout, log)
        yield address
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def wait_healthy(address: str, server: subprocess.Popen, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"dcsim app stopped: {log.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"dcsim app did not answer on {address} within {timeout:g} s")


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator:
    """A page of a fresh headless Chromium profile (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="dcsim-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": height}, accept_downloads=True,
        )  # fmt: skip
        try:
            yield context.new_page()
        finally:
            context.close()


def open_app(page, address: str, first: str = "Service") -> None:
    """Load the explorer and wait for its first page (titled ``first``) to be drawn."""
    page.goto(address)
    page.get_by_role("heading", name=first, exact=True).wait_for(timeout=120_000)
    settle(page)


def settle(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished running the page's script."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout)


def finished_comparison(page, timeout: float = 900_000) -> None:
    """Wait for the Run page's finished answer, not the provisional chart drawn while it runs."""
    page.get_by_text(re.compile(r"scenarios x \d+ replications, seed \d+")).first.wait_for(timeout=timeout)
    page.locator(".js-plotly-plot").first.wait_for(timeout=timeout)


def go_to(page, title: str) -> None:
    """Open a page of the explorer from the sidebar."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=120_000)
    settle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox."""
    box = page.get_by_label(label, exact=True)
    box.click()
    wanted = page.get_by_role("option", name=option, exact=True)
    try:
        wanted.wait_for(timeout=5000)
    except Exception:  # noqa: BLE001 - the list did not open (the page was still redrawing): again
        box.click()
    wanted.click()


def search_choose(page, label: str, typed: str, option: str) -> None:
    """Type into a searchable selectbox, as a planner looks a provider up, and take the first
    option holding ``option``."""
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(typed)
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)


def type_into(page, label: str, text: str) -> None:
    """Replace a text, number or date input's value and confirm it."""
    box = page.get_by_label(label, exact=True)
    box.fill(text)  # focuses and replaces; no click, which a form's "Press Enter" hint may cover
    box.press("Tab")  # commits the value; Enter would also submit an enclosing form


def type_date(page, label: str, year: int, month: int, day: int) -> None:
    """Set a Streamlit date input, typed segment by segment (YYYY/MM/DD) as a user would."""
    group = page.get_by_label(label, exact=True)
    group.get_by_role("spinbutton").first.click()
    page.keyboard.type(f"{year:04d}{month:02d}{day:02d}")
    page.keyboard.press("Tab")
