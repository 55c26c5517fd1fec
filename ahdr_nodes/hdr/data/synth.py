"""Synthetic exposure brackets with known ground truth, cut from real HDR images.

One example: a view of a source HDR image, objects that move between frames, a
small camera motion in the non-reference frames, an exposure chosen so that the
shortest frame holds the highlights, and a camera (response, noise, bit depth)
that records each frame. The ground truth is the reference frame's radiance on
the network's scale: linear, relative to the shortest exposure (t = 1), clipped
to [0, 1], so that without noise a frame is exactly
quantise(clip(gt * t_i)^(1 / gamma)) wherever nothing moved.

Random draws come from separate child generators per aspect (source, view,
objects, motion, camera, augmentation): switching motion on or off leaves the
reference frame and the ground truth of a seed unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.camera import Sensor, capture
from ahdr_nodes.hdr.data.scene import (
    camera_homography,
    canvas_margin,
    composite,
    render_frame,
    sample_layers,
    sample_view,
)
from ahdr_nodes.hdr.data.sources import HDRSource
from ahdr_nodes.hdr.types import Bracket

# In a moving example without objects the camera must move; with objects it
# moves this often (the rest are tripod shots of a moving scene).
CAMERA_MOTION_PROBABILITY = 0.75


@dataclass(frozen=True)
class SynthConfig:
    """How examples are drawn; every range is sampled uniformly per example.

    ``size``: (height, width) of the output. ``ev_steps``: stops between
    neighbouring frames (2 and 3 as in the Kalantari set). ``gamma_jitter``: the
    camera's gamma is ``gamma`` +/- this. ``shot_noise`` and ``read_noise``:
    log-uniform ranges of the noise variances (see camera.Sensor); ``noise=False``
    switches noise off. ``static_fraction``: share of examples without any motion.
    ``highlight_level`` and ``highlight_quantile``: the exposure puts this quantile
    of the reference view's brightest channel at this level of the shortest frame,
    unless that leaves the reference frame's median brighter than a level drawn
    from ``reference_median`` (in [0, 1] LDR values).
    ``white_balance_jitter``: red and blue gains within exp(+/- this).
    ``exposure_jitter``: standard deviation, in stops, of each frame's real
    exposure around its nominal one. ``augment``: random flips and 90-degree turns.
    """

    size: tuple[int, int] = (256, 256)
    frames: int = 3
    ev_steps: tuple[float, ...] = (2.0, 3.0)
    bit_depths: tuple[int, ...] = (8, 10, 12)
    gamma: float = 2.2
    gamma_jitter: float = 0.1
    noise: bool = True
    shot_noise: tuple[float, float] = (10**-4.5, 10**-2.5)
    read_noise: tuple[float, float] = (1e-8, 1e-5)
    static_fraction: float = 0.2
    max_objects: int = 3
    perspective_probability: float = 0.5
    highlight_level: tuple[float, float] = (0.7, 1.0)
    highlight_quantile: tuple[float, float] = (0.99, 1.0)
    reference_median: tuple[float, float] = (0.3, 0.6)
    white_balance_jitter: float = 0.15
    exposure_jitter: float = 0.03
    augment: bool = True

    def __post_init__(self) -> None:
        if len(self.size) != 2 or min(self.size) < 8:
            raise UserError(f"synthetic example size {self.size} must be (height, width) >= 8")
        if self.frames < 2:
            raise UserError(f"a bracket needs at least 2 frames, not {self.frames}")
        if not self.ev_steps or min(self.ev_steps) <= 0:
            raise UserError(f"EV steps {self.ev_steps} must be positive")
        if not self.bit_depths or not set(self.bit_depths) <= set(range(1, 17)):
            raise UserError(f"bit depths {self.bit_depths} must lie in 1..16")
        if not 0.0 <= self.static_fraction <= 1.0:
            raise UserError(f"static fraction {self.static_fraction} is not in [0, 1]")


DEFAULT_CONFIG = SynthConfig()


@dataclass
class Example:
    """A synthetic bracket and its ground truth.

    ``frames``: HxWx3 float32 in [0, 1], shortest exposure first. ``times``:
    nominal relative exposure times, the shortest 1. ``ground_truth``: HxWx3
    float32 linear radiance in [0, 1] on the shortest exposure's scale, in the
    reference frame's geometry. ``dynamic``: whether anything moves between frames.
    ``metadata``: what was drawn (source, EV step, gamma, bits, noise, ...).
    """

    frames: list[np.ndarray]
    times: np.ndarray
    reference: int
    ground_truth: np.ndarray
    dynamic: bool
    metadata: dict[str, Any] = field(default_factory=dict)

    def bracket(self) -> Bracket:
        """The frames as the HDR graph's input type."""
        return Bracket(
            frames=list(self.frames),
            times=self.times.copy(),
            reference=self.reference,
            metadata=dict(self.metadata),
        )


