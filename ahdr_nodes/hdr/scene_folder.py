"""Scene folders in the layout of the Kalantari and Ramamoorthi (2017) dataset.

A scene folder holds the LDR frames as 16-bit ``.tif`` files (file-name order is
the order of the lines of ``exposure.txt``), ``exposure.txt`` with one EV (stops)
per line, and, for scenes with ground truth, ``HDRImg.hdr`` (Radiance RGBE).
Synthetic scenes add ``synthetic.json``. The layout's rules live here only; the
LoadScene node, ``ahdr eval``, ``ahdr batch`` and the datasets all read through it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.bracket import load_bracket
from ahdr_nodes.hdr.io import read_hdr
from ahdr_nodes.hdr.types import Bracket

EXPOSURE_FILE = "exposure.txt"
GROUND_TRUTH_FILE = "HDRImg.hdr"
SYNTHETIC_FILE = "synthetic.json"
FRAME_SUFFIXES = (".tif", ".tiff")


def scene_frame_paths(folder: Path) -> list[Path]:
    """The LDR frames of a scene: its TIFF files in name order, leaving out hidden
    ones (the temporaries of atomic writes)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: scene folder not found")
    frames = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in FRAME_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )
    if not frames:
        raise UserError(f"{folder}: no .tif frames in the scene folder")
    return frames


def read_scene_folder(
    folder: Path,
    reference: int | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[Bracket, np.ndarray | None]:
    """The scene's bracket (sorted by exposure) and its ground truth, None if it has none."""
    bracket = load_bracket(
        scene_frame_paths(folder),
        exposure_file=folder / EXPOSURE_FILE,
        reference=reference,
        warn=warn,
    )
    truth_path = folder / GROUND_TRUTH_FILE
    if not truth_path.is_file():
        return bracket, None
    truth = read_hdr(truth_path)
    if truth.shape[:2] != bracket.shape:
        raise UserError(
            f"{truth_path}: size {truth.shape[:2]} differs from the frames' {bracket.shape}"
        )
    return bracket, truth
