"""Synthetic exposure brackets with known ground truth, cut from real HDR images.

One example: a view of a source HDR image, objects that move between frames, a
small camera motion in the non-reference frames, an exposure chosen so that the
shortest frame holds the highlights, and a camera (response, noise, bit depth)
that records each frame. The ground truth is the reference frame's radiance on
the network's scale: linear, relative to the shortest exposure (t = 1), clipped
to [0, 1], so that without noise, white-balance clipping or JPEG a frame is exactly
quantise(curve(clip(gt * t_i))) wherever nothing moved (camera.py has the rest).

Random draws come from separate child generators per aspect (source, view,
objects, motion, camera, augmentation): switching motion on or off leaves the
reference frame and the ground truth of a seed unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.data.camera import TONE_CURVES, Sensor, ToneCurve, capture
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
METERING_GAMMA = 2.2


@dataclass(frozen=True)
class SynthConfig:
    """How examples are drawn; every range is sampled uniformly per example.

    ``size``: (height, width) of the output. ``ev_steps``: stops between
    neighbouring frames; with ``uneven_probability`` each gap of a bracket is drawn
    on its own (say 1 then 3 stops), otherwise all gaps are one drawn step.
    ``tone_curves``: the families drawn from (camera.TONE_CURVES), each equally
    often; ``gamma_range``: the exponent of gamma and filmic curves;
    ``shoulder_range`` and ``contrast_range``: the filmic curve's highlight
    shoulder and S-contrast. ``bit_depths``: lossless depths; with
    ``jpeg_probability`` the camera writes 8-bit JPEGs of a quality in
    ``jpeg_quality`` instead. ``red_gain`` and ``blue_gain``: white-balance
    multipliers of the raw channels (green 1); the camera's white level lies
    between 1 (every channel clips to white) and the largest gain (channels clip
    at their own levels: coloured highlights). ``shot_noise`` and ``read_noise``:
    log-uniform ranges of the noise variances (see camera.Sensor); ``noise=False``
    switches noise off. ``static_fraction``: share of examples without any motion.
    ``highlight_level`` and ``highlight_quantile``: the exposure puts this quantile
    of the reference view's brightest channel at this fraction of the lowest
    channel saturation level of the shortest frame, unless that leaves the
    reference frame's median brighter than a level drawn from
    ``reference_median`` (in [0, 1] LDR values). ``white_balance_jitter``: the
    scene's own red and blue tint, within exp(+/- this). ``exposure_jitter``:
    standard deviation, in stops, of each frame's real exposure around its nominal
    one. ``augment``: random flips and 90-degree turns.
    """

    size: tuple[int, int] = (256, 256)
    frames: int = 3
    ev_steps: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0)
    uneven_probability: float = 0.2
    tone_curves: tuple[str, ...] = TONE_CURVES
    gamma_range: tuple[float, float] = (1.8, 2.6)
    shoulder_range: tuple[float, float] = (0.0, 4.0)
    contrast_range: tuple[float, float] = (0.0, 0.6)
    bit_depths: tuple[int, ...] = (8, 10, 12, 14)
    jpeg_probability: float = 0.35
    jpeg_quality: tuple[int, int] = (75, 98)
    red_gain: tuple[float, float] = (1.0, 2.6)
    blue_gain: tuple[float, float] = (1.0, 2.2)
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
        if not self.tone_curves or not set(self.tone_curves) <= set(TONE_CURVES):
            raise UserError(f"tone curves {self.tone_curves}: choose from {TONE_CURVES}")
        if not 1 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100:
            raise UserError(f"JPEG qualities {self.jpeg_quality} must lie in 1..100")
        if min(*self.red_gain, *self.blue_gain) < 1.0 or min(self.gamma_range) <= 0:
            raise UserError("white-balance gains must be >= 1 and gammas positive")
        for name in ("static_fraction", "uneven_probability", "jpeg_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise UserError(f"{name.replace('_', ' ')} {getattr(self, name)} is not in [0, 1]")

    def plain_camera(self, gamma: float = 2.2) -> SynthConfig:
        """This configuration with the paper's camera: a pure gamma curve, lossless
        output, no white-balance clipping (for tests and like-for-like comparisons)."""
        return dataclasses.replace(
            self,
            tone_curves=("gamma",),
            gamma_range=(gamma, gamma),
            jpeg_probability=0.0,
            red_gain=(1.0, 1.0),
            blue_gain=(1.0, 1.0),
        )


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
        sources,
        background,
        output,
        margin,
        config.frames,
        reference,
        dynamic,
        config.max_objects,
        object_rng,
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

    gaps = _draw_ev_gaps(config, camera_rng)
    times = 2.0 ** np.concatenate([[0.0], np.cumsum(gaps)])
    sensor = _draw_sensor(config, camera_rng)
    radiance = _expose_for_highlights(
        scene, reference, times[reference], sensor, config, camera_rng
    )
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
            "ev_gaps": [float(g) for g in gaps],
            "ev_step": float(gaps[0]) if len(set(gaps)) == 1 else None,
            "curve": sensor.curve.kind,
            "tone_curve": sensor.curve.describe(),
            "gamma": sensor.curve.gamma,
            "bits": sensor.bits,
            "jpeg_quality": sensor.jpeg_quality,
            "gains": list(sensor.gains),
            "white_level": sensor.white_level,
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
    sensor: Sensor,
    config: SynthConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Scale (and tint) radiance so the shortest frame holds the highlights below the
    sensor's lowest channel saturation level.

    Of a low-contrast view that would leave the reference frame mostly saturated,
    the exposure is lowered until the reference frame's median is no brighter than
    ``config.reference_median``, as a photographer metering the scene would do.
    Returns the scene on the network's scale, clipped to [0, 1]: brighter pixels
    saturate every frame, so the clip loses nothing a camera would have recorded.
    """
    jitter = config.white_balance_jitter
    gains = np.exp(rng.uniform(-jitter, jitter, 3)).astype(np.float32)
    gains[1] = 1.0
    level = rng.uniform(*config.highlight_level) * float(sensor.saturation_levels().min())
    quantile = rng.uniform(*config.highlight_quantile)
    # the metered median, in output values, taken back to linear with a typical gamma
    median_level = rng.uniform(*config.reference_median) ** METERING_GAMMA
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


