"""The marks every real-browser test carries: slow (run in CI), and skipped without Chromium."""

from __future__ import annotations

import pytest

from sim.web.browser import chromium_path

IN_A_BROWSER = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None, reason="Chromium is not installed (apt-get install chromium)"
    ),
]
