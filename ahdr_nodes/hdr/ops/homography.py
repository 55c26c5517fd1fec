"""Global homography alignment of hand-held frames, across exposure differences.

A hand-held bracket moves the camera between frames: rotation and translation
that a homography describes for distant scenes. Features are found on
exposure-normalised luminance (both frames brought to the longer exposure),
only where both are usable, and matched with Lowe's ratio test; RANSAC rejects
the matches that disagree (moving objects, repeated texture).
"""

from __future__ import annotations

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.agreement import USABLE_LEVELS
from ahdr_nodes.hdr.ops.align import exposure_matched_luminance, require_size

HOMOGRAPHY_MIN_SIZE = 32
# Features are found on frames at most this many pixels on the long side: enough
# for sub-pixel accuracy once scaled back, and bounded time on 24 MP frames.
DETECT_SIDE = 1600
MAX_FEATURES = 4000
RATIO = 0.75
RANSAC_PIXELS = 2.0
MIN_INLIERS = 12
# Hand-held motion changes scale and area by a few percent, not by half.
MAX_AREA_CHANGE = 1.5


def homography_to_reference(
    reference_frame: np.ndarray,
    reference_time: float,
    frame: np.ndarray,
    time: float,
    gamma: float = 2.2,
) -> np.ndarray | None:
    """The 3x3 H taking reference pixel coordinates to ``frame``'s, or None if not found.

    None when too few matches survive RANSAC or the result is not a plausible
    camera motion; the caller then leaves the frame where it is.
    """
    require_size([reference_frame], HOMOGRAPHY_MIN_SIZE, "homography")
    height, width = reference_frame.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(height, width))
    target = max(reference_time, time)
    fixed = _detection_image(reference_frame, reference_time, target, gamma, scale)
    moving = _detection_image(frame, time, target, gamma, scale)
    sift = cv2.SIFT_create(nfeatures=MAX_FEATURES)
    fixed_points, fixed_descriptors = sift.detectAndCompute(fixed, _usable(fixed))
    moving_points, moving_descriptors = sift.detectAndCompute(moving, _usable(moving))
    if fixed_descriptors is None or moving_descriptors is None or len(moving_points) < 2:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(fixed_descriptors, moving_descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    source = np.float32([fixed_points[m.queryIdx].pt for m in good]) / scale
    destination = np.float32([moving_points[m.trainIdx].pt for m in good]) / scale
    found, inliers = cv2.findHomography(
        source, destination, cv2.USAC_MAGSAC, RANSAC_PIXELS / scale, maxIters=5000
    )
    if found is None or inliers is None or int(inliers.sum()) < MIN_INLIERS:
        return None
    return found if _plausible(found) else None


def warp_by_homography(frame: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``frame`` sampled at H x for every reference pixel x, and which pixels came from inside."""
    height, width = frame.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpPerspective(
        frame, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    inside = cv2.warpPerspective(
        np.ones((height, width), np.uint8),
        matrix,
        (width, height),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return warped, inside.astype(bool)


def _detection_image(
    frame: np.ndarray, time: float, target: float, gamma: float, scale: float
) -> np.ndarray:
    luminance = exposure_matched_luminance(frame, time, target, gamma)
    if scale == 1.0:
        return luminance
    return cv2.resize(luminance, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _usable(luminance: np.ndarray) -> np.ndarray:
    """Features only where the levels are neither clipped nor lost in the dark frame's noise."""
    low, high = USABLE_LEVELS
    mask = ((luminance > low) & (luminance < high)).astype(np.uint8)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def _plausible(matrix: np.ndarray) -> bool:
    """A camera shake, not a degenerate fit: finite, orientation kept, area roughly kept."""
    if not np.all(np.isfinite(matrix)) or abs(matrix[2, 2]) < 1e-12:
        return False
    affine = matrix[:2, :2] / matrix[2, 2]
    determinant = float(np.linalg.det(affine))
    return 1 / MAX_AREA_CHANGE < determinant < MAX_AREA_CHANGE
