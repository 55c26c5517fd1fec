"""Where a bracket moved: the regions a classical merge would ghost.

A pixel moved when a frame disagrees with the reference frame there, both being
well exposed, by more than a tolerance on log radiance. Frames go through the
same alignment and linearisation as the merge, so what remains is what the
aligner could not explain: moving objects, parallax, flow errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.sampling import subsample_stride

# Chosen on a tuning set cut from training images, held-out scenes untouched
# (docs/results.md): a frame is well exposed where its mean code is above DARK
# and no channel reaches BRIGHT, nor comes within CLIP_MARGIN of its own clip
# level; it disagrees beyond TOLERANCE (natural log of radiance, about 0.43
# stops); the mask is softened over SOFTNESS pixels.
DARK = 0.05
BRIGHT = 0.9
TOLERANCE = 0.3
SOFTNESS = 3.0

# White balance after a raw clip makes a channel clip below white (a green sky at code
# 0.75 while red reaches 1): a channel clips at the bracket's brightest code of it where
# two frames or more each pile up at least CLIP_SHARE of their pixels there (within one
# 8-bit code). A bright flat region piles up too, but at a code that moves with the
# exposure; a clip stays put. JPEG smears the pile-up, and the level stays at white.
CLIP_MARGIN = 2 / 255
CLIP_SHARE = 0.001

# In the shadows a static pair disagrees by more than TOLERANCE: sensor noise, 8-bit
# quantisation and JPEG blocks, magnified by a steep curve. The spread is measured on
# the pair itself, per band of the reference's mean code (NOISE_BANDS), as a robust
# sigma over the pixels well exposed in both; where NOISE_SIGMAS of them exceed
# TOLERANCE, the gap is divided by that excess. Bands with fewer than NOISE_MIN_PIXELS
# samples are left alone, and at most NOISE_SAMPLES pixels (a regular subsample) are
# looked at. Chosen on tuning brackets (docs/results.md).
NOISE_BANDS = 16
NOISE_SIGMAS = 2.0
NOISE_MIN_PIXELS = 200
NOISE_SAMPLES = 1 << 20


def clip_levels(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Per channel, the code at which the bracket clips: its brightest code where two
    frames pile up (see CLIP_SHARE), else 1 (white)."""
    levels = np.ones(3, np.float32)
    for channel in range(3):
        values = [frame[..., channel] for frame in frames]
        top = max(float(value.max()) for value in values)
        piled = sum(
            np.count_nonzero(value >= top - 1 / 255) >= CLIP_SHARE * value.size for value in values
        )
        if top < 1 - 1 / 255 and piled >= 2:
            levels[channel] = top
    return levels


def well_exposed(frame: np.ndarray, levels: np.ndarray | None = None) -> np.ndarray:
    """HxW bool: the frame's mean code is above DARK and no channel reaches BRIGHT or
    comes within CLIP_MARGIN of its clip level (``clip_levels``; None: white)."""
    bright = BRIGHT if levels is None else np.minimum(BRIGHT, levels - CLIP_MARGIN)
    return (frame.mean(axis=2) > DARK) & (frame < bright).all(axis=2)


def log_level(values: np.ndarray) -> np.ndarray:
    """HxW natural log of the mean linear radiance, the scale disagreement is measured on."""
    return np.log(values.mean(axis=2) + 1e-6)


def noise_excess(difference: np.ndarray, both: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Per band of the reference's code, the factor (at least 1) by which NOISE_SIGMAS
    robust sigmas of ``difference`` over the pixels ``both`` exceed TOLERANCE."""
    step = max(1, int(np.sqrt(both.size / NOISE_SAMPLES)))
    usable = both[::step, ::step]
    values, bands = difference[::step, ::step][usable], band[::step, ::step][usable]
    excess = np.ones(NOISE_BANDS, np.float32)
    for index in range(NOISE_BANDS):
        spread = values[bands == index]
        if spread.size >= NOISE_MIN_PIXELS:
            sigma = 1.4826 * np.median(np.abs(spread - np.median(spread)))
            excess[index] = max(1.0, NOISE_SIGMAS * sigma / TOLERANCE)
    return excess


def disagreement_with(
    reference_frame: np.ndarray, reference_linear: np.ndarray, levels: np.ndarray | None = None
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function of (frame, its linear values) giving the HxW |ln radiance - ln radiance
    of the reference| where both are well exposed (below the clip ``levels``), 0
    elsewhere (where one of them cannot tell), divided by the pair's noise excess at the
    reference's level (``noise_excess``). The reference's exposure, level and bands are
    computed once."""
    anchor, anchor_level = well_exposed(reference_frame, levels), log_level(reference_linear)
    band = np.minimum(reference_frame.mean(axis=2) * NOISE_BANDS, NOISE_BANDS - 1).astype(np.intp)

    def gap(frame: np.ndarray, values: np.ndarray) -> np.ndarray:
        both = anchor & well_exposed(frame, levels)
        difference = log_level(values) - anchor_level
        beyond_noise = np.abs(difference) / noise_excess(difference, both, band)[band]
        return np.where(both, beyond_noise, 0.0).astype(np.float32)

    return gap


def motion_mask(
    frames: Sequence[np.ndarray],
    linear: Sequence[np.ndarray],
    reference: int,
    tolerance: float = TOLERANCE,
    softness: float = SOFTNESS,
    levels: np.ndarray | None = None,
) -> np.ndarray:
    """HxW in [0, 1]: 1 where some frame moved against the reference, softened.
    ``levels``: the bracket's clip levels, measured here when not given."""
    levels = clip_levels(frames) if levels is None else levels
    gap = disagreement_with(frames[reference], linear[reference], levels)
    moved = np.zeros(frames[reference].shape[:2], bool)
    for index, (frame, values) in enumerate(zip(frames, linear, strict=True)):
        if index != reference:
            moved |= gap(frame, values) > tolerance
    mask = moved.astype(np.float32)
    if softness > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), softness)
    return np.clip(mask, 0.0, 1.0)


