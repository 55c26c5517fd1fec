"""Classical merges: Debevec radiance merge, Mertens fusion, reference only.

All radiance results are on the network's scale: exposure times relative to
the shortest one (= 1), so a white pixel of the shortest frame has radiance 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.linearise import to_uint8


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