def _draw_ev_gaps(config: SynthConfig, rng: np.random.Generator) -> list[float]:
    """Stops between neighbouring frames: one step for all, or (uneven) one per gap."""
    count = config.frames - 1
    if rng.random() < config.uneven_probability:
        return [float(rng.choice(config.ev_steps)) for _ in range(count)]
    return [float(rng.choice(config.ev_steps))] * count


def _draw_sensor(config: SynthConfig, rng: np.random.Generator) -> Sensor:
    kind = str(rng.choice(config.tone_curves))
    curve = ToneCurve(
        kind=kind,
        gamma=float(rng.uniform(*config.gamma_range)) if kind != "srgb" else 2.4,
        shoulder=float(rng.uniform(*config.shoulder_range)) if kind == "filmic" else 0.0,
        contrast=float(rng.uniform(*config.contrast_range)) if kind == "filmic" else 0.0,
    )
    jpeg = rng.random() < config.jpeg_probability
    quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
    bits = 8 if jpeg else int(rng.choice(config.bit_depths))
    gains = (float(rng.uniform(*config.red_gain)), 1.0, float(rng.uniform(*config.blue_gain)))
    white_level = 1.0 + rng.uniform(0.0, 1.0) * (max(gains) - 1.0)
    shot = _log_uniform(rng, config.shot_noise) if config.noise else 0.0
    read = _log_uniform(rng, config.read_noise) if config.noise else 0.0
    errors = 2.0 ** rng.normal(0.0, config.exposure_jitter, config.frames)
    return Sensor(
        curve=curve,
        bits=bits,
        shot_noise=shot,
        read_noise=read,
        exposure_error=tuple(float(e) for e in errors),
        gains=gains,
        white_level=float(white_level),
        jpeg_quality=quality if jpeg else None,
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
