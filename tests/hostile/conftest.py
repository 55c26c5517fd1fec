"""Fixtures for the hostile-input tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_support import Outcome, write_frames


@pytest.fixture
def frames(tmp_path: Path) -> list[Path]:
    """Three 32x32 frames in tmp_path/in."""
    return write_frames(tmp_path / "in", 32, 32)


@pytest.fixture
def ahdr_fd(capfd):
    """Like ``ahdr``, but capturing file descriptors 1 and 2: what C libraries print too."""
    from ahdr_nodes.cli.main import main

    def invoke(*args: str) -> Outcome:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capfd.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke
