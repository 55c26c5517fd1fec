"""Tonemappers: linear radiance (HxWx3 RGB) to a display image in [0, 1].

mu-law is the paper's (for loss and PSNR-mu); Reinhard, Drago and Mantiuk are
OpenCV's operators; ``exposure_gamma`` is a plain display transform.
"""

from __future__ import annotations

import cv2
import numpy as np

MU = 5000.0


def mu_law(radiance: np.ndarray, mu: float = MU) -> np.ndarray:
    """T(H) = log(1 + mu H) / log(1 + mu); radiance is clipped to [0, 1] first.

    The one definition for previews, the loss and the metrics: float64 input
    stays float64 (metrics), anything else becomes float32 (images).
    """
    values = np.asarray(radiance)
    dtype = np.float64 if values.dtype == np.float64 else np.float32
    clipped = np.clip(values.astype(dtype, copy=False), 0.0, 1.0)
    return np.log1p(dtype(mu) * clipped) / np.log1p(dtype(mu))


def exposure_gamma(radiance: np.ndarray, exposure: float = 0.0, gamma: float = 2.2) -> np.ndarray:
    """clip(H * 2^exposure, 0, 1)^(1/gamma): a camera-like display of the radiance."""
    scaled = np.clip(radiance * np.float32(2.0**exposure), 0.0, 1.0)
    return np.power(scaled, 1.0 / gamma).astype(np.float32)


def reinhard(radiance: np.ndarray, gamma: float = 2.2) -> np.ndarray:
    """OpenCV's Reinhard global operator."""
    return _opencv(cv2.createTonemapReinhard(gamma), radiance)


def drago(radiance: np.ndarray, gamma: float = 2.2) -> np.ndarray:
    """OpenCV's Drago logarithmic operator."""
    return _opencv(cv2.createTonemapDrago(gamma), radiance)


def mantiuk(radiance: np.ndarray, gamma: float = 2.2) -> np.ndarray:
    """OpenCV's Mantiuk contrast-domain operator."""
    return _opencv(cv2.createTonemapMantiuk(gamma), radiance)


def _opencv(operator: cv2.Tonemap, radiance: np.ndarray) -> np.ndarray:
    """Run an OpenCV tonemapper, which expects BGR, on RGB radiance.

    The operators divide by log-luminance statistics, so negative and zero
    radiance is lifted to a tiny positive value first; results are clipped to
    [0, 1] with any NaN set to 0.
    """
    positive = np.maximum(np.asarray(radiance, np.float32), np.float32(1e-8))
    bgr = np.ascontiguousarray(positive[..., ::-1])
    display = operator.process(bgr)[..., ::-1]
    return np.clip(np.nan_to_num(display, nan=0.0), 0.0, 1.0).astype(np.float32)
