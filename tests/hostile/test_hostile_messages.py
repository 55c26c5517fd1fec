"""Classes 4 and 10: every refusal is one line of bounded length, whatever the value it
quotes, and Python warnings from libraries (Pillow, numpy, torch) never add lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hostile_support import assert_refused, snapshot

HUGE = "x" * 100_000


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("validate", "debevec", "--set", f"{HUGE}=1"), "error: "),
        (("validate", "debevec", "--set", f"tonemap.{HUGE}=1"), "error: "),
        (("validate", HUGE), "error: "),
        (("batch", "debevec", ".", "out", "--scheduler", HUGE), "--scheduler"),
        (("batch", "debevec", ".", "out", "--workers", "0"), "--workers"),
        (("merge", "a.png", "--ev", HUGE), "error: "),
        (
            ("merge", "n" * 300 + ".png", "b.png", "--ev", "0,2", "-o", "o.exr"),
            "File name too long",
        ),
        (("batch", "debevec", "n" * 300, "out"), "File name too long"),
        (("run", "n" * 300 + ".yaml"), "File name too long"),
    ],
)
def test_a_refusal_is_one_short_line_whatever_it_quotes(
    ahdr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], culprit: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = ahdr(*args)
    assert_refused(result.code, result.err, culprit)
    assert len(result.err) < 700
    assert not list(tmp_path.iterdir())


def test_library_warnings_never_add_a_line(tmp_path: Path) -> None:
    frames = []
    for index in range(3):  # a TIFF cut short: Pillow warns "Corrupt EXIF data" reading it
        path = tmp_path / f"f{index}.tif"
        cv2.imwrite(str(path), np.full((16, 16, 3), 60 * index + 40, np.uint8))
        frames.append(path)
    frames[0].write_bytes(frames[0].read_bytes()[:-40])
    before = snapshot(tmp_path)
    # a subprocess: pytest records warnings itself, and this is about what users see
    done = subprocess.run(
        [sys.executable, "-m", "ahdr_nodes", "merge", *map(str, frames), "--ev", "-2,0,2"]
        + ["--graph", "debevec", "-o", str(tmp_path / "o.exr")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_refused(done.returncode, done.stderr, f"{frames[0]}: cannot decode image")
    assert snapshot(tmp_path) == before
