"""Helpers for the hostile-input tests: frames on disk, snapshots, the refusal contract."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Outcome:
    """A command's exit status and what it printed."""

    code: int
    out: str
    err: str


def write_frames(folder: Path, height: int, width: int, count: int = 3) -> list[Path]:
    """``count`` flat PNG frames of increasing brightness."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"f{index}.png"
        cv2.imwrite(str(path), np.full((height, width, 3), 40 + 60 * index, np.uint8))
        paths.append(path)
    return paths


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_refused(code: int, err: str, culprit: str) -> None:
    """Exit 2 and exactly one line on stderr that names the culprit, no traceback."""
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert culprit in lines[0], err
    assert lines[0].startswith("error:"), err
