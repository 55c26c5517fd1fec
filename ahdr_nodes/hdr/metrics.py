"""Image-quality metrics for HDR merging, computed as in the literature.

PSNR-mu and SSIM-mu compare mu-law tonemapped images (mu = 5000); PSNR-L compares
linear values. All work on HDR in the useful range [0, 1] (linear radiance on the
scale of the shortest exposure), over all pixels and channels, in float64. Inputs
are clipped to [0, 1] first: the ground truth lives there, and a merge that
overshoots (a classical baseline can) is judged on the same range.
"""

from __future__ import annotations

import math

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.ops.tonemap import MU, mu_law

__all__ = ["MU", "mu_law", "psnr", "psnr_l", "psnr_mu", "ssim", "ssim_mu"]

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _mu_law64(hdr: np.ndarray, mu: float) -> np.ndarray:
    return mu_law(np.asarray(hdr, dtype=np.float64), mu)


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over all elements; identical inputs give +inf."""
    a, b = _pair(a, b)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak / mse)


def psnr_l(prediction: np.ndarray, ground_truth: np.ndarray) -> float:
    """PSNR of linear HDR values in [0, 1]."""
    prediction, ground_truth = _unit_range(prediction, ground_truth)
    return psnr(prediction, ground_truth)


def psnr_mu(prediction: np.ndarray, ground_truth: np.ndarray, mu: float = MU) -> float:
    """PSNR of mu-law tonemapped HDR: the headline number of HDR deghosting papers."""
    prediction, ground_truth = _unit_range(prediction, ground_truth)
    return psnr(_mu_law64(prediction, mu), _mu_law64(ground_truth, mu))


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    """SSIM of Wang et al. (2004): 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03.

    Computed per channel over the window positions that fit inside the image (as the
    authors' reference code does), then averaged over channels. Images are HxW or
    HxWxC, at least 11 pixels on each side.
    """
    a, b = _pair(a, b)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    if a.ndim != 3 or min(a.shape[:2]) < SSIM_WINDOW:
        raise UserError(
            f"SSIM needs HxW or HxWxC images of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, "
            f"got shape {a.shape}"
        )
    c1 = (SSIM_K1 * peak) ** 2
    c2 = (SSIM_K2 * peak) ** 2
    mean_a, mean_b = _gaussian_filter_valid(a), _gaussian_filter_valid(b)
    var_a = _gaussian_filter_valid(a * a) - mean_a**2
    var_b = _gaussian_filter_valid(b * b) - mean_b**2
    cov = _gaussian_filter_valid(a * b) - mean_a * mean_b
    ssim_map = ((2 * mean_a * mean_b + c1) * (2 * cov + c2)) / (
        (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(np.mean(ssim_map.mean(axis=(0, 1))))


def ssim_mu(prediction: np.ndarray, ground_truth: np.ndarray, mu: float = MU) -> float:
    """SSIM of mu-law tonemapped HDR in [0, 1]."""
    prediction, ground_truth = _unit_range(prediction, ground_truth)
    return ssim(_mu_law64(prediction, mu), _mu_law64(ground_truth, mu))


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian taps; SSIM's 2-D window is their outer product."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    taps = np.exp(-(offsets**2) / (2 * sigma**2))
    return taps / taps.sum()


def _gaussian_filter_valid(image: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter over the first two axes, keeping only full windows."""
    taps = gaussian_window()
    rows = image.shape[0] - SSIM_WINDOW + 1
    cols = image.shape[1] - SSIM_WINDOW + 1
    vertical = sum(tap * image[k : k + rows] for k, tap in enumerate(taps))
    return sum(tap * vertical[:, k : k + cols] for k, tap in enumerate(taps))


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64, checked to have one shape and finite values."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise UserError(f"cannot compare images of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise UserError("cannot compare empty images")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise UserError("cannot compare images with NaN or infinite values")
    return a, b


def _unit_range(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pair(a, b)
    return np.clip(a, 0.0, 1.0), np.clip(b, 0.0, 1.0)
