"""Fixtures for the hostile-input tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_support import write_frames


@pytest.fixture
def frames(tmp_path: Path) -> list[Path]:
    """Three 32x32 frames in tmp_path/in."""
    return write_frames(tmp_path / "in", 32, 32)
