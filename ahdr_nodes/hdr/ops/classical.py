"""Classical merges: Debevec radiance merge, Mertens fusion, reference only.

All radiance results are on the network's scale: exposure times relative to
the shortest one (= 1), so a white pixel of the shortest frame has radiance 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.linearise import to_uint8
from ahdr_nodes.hdr.ops.motion import clip_levels, disagreement_with

# Weights of the float merge, chosen on a tuning set of synthetic brackets cut from
# training images (docs/results.md): a Gaussian of the frame's mean code around
# mid-grey, and no weight once any channel reaches SATURATED.
WEIGHT_WIDTH = 0.15
SATURATED = 0.95


def weighted_merge(
    frames: Sequence[np.ndarray],
    linear: Sequence[np.ndarray],
    reference: int,
    deghost: float | None = None,
) -> np.ndarray:
    """Debevec and Malik's weighted average of the linearised frames, in float.

    Each frame's weight is exp(-4 (m - 0.5)^2 / WEIGHT_WIDTH) of its mean code m,
    zero where any of its channels is at SATURATED or above, so a channel clipped
    in one frame cannot tint the result. Where no frame has weight, the shortest
    frame is taken where the reference is bright and the longest where it is
    dark. With ``deghost`` (a tolerance in ln radiance), a frame's weight is also
    multiplied by exp(-(d / deghost)^2) of its disagreement d with the reference
    (``motion.disagreement_with``): what moved comes from the reference alone. Unlike
    OpenCV's merge (``debevec_merge``), 10- to 16-bit frames keep their precision
    and the average is of radiance, not of its logarithm.
    """
    total = np.zeros(frames[0].shape[:2] + (1,), np.float32)
    radiance = np.zeros(frames[0].shape, np.float32)
    gap = None
    if deghost:
        gap = disagreement_with(frames[reference], linear[reference], clip_levels(frames))
    for index, (frame, values) in enumerate(zip(frames, linear, strict=True)):
        mean = frame.mean(axis=2, keepdims=True)
        weight = np.exp(-4.0 * (mean - 0.5) ** 2 / WEIGHT_WIDTH)
        weight *= frame.max(axis=2, keepdims=True) < SATURATED
        if gap is not None and index != reference:
            weight *= np.exp(-((gap(frame, values) / np.float32(deghost)) ** 2))[..., None]
        total += weight
        radiance += weight * values
    unweighted = total[..., 0] <= 1e-8
    bright = frames[reference].mean(axis=2) > 0.5
    fallback = np.where(bright[..., None], linear[0], linear[-1])
    radiance = np.where(unweighted[..., None], fallback, radiance / np.maximum(total, 1e-8))
    return np.ascontiguousarray(radiance, dtype=np.float32)


def debevec_merge(
    frames: Sequence[np.ndarray], times: np.ndarray, response: np.ndarray
) -> np.ndarray:
    """OpenCV's MergeDebevec with a given response and relative times.

    OpenCV returns radiance in response units per unit of the times it is
    given; with times relative to the shortest exposure that is already the
    network's scale. Frames are quantised to 8 bits, as OpenCV needs. A zero
    response at code 0 is raised to the value at code 1, as OpenCV does for
    its own linear response, since the merge takes its logarithm.
    """
    table = np.array(response, dtype=np.float32).reshape(256, 3)
    table[0] = np.where(table[0] > 0, table[0], table[1])
    merge = cv2.createMergeDebevec()
    radiance = merge.process(
        [to_uint8(frame) for frame in frames],
        np.asarray(times, dtype=np.float32),
        table.reshape(256, 1, 3),
    )
    return np.ascontiguousarray(radiance, dtype=np.float32)


def mertens_fusion(
    frames: Sequence[np.ndarray],
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> np.ndarray:
    """Exposure fusion (Mertens et al.) of [0, 1] frames into one LDR image in [0, 1].

    The default weights are the paper's (all 1); OpenCV's own default sets the
    well-exposedness weight to 0.

    OpenCV divides its inputs by 255, so float frames are passed on that scale,
    which keeps the precision of 16-bit frames.
    """
    fuse = cv2.createMergeMertens(contrast_weight, saturation_weight, exposure_weight)
    fused = fuse.process([np.asarray(frame, np.float32) * np.float32(255) for frame in frames])
    return np.clip(fused, 0.0, 1.0).astype(np.float32)


def reference_only(linear: Sequence[np.ndarray], reference: int) -> np.ndarray:
    """The reference frame's radiance, the simplest baseline: no merge at all."""
    return np.array(linear[reference], dtype=np.float32)
