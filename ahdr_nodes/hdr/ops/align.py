"""Aligning the frames of a bracket to its reference frame.

Both aligners compare frames of different exposure: MTB through median
threshold bitmaps, which do not depend on exposure; optical flow through
luminance brought to a common exposure first. Borders uncovered by a shift are
filled by repeating the edge pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.ops.linearise import to_uint8

MTB_MIN_LEVEL_SIZE = 8
# The smallest frame side each OpenCV aligner survives: AlignMTB segfaults on a
# 1x1 frame and fails on 1xN; DIS optical flow fails below 12 pixels.
MTB_MIN_SIZE = 2
FLOW_MIN_SIZE = 12
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def mtb_shifts(
    frames: Sequence[np.ndarray], reference: int, max_bits: int = 6, exclude_range: int = 4
) -> list[tuple[int, int]]:
    """The (dx, dy) shift that moves each frame onto the reference (0, 0 for it).

    Shifts up to 2^max_bits - 1 pixels are searched, over a pyramid of that
    many levels; ``max_bits`` is lowered for small images so that the coarsest
    level keeps at least MTB_MIN_LEVEL_SIZE pixels across, below which the
    bitmaps carry too little structure and the search locks onto noise.
    """
    require_size(frames, MTB_MIN_SIZE, "MTB")
    height, width = frames[reference].shape[:2]
    usable_bits = int(np.floor(np.log2(max(min(height, width), 2) / MTB_MIN_LEVEL_SIZE)))
    mtb = cv2.createAlignMTB(max(1, min(max_bits, usable_bits)), exclude_range, True)
    grey = [cv2.cvtColor(to_uint8(frame), cv2.COLOR_RGB2GRAY) for frame in frames]
    shifts = []
    for index, image in enumerate(grey):
        if index == reference:
            shifts.append((0, 0))
            continue
        dx, dy = mtb.calculateShift(grey[reference], image)
        shifts.append((int(dx), int(dy)))
    return shifts


def require_size(frames: Sequence[np.ndarray], minimum: int, method: str) -> None:
    """Refuse frames too small for an aligner before OpenCV crashes on them."""
    height, width = frames[0].shape[:2]
    if min(height, width) < minimum:
        raise UserError(
            f"{method} alignment needs frames of at least {minimum}x{minimum} pixels, "
            f"got {width}x{height}"
        )


def shift_frame(frame: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    """Translate a frame by whole pixels, repeating its edge into the gap."""
    dx, dy = shift
    if dx == 0 and dy == 0:
        return frame
    matrix = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
    height, width = frame.shape[:2]
    return cv2.warpAffine(
        frame, matrix, (width, height), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
    )


def shift_coverage(shape: tuple[int, int], shift: tuple[int, int]) -> np.ndarray:
    """HxW bool: the pixels that ``shift_frame`` fills from inside the frame."""
    height, width = shape
    dx, dy = shift
    rows = (np.arange(height) - dy >= 0) & (np.arange(height) - dy < height)
    cols = (np.arange(width) - dx >= 0) & (np.arange(width) - dx < width)
    return rows[:, None] & cols[None, :]


def flow_coverage(flow: np.ndarray) -> np.ndarray:
    """HxW bool: the pixels whose flow samples the frame inside its borders."""
    height, width = flow.shape[:2]
    x = np.arange(width, dtype=np.float32)[None, :] + flow[..., 0]
    y = np.arange(height, dtype=np.float32)[:, None] + flow[..., 1]
    return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)


def exposure_matched_luminance(
    frame: np.ndarray, time: float, target_time: float, gamma: float = 2.2
) -> np.ndarray:
    """8-bit luminance of ``frame`` as it would look exposed for ``target_time``."""
    linear = np.power(np.clip(frame, 0.0, 1.0), gamma) * np.float32(target_time / time)
    luminance = np.clip(linear @ REC709_LUMA, 0.0, 1.0)
    return to_uint8(np.power(luminance, 1.0 / gamma))


def flow_to_reference(
    reference_frame: np.ndarray,
    reference_time: float,
    frame: np.ndarray,
    time: float,
    gamma: float = 2.2,
) -> np.ndarray:
    """DIS optical flow (HxWx2) with reference(x) ~ frame(x + flow(x)).

    Both frames are compared at the longer of their two exposures: brightening
    the darker one keeps detail that the brighter one has not clipped, which
    darkening the brighter one could not restore.
    """
    require_size([reference_frame], FLOW_MIN_SIZE, "optical flow")
    target = max(reference_time, time)
    fixed = exposure_matched_luminance(reference_frame, reference_time, target, gamma)
    moving = exposure_matched_luminance(frame, time, target, gamma)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(fixed, moving, None)


def warp_by_flow(frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``frame`` at x + flow(x): the frame moved onto the reference."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return cv2.remap(
        frame,
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
