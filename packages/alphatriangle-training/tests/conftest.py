"""A tiny configuration (tiny.toml) that trains in seconds on a 2-core machine."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tiny_config() -> Path:
    return Path(__file__).parent / "tiny.toml"
