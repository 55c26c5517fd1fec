"""A simple camera: exposure, Poisson-Gaussian noise, clipping, response, quantisation.

Radiance comes in on the network's scale (the shortest exposure maps [0, 1] to
the sensor's full range), so frame i records H * t_i. The noise is the usual
heteroscedastic approximation of photon shot noise plus read noise, applied in
the linear domain before the sensor saturates; the response is a gamma curve;
the ADC rounds to 2^bits - 1 levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sensor:
    """One camera's settings for one bracket.

    ``shot_noise``: noise variance per unit of signal (1 / full-well capacity at
    the ISO used); ``read_noise``: the signal-independent variance. Zero for both
    gives a noise-free camera. ``exposure_error``: per frame, the real exposure
    over the nominal one (aperture and shutter are never exact).
    """

    gamma: float
    bits: int
    shot_noise: float
    read_noise: float
    exposure_error: tuple[float, ...]

    @property
    def noisy(self) -> bool:
        return self.shot_noise > 0 or self.read_noise > 0


def capture(
    radiance: np.ndarray, times: np.ndarray, sensor: Sensor, rng: np.random.Generator
) -> np.ndarray:
    """Expose (N, H, W, 3) radiance (frame i with time ``times[i]``) into LDR frames.

    Returns float32 (N, H, W, 3) in [0, 1]: clip(signal + noise)^(1/gamma), rounded
    to the sensor's bit depth.
    """
    exposures = np.asarray(times, dtype=np.float32) * np.asarray(
        sensor.exposure_error, dtype=np.float32
    )
    signal = radiance.astype(np.float32) * exposures[:, None, None, None]
    if sensor.noisy:
        spread = np.sqrt(
            np.float32(sensor.shot_noise) * np.maximum(signal, 0.0) + sensor.read_noise
        )
        signal += spread * rng.standard_normal(signal.shape, dtype=np.float32)
    np.clip(signal, 0.0, 1.0, out=signal)
    return quantise(np.power(signal, np.float32(1.0 / sensor.gamma)), sensor.bits)


def quantise(values: np.ndarray, bits: int) -> np.ndarray:
    """Round values in [0, 1] to the 2^bits levels of an ADC, kept as float32."""
    levels = np.float32(2**bits - 1)
    return np.round(values * levels) / levels
