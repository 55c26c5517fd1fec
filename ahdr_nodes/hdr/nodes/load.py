"""Source nodes: a bracket from frame files, or a whole Kalantari scene folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ahdr_nodes import Node, NodeContext, Output, Param, UserError
from ahdr_nodes.hdr.exposure import resolve_exposures
from ahdr_nodes.hdr.io import read_hdr, read_ldr
from ahdr_nodes.hdr.types import Bracket, HDRImage

KALANTARI_EXPOSURES = "exposure.txt"
KALANTARI_GROUND_TRUTH = "HDRImg.hdr"
KALANTARI_FRAME_SUFFIXES = (".tif", ".tiff")


def load_bracket(
    paths: Sequence[str | os.PathLike[str]],
    *,
    times: Sequence[float] | None = None,
    ev: Sequence[float] | None = None,
    exposure_file: str | os.PathLike[str] | None = None,
    reference: int | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Bracket:
    """Read frames and their exposures into a Bracket sorted by exposure.

    ``times``/``ev``/``exposure_file`` are in the order of ``paths``;
    ``reference`` indexes the sorted frames (None: the middle one). Conversions
    of grayscale or RGBA frames are reported through ``warn``.
    """
    files = [Path(p) for p in paths]
    if len(files) < 2:
        raise UserError(f"a bracket needs at least 2 frames, got {len(files)}")
    frames, infos = [], []
    for file in files:
        frame, info = read_ldr(file)
        for message in info.warnings:
            warn(message)
        frames.append(frame)
        infos.append(info)
    _check_same_size(frames, files)
    exposures = resolve_exposures(files, times=times, ev=ev, exposure_file=exposure_file)
    order = np.argsort(exposures.times, kind="stable")
    index = len(files) // 2 if reference is None else reference
    if not 0 <= index < len(files):
        raise UserError(f"reference index {index} is out of range for {len(files)} frames")
    return Bracket(
        frames=[frames[i] for i in order],
        times=exposures.times[order],
        reference=index,
        sources=[str(files[i]) for i in order],
        metadata={
            "exposure_source": exposures.source,
            "bit_depths": [infos[i].bit_depth for i in order],
            "orientations": [infos[i].orientation for i in order],
        },
    )


def scene_frame_paths(folder: Path) -> list[Path]:
    """The LDR frames of a Kalantari scene: its TIFF files in name order."""
    if not folder.is_dir():
        raise UserError(f"{folder}: scene folder not found")
    frames = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in KALANTARI_FRAME_SUFFIXES and p.is_file()
    )
    if not frames:
        raise UserError(f"{folder}: no .tif frames in the scene folder")
    return frames


def _check_same_size(frames: Sequence[np.ndarray], files: Sequence[Path]) -> None:
    first_height, first_width = frames[0].shape[:2]
    for frame, file in zip(frames[1:], files[1:], strict=True):
        height, width = frame.shape[:2]
        if (height, width) != (first_height, first_width):
            raise UserError(
                f"{file}: frame is {width}x{height} but {files[0]} is {first_width}x{first_height}"
            )


class LoadBracket(Node):
    """Differently exposed frames (PNG, JPEG, TIFF; 8 or 16 bits) as a Bracket.

    Exposures come from the first source given: times (seconds), ev (stops),
    exposure_file (one EV per line), else the frames' EXIF. Frames are sorted
    by exposure; grayscale and RGBA frames are converted with a warning.
    """

    bracket = Output(Bracket, "frames sorted by exposure, times relative to the shortest")
    paths = Param(list, item=Path, input_file=True, doc="frame files, any order")
    times = Param(list, None, item=float, nullable=True, doc="exposure times in seconds")
    ev = Param(list, None, item=float, nullable=True, doc="exposure values in stops")
    exposure_file = Param(
        Path, None, nullable=True, input_file=True, doc="a Kalantari exposure.txt"
    )
    reference = Param(
        int, None, nullable=True, minimum=0, doc="index of the reference among the sorted frames"
    )

    def run(self, ctx: NodeContext, **inputs: Any) -> dict[str, Any]:
        bracket = load_bracket(
            self.paths,
            times=self.times,
            ev=self.ev,
            exposure_file=self.exposure_file,
            reference=self.reference,
            warn=ctx.warn,
        )
        return {"bracket": bracket}


class LoadScene(Node):
    """A Kalantari scene folder: its .tif frames, exposure.txt and HDRImg.hdr.

    ``ground_truth`` is None when the folder has no HDRImg.hdr (a scene
    without ground truth can still be merged).
    """

    bracket = Output(Bracket, "the scene's frames sorted by exposure")
    ground_truth = Output(HDRImage, "HDRImg.hdr, or None when the scene has none")
    folder = Param(Path, doc="the scene folder")
    reference = Param(
        int, None, nullable=True, minimum=0, doc="index of the reference among the sorted frames"
    )

    def run(self, ctx: NodeContext, **inputs: Any) -> dict[str, Any]:
        folder = Path(self.folder)
        bracket = load_bracket(
            scene_frame_paths(folder),
            exposure_file=folder / KALANTARI_EXPOSURES,
            reference=self.reference,
            warn=ctx.warn,
        )
        truth_path = folder / KALANTARI_GROUND_TRUTH
        truth = HDRImage(read_hdr(truth_path)) if truth_path.is_file() else None
        if truth is not None and truth.data.shape[:2] != bracket.shape:
            raise UserError(f"{truth_path}: ground truth size differs from the scene's frames")
        return {"bracket": bracket, "ground_truth": truth}

    def fingerprint(self) -> str:
        """Size and mtime of every file in the folder: an edited frame reruns the scene."""
        folder = Path(self.folder)
        try:
            entries = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError:
            return f"{folder}:missing"
        parts = []
        for entry in entries:
            stat = entry.stat()
            parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
        return "|".join(parts)
