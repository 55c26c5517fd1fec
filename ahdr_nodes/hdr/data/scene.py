"""The moving scene behind a synthetic bracket, in linear radiance.

A background view of a source HDR image, objects (soft-edged patches cut from a
source image) pasted on top at a different place in each frame, and a small
camera homography per non-reference frame. Each frame is rendered on a canvas a
margin larger than the output, so warping never pulls in undefined borders.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ahdr_nodes.hdr.data.projection import equirect_to_perspective
from ahdr_nodes.hdr.data.sources import HDRSource

# Limits of the hand-held camera motion, relative to the output size (turn in
# degrees): a shift of 1 to 3 % of the size, as between hand-held frames, plus a
# small turn, zoom and tilt. Together they move an output corner by at most about
# 0.11 of the size, within the canvas margin of MARGIN_FRACTION.
MIN_SHIFT = 0.01
MAX_SHIFT = 0.03
MAX_TURN_DEGREES = 2.0
MAX_ZOOM = 0.02
MAX_TILT = 0.02
MARGIN_FRACTION = 0.15

# Objects: how often one is bright (up to 16x, so it clips where the scene does not),
# how often it sits over the brightest part of the reference view (where the
# reference frame is clipped and only the short frame sees what it hides), and how
# often it changes shape between frames (a walking person, leaves in the wind).
BRIGHT_OBJECT_PROBABILITY = 0.25
OVER_HIGHLIGHT_PROBABILITY = 0.35
NON_RIGID_PROBABILITY = 0.5
MAX_BEND = 0.08

# Plain crops are scaled by at most this much down (more would alias) and never up
# unless the source is smaller than the crop.
MIN_CROP_SCALE = 0.5


@dataclass
class Layer:
    """An object: per frame its radiance, soft alpha and top-left canvas position.

    A rigid object shares one radiance and alpha between frames; a non-rigid one
    is bent differently in each frame (never in the reference frame).
    """

    radiance: list[np.ndarray]
    alpha: list[np.ndarray]
    positions: list[tuple[int, int]]


def sample_view(
    source: HDRSource, size: tuple[int, int], rng: np.random.Generator, perspective: float
) -> np.ndarray:
    """A background of ``size``: a perspective view (panoramas, with probability
    ``perspective``) or a randomly placed and scaled crop."""
    if source.equirectangular and rng.random() < perspective:
        return equirect_to_perspective(
            source.radiance,
            size,
            yaw=rng.uniform(-math.pi, math.pi),
            pitch=math.radians(rng.uniform(-35.0, 35.0)),
            fov=math.radians(rng.uniform(60.0, 100.0)),
            roll=math.radians(rng.normal(0.0, 3.0)),
        )
    return random_crop(source.radiance, size, rng)


def random_crop(image: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A crop of ``size`` at a random place and a random scale (log-uniform)."""
    height, width = size
    source_height, source_width = image.shape[:2]
    needed = max(height / source_height, width / source_width)
    low, high = max(needed, MIN_CROP_SCALE), max(needed, 1.0)
    scale = math.exp(rng.uniform(math.log(low), math.log(high)))
    top = rng.uniform(0.0, max(source_height - height / scale, 0.0))
    left = rng.uniform(0.0, max(source_width - width / scale, 0.0))
    to_crop = np.array([[scale, 0.0, -scale * left], [0.0, scale, -scale * top]])
    return cv2.warpAffine(
        image, to_crop, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def soft_mask(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """An irregular blob filling most of ``size``, alpha in [0, 1] with a soft edge (HxWx1)."""
    height, width = size
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    angle = rng.uniform(0.0, math.pi)
    stretch = rng.uniform(0.6, 1.0)
    along = xs * math.cos(angle) + ys * math.sin(angle)
    across = (ys * math.cos(angle) - xs * math.sin(angle)) / stretch
    radius = np.sqrt(along**2 + across**2)
    wobble = cv2.resize(
        rng.uniform(-0.25, 0.25, (4, 4)).astype(np.float32),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    # an edge 1 to 4 pixels wide, and never so wide that a small blob has no solid core
    edge = min(rng.uniform(1.0, 4.0) * 2.0 / min(height, width), 0.3)
    alpha = np.clip((0.9 - radius + wobble) / edge, 0.0, 1.0)
    return alpha[..., None]


def sample_layers(
    sources: Sequence[HDRSource],
    background: np.ndarray,
    output: tuple[int, int],
    margin: int,
    frames: int,
    reference: int,
    moving: bool,
    max_objects: int,
    rng: np.random.Generator,
) -> list[Layer]:
    """Up to ``max_objects`` objects, visible in the reference frame.

    With ``moving``, each object slides at its own velocity (a few percent of the
    image size per frame step, plus jitter) and may bend; without, all frames show
    it in place and unbent. Some objects are bright, some sit over the brightest
    part of ``background`` (the canvas) in the reference frame. All random draws
    happen either way, so a static and a moving example from one seed share their
    reference frame.
    """
    height, width = output
    extent = max(height, width)
    layers = []
    for _ in range(rng.integers(0, max_objects + 1)):
        source = sources[rng.integers(len(sources))]
        patch_size = (
            max(int(height * rng.uniform(0.15, 0.5)), 4),
            max(int(width * rng.uniform(0.15, 0.5)), 4),
        )
        brightest = math.log(16.0) if rng.random() < BRIGHT_OBJECT_PROBABILITY else math.log(4.0)
        gain = math.exp(rng.uniform(math.log(0.25), brightest))
        radiance = random_crop(source.radiance, patch_size, rng) * np.float32(gain)
        alpha = soft_mask(patch_size, rng)
        centre = np.array([margin + rng.uniform(0, height), margin + rng.uniform(0, width)])
        if rng.random() < OVER_HIGHLIGHT_PROBABILITY:
            centre = _brightest_place(background, output, margin, patch_size)
        top_left = centre - np.array(patch_size) / 2
        direction = rng.uniform(0.0, 2 * math.pi)
        speed = rng.uniform(0.02, 0.12) * extent
        velocity = speed * np.array([math.sin(direction), math.cos(direction)])
        jitter = rng.normal(0.0, 0.005 * extent, (frames, 2))
        bends = rng.uniform(-1.0, 1.0, (frames, 2, 3, 3)).astype(np.float32)
        bend = rng.uniform(0.0, MAX_BEND) if rng.random() < NON_RIGID_PROBABILITY else 0.0
        positions, radiances, alphas = [], [], []
        for index in range(frames):
            place, shape = top_left, (radiance, alpha)
            if moving and index != reference:
                place = top_left + velocity * (index - reference) + jitter[index]
                if bend > 0:
                    shape = _bent(radiance, alpha, bends[index] * bend * abs(index - reference))
            positions.append((round(place[0]), round(place[1])))
            radiances.append(shape[0])
            alphas.append(shape[1])
        layers.append(Layer(radiance=radiances, alpha=alphas, positions=positions))
    return layers


def _brightest_place(
    background: np.ndarray, output: tuple[int, int], margin: int, patch: tuple[int, int]
) -> np.ndarray:
    """The canvas centre of the patch-sized window of the output with the most light."""
    height, width = output
    window = background[margin : margin + height, margin : margin + width]
    light = np.maximum(np.maximum(window[..., 0], window[..., 1]), window[..., 2])
    light = cv2.blur(np.ascontiguousarray(light), (max(patch[1] // 2, 1), max(patch[0] // 2, 1)))
    row, column = np.unravel_index(int(np.argmax(light)), light.shape)
    return np.array([margin + row, margin + column], dtype=np.float64)


def _bent(
    radiance: np.ndarray, alpha: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The object under a smooth elastic warp: ``offsets`` (2, 3, 3) are the
    displacements of a 3x3 control grid, as fractions of the patch size."""
    height, width = alpha.shape[:2]
    dy = cv2.resize(offsets[0] * height, (width, height), interpolation=cv2.INTER_CUBIC)
    dx = cv2.resize(offsets[1] * width, (width, height), interpolation=cv2.INTER_CUBIC)
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    map_x, map_y = columns + dx, rows + dy
    bent_radiance = cv2.remap(radiance, map_x, map_y, cv2.INTER_LINEAR, cv2.BORDER_REFLECT)
    bent_alpha = cv2.remap(alpha[..., 0], map_x, map_y, cv2.INTER_LINEAR, cv2.BORDER_CONSTANT)
    return bent_radiance, bent_alpha[..., None]


def composite(background: np.ndarray, layers: Sequence[Layer], frame: int) -> np.ndarray:
    """The background with every layer pasted at its place in ``frame``, in order."""
    canvas = background.copy()
    canvas_height, canvas_width = canvas.shape[:2]
    for layer in layers:
        top, left = layer.positions[frame]
        radiance, alpha = layer.radiance[frame], layer.alpha[frame]
        patch_height, patch_width = alpha.shape[:2]
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + patch_height, canvas_height), min(left + patch_width, canvas_width)
        if y0 >= y1 or x0 >= x1:
            continue
        window = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        region = canvas[y0:y1, x0:x1]
        region += alpha[window] * (radiance[window] - region)
    return canvas


def canvas_margin(output: tuple[int, int]) -> int:
    """The border around the output window that the largest camera motion can reveal."""
    return math.ceil(MARGIN_FRACTION * max(output))


def camera_homography(output: tuple[int, int], margin: int, rng: np.random.Generator) -> np.ndarray:
    """A small hand-held camera motion about the window centre: shift, turn, zoom, tilt.

    Maps canvas coordinates (output window plus ``margin`` on each side) to
    canvas coordinates. The shift has a length between MIN_SHIFT and MAX_SHIFT of
    the size in a random direction; the other components are drawn from normals
    and clipped to their limits (MAX_*); the limits together keep every output
    pixel's source inside the canvas, so warped frames never show invented borders.
    """
    height, width = output
    extent = max(height, width)
    heading = rng.uniform(0.0, 2 * math.pi)
    length = rng.uniform(MIN_SHIFT, MAX_SHIFT) * extent
    shift = length * np.array([math.cos(heading), math.sin(heading)])
    turn = np.clip(rng.normal(0.0, MAX_TURN_DEGREES / 2), -MAX_TURN_DEGREES, MAX_TURN_DEGREES)
    zoom = math.exp(float(np.clip(rng.normal(0.0, MAX_ZOOM / 2), -MAX_ZOOM, MAX_ZOOM)))
    tilt = np.clip(rng.normal(0.0, MAX_TILT / 2, 2), -MAX_TILT, MAX_TILT) / extent
    cos, sin = zoom * math.cos(math.radians(turn)), zoom * math.sin(math.radians(turn))
    centred = np.array([[cos, -sin, shift[0]], [sin, cos, shift[1]], [tilt[0], tilt[1], 1.0]])
    centre_x, centre_y = margin + width / 2, margin + height / 2
    to_centre = np.array([[1.0, 0.0, -centre_x], [0.0, 1.0, -centre_y], [0.0, 0.0, 1.0]])
    return np.linalg.inv(to_centre) @ centred @ to_centre


def render_frame(
    canvas: np.ndarray, homography: np.ndarray | None, margin: int, output: tuple[int, int]
) -> np.ndarray:
    """The output window of a canvas, seen through the camera motion if there is one."""
    height, width = output
    if homography is None:
        return canvas[margin : margin + height, margin : margin + width]
    to_output = np.array([[1.0, 0.0, -margin], [0.0, 1.0, -margin], [0.0, 0.0, 1.0]])
    return cv2.warpPerspective(
        canvas,
        to_output @ homography,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    )
