"""Shared pytest fixtures."""

from __future__ import annotations

import pytest
from services import service_config


@pytest.fixture
def small_config():
    return service_config()
