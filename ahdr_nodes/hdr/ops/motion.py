"""Where a bracket moved: the regions a classical merge would ghost.

A pixel moved when a frame disagrees with the reference frame there, both being
well exposed, by more than a tolerance on log radiance. Frames go through the
same alignment and linearisation as the merge, so what remains is what the
aligner could not explain: moving objects, parallax, flow errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

# Chosen on a tuning set cut from training images, held-out scenes untouched
# (docs/results.md): a frame is well exposed where its mean code is above DARK
# and no channel reaches BRIGHT; it disagrees beyond TOLERANCE (natural log of
# radiance, about 0.43 stops); the mask is softened over SOFTNESS pixels.
DARK = 0.05
BRIGHT = 0.9
TOLERANCE = 0.3
SOFTNESS = 3.0


def well_exposed(frame: np.ndarray) -> np.ndarray:
    """HxW bool: the frame's mean code is above DARK and no channel reaches BRIGHT."""
    return (frame.mean(axis=2) > DARK) & (frame.max(axis=2) < BRIGHT)


def log_level(values: np.ndarray) -> np.ndarray:
    """HxW natural log of the mean linear radiance, the scale disagreement is measured on."""
    return np.log(values.mean(axis=2) + 1e-6)


def disagreement_with(
    reference_frame: np.ndarray, reference_linear: np.ndarray
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function of (frame, its linear values) giving the HxW |ln radiance - ln radiance
    of the reference| where both are well exposed, 0 elsewhere (where one of them cannot
    tell). The reference's exposure and level are computed once, for all frames."""
    anchor, anchor_level = well_exposed(reference_frame), log_level(reference_linear)

    def gap(frame: np.ndarray, values: np.ndarray) -> np.ndarray:
        both = anchor & well_exposed(frame)
        return np.where(both, np.abs(log_level(values) - anchor_level), 0.0).astype(np.float32)

    return gap


def motion_mask(
    frames: Sequence[np.ndarray],
    linear: Sequence[np.ndarray],
    reference: int,
    tolerance: float = TOLERANCE,
    softness: float = SOFTNESS,
) -> np.ndarray:
    """HxW in [0, 1]: 1 where some frame moved against the reference, softened."""
    gap = disagreement_with(frames[reference], linear[reference])
    moved = np.zeros(frames[reference].shape[:2], bool)
    for index, (frame, values) in enumerate(zip(frames, linear, strict=True)):
        if index != reference:
            moved |= gap(frame, values) > tolerance
    mask = moved.astype(np.float32)
    if softness > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), softness)
    return np.clip(mask, 0.0, 1.0)


def share_with_static(
    mask: np.ndarray, reference_frame: np.ndarray, static_share: float, softness: float = SOFTNESS
) -> np.ndarray:
    """The motion mask with the static merge given ``static_share`` of the moving regions
    where the reference frame is well exposed (softened over ``softness`` pixels). A
    deghosting static merge is anchored on the reference there, so it is as free of
    ghosts as the dynamic one, and the average of two merges that err differently is
    closer than either. Where the reference is clipped or dark it cannot anchor
    anything, and the dynamic merge keeps the whole mask."""
    if static_share <= 0:
        return mask
    exposed = well_exposed(reference_frame).astype(np.float32)
    if softness > 0:
        exposed = cv2.GaussianBlur(exposed, (0, 0), softness)
    return (mask * (1.0 - static_share * exposed)).astype(np.float32)


def blend_by_motion(static: np.ndarray, dynamic: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``dynamic`` where ``mask`` is 1, ``static`` where it is 0."""
    weight = mask[..., None]
    return np.ascontiguousarray((1.0 - weight) * static + weight * dynamic, dtype=np.float32)


def floor_at_reference_clip(
    hdr: np.ndarray, reference_frame: np.ndarray, reference_linear: np.ndarray
) -> np.ndarray:
    """``hdr`` raised, channel by channel, to the reference's radiance where the reference
    is clipped (at BRIGHT or above): the scene was at least that bright there, so no
    merge may come out darker than the reference frame alone (a network compressing
    highlights, a moved short frame showing background where the reference saw light)."""
    clipped = reference_frame >= BRIGHT
    floored = np.where(clipped, np.maximum(hdr, reference_linear), hdr)
    return np.ascontiguousarray(floored, dtype=np.float32)