def share_with_static(
    mask: np.ndarray, exposed: np.ndarray, static_share: float, softness: float = SOFTNESS
) -> np.ndarray:
    """The motion mask with the static merge given ``static_share`` of the moving regions
    where the reference frame is well exposed (``exposed``: its ``well_exposed`` map;
    softened over ``softness`` pixels). A deghosting static merge is anchored on the
    reference there, so it is as free of ghosts as the dynamic one, and the average of
    two merges that err differently is closer than either. Where the reference is
    clipped or dark it cannot anchor anything, and the dynamic merge keeps the whole
    mask."""
    if static_share <= 0:
        return mask
    weight = exposed.astype(np.float32)
    if softness > 0:
        weight = cv2.GaussianBlur(weight, (0, 0), softness)
    return (mask * (1.0 - static_share * weight)).astype(np.float32)


# ``spread_into_blind``: where the reference frame is dark or clipped it cannot tell
# whether anything moved there, so the motion found around such a region reaches SPREAD
# of the image's longer side into it. Chosen on tuning brackets (docs/results.md). The
# spread is computed on a copy of the mask at most SPREAD_WORK_SIZE pixels on its longer
# side (a block maximum), so its cost does not grow with the radius on large photos.
SPREAD = 0.08
SPREAD_WORK_SIZE = 512


def spread_into_blind(mask: np.ndarray, exposed: np.ndarray, spread: float = SPREAD) -> np.ndarray:
    """The motion mask, raised where the reference frame is not well exposed (dark or
    clipped: False in ``exposed``, its ``well_exposed`` map) to its largest value within
    ``spread`` of the image's longer side. Motion is measured against the reference, so
    a moving object is found only where the reference sees it well; its dark or clipped
    parts, and the ghost a frame leaves there, would otherwise go to the static merge."""
    height, width = mask.shape
    radius = spread * max(height, width)
    if radius < 0.5 or not mask.any():
        return mask
    block = math.ceil(max(height, width) / SPREAD_WORK_SIZE)
    small = _block_maximum(mask, block)
    size = 2 * round(radius / block) + 1
    grown = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    if block > 1:
        grown = cv2.resize(grown, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.where(exposed, mask, np.maximum(mask, grown)).astype(np.float32)


def _block_maximum(image: np.ndarray, block: int) -> np.ndarray:
    """The largest value of each ``block`` x ``block`` tile (edge tiles padded)."""
    if block == 1:
        return image
    height, width = image.shape
    padded = np.pad(image, ((0, -height % block), (0, -width % block)), mode="edge")
    tiles = padded.reshape(padded.shape[0] // block, block, padded.shape[1] // block, block)
    return np.ascontiguousarray(tiles.max(axis=(1, 3)))


def blend_by_motion(static: np.ndarray, dynamic: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``dynamic`` where ``mask`` is 1, ``static`` where it is 0."""
    weight = mask[..., None]
    return np.ascontiguousarray((1.0 - weight) * static + weight * dynamic, dtype=np.float32)


# ``match_scale``: pixels count as still below this motion-mask weight, and as measured
# where the static merge's luminance lies in LEVELS (above the noise, below the range
# the network compresses); with fewer than MATCH_MIN_PIXELS of them the scale is kept. At
# most MATCH_SAMPLES pixels (a regular subsample) are looked at: a median needs no more.
STILL = 0.02
LEVELS = (1e-3, 0.5)
MATCH_MIN_PIXELS = 1000
MATCH_SAMPLES = 1 << 20


def match_scale(
    static: np.ndarray, dynamic: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, float]:
    """``static`` scaled to ``dynamic`` (the median ratio of their luminances over still,
    measured pixels), and the factor (1 where too few pixels are still)."""
    stride = subsample_stride(*mask.shape, MATCH_SAMPLES)
    sample = (slice(None, None, stride), slice(None, None, stride))
    still = mask[sample] < STILL
    static_level = static[sample].mean(axis=2)[still]
    dynamic_level = dynamic[sample].mean(axis=2)[still]
    measured = (static_level > LEVELS[0]) & (static_level < LEVELS[1]) & (dynamic_level > LEVELS[0])
    if np.count_nonzero(measured) < MATCH_MIN_PIXELS:
        return static, 1.0
    log_ratio = np.log(dynamic_level[measured]) - np.log(static_level[measured])
    factor = float(np.exp(np.median(log_ratio)))
    return (static * np.float32(factor)).astype(np.float32), factor


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
