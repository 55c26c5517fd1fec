"""How well a frame agrees with the reference, whatever their exposures: the aligners' self-check.

Both frames are brought to the longer of their two exposures (as optical flow
compares them) and compared by zero-mean normalised cross-correlation over the
pixels that are well exposed in both and covered by the warp. Correlation
ignores any remaining gain and offset between the two, so a camera response
other than the assumed gamma does not decide the verdict; a misregistered edge
does. An aligner keeps its result only when it agrees better than the frame
left where it was, measured on the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.align import exposure_matched_luminance

# Exposure-matched 8-bit levels outside this range are clipped or lost in the
# darker frame's noise and quantisation; they say nothing about registration.
USABLE_LEVELS = (6, 249)
BLUR_SIGMA = 1.0
MIN_PIXELS = 64


@dataclass(frozen=True)
class Verdict:
    """The agreement before and after an alignment, and whether to keep it."""

    before: float
    after: float

    @property
    def keep(self) -> bool:
        return self.after > self.before


def agreement(
    reference_frame: np.ndarray,
    reference_time: float,
    frame: np.ndarray,
    time: float,
    coverage: np.ndarray | None = None,
    gamma: float = 2.2,
) -> float:
    """Normalised cross-correlation in [-1, 1] of the two frames at a common exposure.

    ``coverage`` (HxW bool) limits the comparison to pixels the aligner filled
    from inside the frame. Returns -1 when too few pixels are usable.
    """
    target = max(reference_time, time)
    fixed = exposure_matched_luminance(reference_frame, reference_time, target, gamma)
    moving = exposure_matched_luminance(frame, time, target, gamma)
    low, high = USABLE_LEVELS
    usable = (fixed > low) & (fixed < high) & (moving > low) & (moving < high)
    if coverage is not None:
        usable &= coverage
    if np.count_nonzero(usable) < MIN_PIXELS:
        return -1.0
    a = cv2.GaussianBlur(fixed.astype(np.float32), (0, 0), BLUR_SIGMA)[usable]
    b = cv2.GaussianBlur(moving.astype(np.float32), (0, 0), BLUR_SIGMA)[usable]
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / norm) if norm > 0 else -1.0


def judge(
    reference_frame: np.ndarray,
    reference_time: float,
    original: np.ndarray,
    aligned: np.ndarray,
    time: float,
    coverage: np.ndarray,
    gamma: float = 2.2,
) -> Verdict:
    """Agreement of the frame as it was and as aligned, on the pixels the alignment covers."""
    before = agreement(reference_frame, reference_time, original, time, coverage, gamma)
    after = agreement(reference_frame, reference_time, aligned, time, coverage, gamma)
    return Verdict(before, after)
