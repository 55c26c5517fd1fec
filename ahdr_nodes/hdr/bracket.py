"""Reading a bracket: frames and their exposures, sorted by exposure.

The one reader behind LoadBracket, LoadScene and the dataset's scene folders,
so they agree on which files count, on duplicate exposures and on sizes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.exposure import resolve_exposures
from ahdr_nodes.hdr.io import read_ldr
from ahdr_nodes.hdr.types import Bracket


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


def _check_same_size(frames: Sequence[np.ndarray], files: Sequence[Path]) -> None:
    first_height, first_width = frames[0].shape[:2]
    for frame, file in zip(frames[1:], files[1:], strict=True):
        height, width = frame.shape[:2]
        if (height, width) != (first_height, first_width):
            raise UserError(
                f"{file}: frame is {width}x{height} but {files[0]} is {first_width}x{first_height}"
            )
