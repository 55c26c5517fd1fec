"""Taking LDR frames to linear radiance: the inverse camera response.

Radiance is put on the network's scale: divided by the relative exposure time
(shortest = 1), so a white pixel of the shortest frame has radiance 1.
A response curve here is a (256, 3) float32 array, RGB order, mapping an 8-bit
code to linear exposure.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch

MID_GREY_CODE = 128


def gamma_linearise(frame: np.ndarray, time: float, gamma: float = 2.2) -> np.ndarray:
    """H = I^gamma / t, the paper's inverse CRF."""
    return (np.power(frame, gamma) / np.float32(time)).astype(np.float32)


def response_linearise(frame: np.ndarray, time: float, response: np.ndarray) -> np.ndarray:
    """H = f^-1(I) / t with a tabulated response, interpolated between codes."""
    codes = np.arange(256, dtype=np.float32)
    scaled = frame * np.float32(255)
    channels = [np.interp(scaled[..., c], codes, response[:, c]) for c in range(3)]
    return (np.stack(channels, axis=-1) / time).astype(np.float32)


def gamma_response(gamma: float = 2.2) -> np.ndarray:
    """The gamma curve as a response table: (code / 255)^gamma for each channel."""
    curve = np.power(np.arange(256, dtype=np.float64) / 255.0, gamma)
    return np.repeat(curve[:, None], 3, axis=1).astype(np.float32)


def calibrate_response(
    frames: Sequence[np.ndarray], times: np.ndarray, gamma: float = 2.2
) -> np.ndarray:
    """Recover the camera response with OpenCV's Debevec calibration.

    Debevec's method fixes each channel's curve only up to a scale; it is scaled
    to agree with the gamma curve at mid grey, so both curves put radiance on
    the same scale. Frames are quantised to 8 bits, as the calibration needs.
    """
    codes = [to_uint8(frame) for frame in frames]
    calibrate = cv2.createCalibrateDebevec()
    curve = calibrate.process(codes, np.asarray(times, dtype=np.float32)).reshape(256, 3)
    anchor = gamma_response(gamma)[MID_GREY_CODE]
    return (curve / curve[MID_GREY_CODE] * anchor).astype(np.float32)


def network_inputs(ldr: Sequence[np.ndarray], linear: Sequence[np.ndarray]) -> torch.Tensor:
    """X_i = concat(I_i, H_i) for every frame, as one (N, 6, H, W) float32 tensor."""
    stacked = np.stack(
        [np.concatenate([i, h], axis=2) for i, h in zip(ldr, linear, strict=True)], axis=0
    )
    return torch.from_numpy(np.ascontiguousarray(stacked.transpose(0, 3, 1, 2), np.float32))


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """Float [0, 1] to 8-bit codes, rounded, for OpenCV functions that need them."""
    return np.rint(np.clip(frame, 0.0, 1.0) * 255).astype(np.uint8)
