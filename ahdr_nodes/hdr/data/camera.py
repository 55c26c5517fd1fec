"""A camera as real ones record brackets: exposure, noise, white balance, clipping, tone
curve, quantisation and, for JPEG engines, lossy compression.

Radiance comes in on the network's scale (the shortest exposure maps [0, 1] to
the output's full range), already white-balanced: it is what the merged HDR
should show. Frame i sees ``H * t_i``. The sensor records that divided by the
white-balance gains (the raw, un-balanced signal), adds Poisson-Gaussian noise
and saturates at 1; the camera then multiplies by the gains, divides by its
white level and clips again. So each channel saturates at its own level
``gain_c / white_level`` (at most 1): where the raw green saturates first, a
clipped highlight keeps a colour, as real JPEGs do. Finally a tone curve
(gamma, the sRGB curve, or an S-shaped "filmic" curve with a toe and a
highlight shoulder) encodes the values, which are rounded to the bit depth and,
for a JPEG camera, compressed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TONE_CURVES = ("gamma", "srgb", "filmic")


@dataclass(frozen=True)
class ToneCurve:
    """A camera's encoding of linear values in [0, 1] to output values in [0, 1].

    ``gamma``: x^(1/gamma). ``srgb``: the sRGB curve (IEC 61966-2-1). ``filmic``:
    a highlight shoulder ``(1 + shoulder) x / (1 + shoulder x)``, then
    x^(1/gamma), then a blend with a smoothstep of weight ``contrast`` that lifts
    the midtones' contrast and flattens the toe: the shape of camera and phone
    JPEG engines. Every curve is monotone with f(0) = 0 and f(1) = 1.
    """

    kind: str = "gamma"
    gamma: float = 2.2
    shoulder: float = 0.0
    contrast: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in TONE_CURVES:
            raise ValueError(f"tone curve {self.kind!r}: choose one of {', '.join(TONE_CURVES)}")
        if not self.gamma > 0 or self.shoulder < 0 or not 0 <= self.contrast <= 1:
            raise ValueError(f"tone curve parameters out of range: {self}")

    def encode(self, linear: np.ndarray) -> np.ndarray:
        """Output values of linear values in [0, 1] (float32)."""
        x = np.clip(linear, 0.0, 1.0).astype(np.float32, copy=False)
        if self.kind == "srgb":
            return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(
                np.float32
            )
        if self.kind == "filmic" and self.shoulder > 0:
            x = (1 + self.shoulder) * x / (1 + self.shoulder * x)
        encoded = np.power(x, np.float32(1.0 / self.gamma))
        if self.kind == "filmic" and self.contrast > 0:
            smooth = encoded * encoded * (3 - 2 * encoded)
            encoded = encoded + np.float32(self.contrast) * (smooth - encoded)
        return encoded.astype(np.float32, copy=False)

    def describe(self) -> str:
        """A short label for metadata and reports: the family, with its main parameter."""
        if self.kind == "srgb":
            return "srgb"
        if self.kind == "gamma":
            return f"gamma {self.gamma:.2f}"
        return f"filmic gamma {self.gamma:.2f} shoulder {self.shoulder:.2f} S {self.contrast:.2f}"

    @classmethod
    def from_description(cls, text: str) -> ToneCurve:
        """The curve a ``describe()`` label names (parameters to its two decimals), so a
        synthetic scene's metadata gives back the curve that encoded it."""
        words = text.split()
        if words == ["srgb"]:
            return cls("srgb")
        if len(words) == 2 and words[0] == "gamma":
            return cls("gamma", float(words[1]))
        if (
            len(words) == 7
            and words[:2] == ["filmic", "gamma"]
            and words[3:6:2] == ["shoulder", "S"]
        ):
            return cls("filmic", float(words[2]), float(words[4]), float(words[6]))
        raise ValueError(f"not a tone curve description: {text!r}")

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """The linear values that output values ``codes`` in [0, 1] encode (float64): the
        exact inverse, between codes too, as a truth for fitted responses."""
        linear = np.linspace(0.0, 1.0, 2**18 + 1)
        return np.interp(codes, self.encode(linear).astype(np.float64), linear)

    def inverse_table(self) -> np.ndarray:
        """The exact inverse response as a (256, 3) table (the linearisers' format): the
        truth a response fitted from this camera's brackets is measured against."""
        inverse = self.decode(np.arange(256) / 255.0)
        return np.repeat(inverse[:, None], 3, axis=1).astype(np.float32)


@dataclass(frozen=True)
class Sensor:
    """One camera's settings for one bracket.

    ``shot_noise``: noise variance per unit of raw signal (1 / full-well capacity at
    the ISO used); ``read_noise``: the signal-independent variance. Zero for both
    gives a noise-free camera. ``exposure_error``: per frame, the real exposure
    over the nominal one (aperture and shutter are never exact). ``gains``: the
    white-balance multipliers of R, G, B (green 1); ``white_level``: what the
    balanced signal is divided by, so channel c saturates at
    min(gains[c] / white_level, 1). ``jpeg_quality``: None for lossless output.
    """

    curve: ToneCurve
    bits: int
    shot_noise: float
    read_noise: float
    exposure_error: tuple[float, ...]
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    white_level: float = 1.0
    jpeg_quality: int | None = None

    @property
    def noisy(self) -> bool:
        return self.shot_noise > 0 or self.read_noise > 0

    def saturation_levels(self) -> np.ndarray:
        """Per channel, the balanced linear value at which the channel clips (<= 1)."""
        return np.minimum(np.asarray(self.gains, np.float32) / np.float32(self.white_level), 1.0)


def capture(
    radiance: np.ndarray, times: np.ndarray, sensor: Sensor, rng: np.random.Generator
) -> np.ndarray:
    """Expose (N, H, W, 3) balanced radiance (frame i with time ``times[i]``) into LDR frames.

    Returns float32 (N, H, W, 3) in [0, 1], on the sensor's bit depth (8 bits and
    JPEG-decoded for a JPEG camera).
    """
    exposures = np.asarray(times, dtype=np.float32) * np.asarray(
        sensor.exposure_error, dtype=np.float32
    )
    to_raw = np.float32(sensor.white_level) / np.asarray(sensor.gains, dtype=np.float32)
    raw = radiance.astype(np.float32) * exposures[:, None, None, None] * to_raw
    if sensor.noisy:
        spread = np.sqrt(np.float32(sensor.shot_noise) * np.maximum(raw, 0.0) + sensor.read_noise)
        raw += spread * rng.standard_normal(raw.shape, dtype=np.float32)
    np.clip(raw, 0.0, 1.0, out=raw)
    balanced = np.clip(raw / to_raw, 0.0, 1.0)
    frames = quantise(sensor.curve.encode(balanced), sensor.bits)
    if sensor.jpeg_quality is not None:
        frames = np.stack([jpeg_roundtrip(frame, sensor.jpeg_quality) for frame in frames])
    return frames


def quantise(values: np.ndarray, bits: int) -> np.ndarray:
    """Round values in [0, 1] to the 2^bits levels of an ADC, kept as float32."""
    levels = np.float32(2**bits - 1)
    return np.round(values * levels) / levels


def jpeg_roundtrip(frame: np.ndarray, quality: int) -> np.ndarray:
    """An HxWx3 frame in [0, 1] encoded as an 8-bit JPEG at ``quality`` and decoded again."""
    codes = np.rint(np.clip(frame, 0.0, 1.0) * 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]
    return decoded.astype(np.float32) / np.float32(255)