def example_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of example ``index`` of a seeded series: depends on nothing else."""
    if seed < 0 or index < 0:
        raise UserError(f"seed {seed} and example index {index} must not be negative")
    return np.random.default_rng([seed, index])


def synthesise_example(
    sources: Sequence[HDRSource], rng: np.random.Generator, config: SynthConfig = DEFAULT_CONFIG
) -> Example:
    """Draw one example from ``sources``; the same generator state gives the same example."""
    if not sources:
        raise UserError("no source HDR images to synthesise from")
    choice, view_rng, object_rng, motion_rng, camera_rng, augment_rng = rng.spawn(6)
    dynamic = bool(choice.random() >= config.static_fraction)
    source = sources[choice.integers(len(sources))]
    reference = config.frames // 2

    turns = int(augment_rng.integers(4)) if config.augment else 0
    mirror = bool(augment_rng.random() < 0.5) if config.augment else False
    output = config.size[::-1] if turns % 2 else config.size
    margin = canvas_margin(output)
    canvas_size = (output[0] + 2 * margin, output[1] + 2 * margin)

    background = sample_view(source, canvas_size, view_rng, config.perspective_probability)
    layers = sample_layers(
        sources, output, margin, config.frames, reference, dynamic, config.max_objects, object_rng
    )
    camera_moves = dynamic and (not layers or motion_rng.random() < CAMERA_MOTION_PROBABILITY)
    homographies = [
        camera_homography(output, margin, motion_rng)
        if camera_moves and index != reference
        else None
        for index in range(config.frames)
    ]
    scene = np.stack(
        [
            render_frame(composite(background, layers, index), homography, margin, output)
            for index, homography in enumerate(homographies)
        ]
    )

    ev_step = float(camera_rng.choice(config.ev_steps))
    times = 2.0 ** (ev_step * np.arange(config.frames))
    radiance = _expose_for_highlights(scene, reference, times[reference], config, camera_rng)
    sensor = _draw_sensor(config, camera_rng)
    frames = capture(radiance, times, sensor, camera_rng)
    ground_truth = radiance[reference]

    frames = orient(frames, turns, mirror)
    ground_truth = orient(ground_truth[None], turns, mirror)[0]
    return Example(
        frames=list(frames),
        times=times,
        reference=reference,
        ground_truth=ground_truth,
        dynamic=dynamic,
        metadata={
            "source": source.name,
            "ev_step": ev_step,
            "gamma": sensor.gamma,
            "bits": sensor.bits,
            "shot_noise": sensor.shot_noise,
            "read_noise": sensor.read_noise,
            "objects": len(layers),
            "camera_motion": camera_moves,
        },
    )


def _expose_for_highlights(
    scene: np.ndarray,
    reference: int,
    reference_time: float,
    config: SynthConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Scale (and white-balance) radiance so the shortest frame holds the highlights.

    Of a low-contrast view that would leave the reference frame mostly saturated,
    the exposure is lowered until the reference frame's median is no brighter than
    ``config.reference_median``, as a photographer metering the scene would do.
    Returns the scene on the network's scale, clipped to [0, 1]: brighter pixels
    saturate every frame, so the clip loses nothing a camera would have recorded.
    """
    jitter = config.white_balance_jitter
    gains = np.exp(rng.uniform(-jitter, jitter, 3)).astype(np.float32)
    gains[1] = 1.0
    level = rng.uniform(*config.highlight_level)
    quantile = rng.uniform(*config.highlight_quantile)
    median_level = rng.uniform(*config.reference_median) ** config.gamma
    balanced = scene[reference] * gains
    # np.maximum over the channel planes: far faster than max(axis=-1) over 3 values
    brightest = np.maximum(np.maximum(balanced[..., 0], balanced[..., 1]), balanced[..., 2])
    brightest = brightest.ravel()
    highlight = _order_statistic(brightest, quantile)
    median = _order_statistic(brightest, 0.5)
    if highlight <= 0.0:
        highlight = float(brightest.max()) or 1.0
    scale = level / highlight
    if median > 0.0:
        scale = min(scale, median_level / (reference_time * median))
    scene *= gains * np.float32(scale)
    return np.clip(scene, 0.0, 1.0, out=scene)


def _order_statistic(values: np.ndarray, quantile: float) -> float:
    """The value below which ``quantile`` of ``values`` lie (no interpolation: fast)."""
    rank = round(quantile * (values.size - 1))
    return float(np.partition(values, rank)[rank])


def _draw_sensor(config: SynthConfig, rng: np.random.Generator) -> Sensor:
    gamma = config.gamma + rng.uniform(-config.gamma_jitter, config.gamma_jitter)
    bits = int(rng.choice(config.bit_depths))
    shot = _log_uniform(rng, config.shot_noise) if config.noise else 0.0
    read = _log_uniform(rng, config.read_noise) if config.noise else 0.0
    errors = 2.0 ** rng.normal(0.0, config.exposure_jitter, config.frames)
    return Sensor(
        gamma=float(gamma),
        bits=bits,
        shot_noise=shot,
        read_noise=read,
        exposure_error=tuple(float(e) for e in errors),
    )


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def orient(images: np.ndarray, turns: int, mirror: bool) -> np.ndarray:
    """Turn (N, H, W, C) images by ``turns`` quarter turns, then mirror left-right."""
    images = np.rot90(images, turns, axes=(1, 2))
    if mirror:
        images = images[:, :, ::-1]
    return np.ascontiguousarray(images, dtype=np.float32)
