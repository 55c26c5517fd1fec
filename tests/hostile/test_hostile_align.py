"""Class 1: frames too small for an aligner are refused, never a crash of OpenCV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hostile_support import assert_refused, snapshot, write_frames


@pytest.mark.parametrize(
    ("graph", "height", "width", "culprit"),
    [
        ("debevec_mtb", 1, 1, "MTB alignment needs frames of at least 2x2 pixels, got 1x1"),
        ("debevec_mtb", 1, 40, "got 40x1"),
        ("debevec_flow", 8, 8, "optical flow alignment needs frames of at least 12x12"),
        ("debevec_flow", 40, 3, "got 3x40"),
    ],
)
def test_an_aligner_refuses_frames_below_its_minimum_size(
    tmp_path: Path, graph: str, height: int, width: int, culprit: str
) -> None:
    paths = write_frames(tmp_path / "in", height, width)
    before = snapshot(tmp_path)
    # a subprocess: before the check, AlignMTB segfaulted the whole process
    done = subprocess.run(
        [sys.executable, "-m", "ahdr_nodes", "merge", *map(str, paths), "--ev", "-2,0,2"]
        + ["--graph", graph, "-o", str(tmp_path / "out.exr")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_refused(done.returncode, done.stderr, culprit)
    assert snapshot(tmp_path) == before
