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
# degrees). Together they move an output corner by at most about 0.13 of the size,
# within the canvas margin of MARGIN_FRACTION.
MAX_SHIFT = 0.05
MAX_TURN_DEGREES = 2.0
MAX_ZOOM = 0.02
MAX_TILT = 0.02
MARGIN_FRACTION = 0.15

# Plain crops are scaled by at most this much down (more would alias) and never up
# unless the source is smaller than the crop.
MIN_CROP_SCALE = 0.5


@dataclass
class Layer:
    """An object: radiance and soft alpha, with its top-left canvas position per frame."""

    radiance: np.ndarray
    alpha: np.ndarray
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
    image size per frame step, plus jitter); without, all frames show it in place.
    All random draws happen either way, so a static and a moving example from one
    seed share their reference frame.
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
        gain = math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        radiance = random_crop(source.radiance, patch_size, rng) * np.float32(gain)
        alpha = soft_mask(patch_size, rng)
        centre = np.array([margin + rng.uniform(0, height), margin + rng.uniform(0, width)])
        top_left = centre - np.array(patch_size) / 2
        direction = rng.uniform(0.0, 2 * math.pi)
        speed = rng.uniform(0.02, 0.12) * extent
        velocity = speed * np.array([math.sin(direction), math.cos(direction)])
        jitter = rng.normal(0.0, 0.005 * extent, (frames, 2))
        positions = []
        for index in range(frames):
            place = top_left
            if moving and index != reference:
                place = top_left + velocity * (index - reference) + jitter[index]
            positions.append((round(place[0]), round(place[1])))
        layers.append(Layer(radiance=radiance, alpha=alpha, positions=positions))
    return layers


def composite(background: np.ndarray, layers: Sequence[Layer], frame: int) -> np.ndarray:
    """The background with every layer pasted at its place in ``frame``, in order."""
    canvas = background.copy()
    canvas_height, canvas_width = canvas.shape[:2]
    for layer in layers:
        top, left = layer.positions[frame]
        patch_height, patch_width = layer.alpha.shape[:2]
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + patch_height, canvas_height), min(left + patch_width, canvas_width)
        if y0 >= y1 or x0 >= x1:
            continue
        window = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        region = canvas[y0:y1, x0:x1]
        region += layer.alpha[window] * (layer.radiance[window] - region)
    return canvas


def canvas_margin(output: tuple[int, int]) -> int:
    """The border around the output window that the largest camera motion can reveal."""
    return math.ceil(MARGIN_FRACTION * max(output))


def camera_homography(output: tuple[int, int], margin: int, rng: np.random.Generator) -> np.ndarray:
    """A small hand-held camera motion about the window centre: shift, turn, zoom, tilt.

    Maps canvas coordinates (output window plus ``margin`` on each side) to
    canvas coordinates. Each component is drawn from a normal and clipped to its
    limit (MAX_*); the limits together keep every output pixel's source inside
    the canvas, so warped frames never show invented borders.
    """
    height, width = output
    extent = max(height, width)
    shift = np.clip(rng.normal(0.0, MAX_SHIFT / 2, 2), -MAX_SHIFT, MAX_SHIFT) * extent
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
