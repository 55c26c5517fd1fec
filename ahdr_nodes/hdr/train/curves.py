"""The training curves as a PNG: loss per step and validation PSNR-mu, drawn with OpenCV.

Two stacked panels over the same step axis, each a polyline scaled to its data
with the axis ranges written at the corners. The loss is drawn on a log scale
(it falls over decades), with a smoothed loss (moving mean) over the raw one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ahdr_nodes import UserError, atomic_output

WIDTH = 800
PANEL_HEIGHT = 300
MARGIN = 50
FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (190, 190, 190)
BLUE = (200, 90, 30)
RED = (40, 40, 210)


def draw_curves(losses: Sequence[float], validation: Sequence[tuple[int, float]]) -> np.ndarray:
    """A BGR uint8 image: training loss per step on top, validation PSNR-mu below."""
    steps = np.arange(1, len(losses) + 1, dtype=np.float64)
    log_loss = np.log10(np.maximum(np.asarray(losses, dtype=np.float64), 1e-12))
    top = _panel("training loss (L1 on mu-law, log scale)", "step")
    if log_loss.size:
        smooth = _moving_mean(log_loss, max(log_loss.size // 50, 1))
        _plot(top, steps, log_loss, GREY, log_labels=True)
        _plot(top, steps, smooth, BLUE, steps, log_loss, log_labels=True)
    bottom = _panel("validation PSNR-mu (dB)", "step")
    if validation:
        points = np.asarray(validation, dtype=np.float64)
        span = np.concatenate([[1.0], points[:, 0], steps])
        _plot(bottom, points[:, 0], points[:, 1], RED, span, marker=True)
    return np.vstack([top, bottom])


def write_curves(
    path: Path, losses: Sequence[float], validation: Sequence[tuple[int, float]]
) -> None:
    """Write ``draw_curves`` as a PNG atomically."""
    ok, encoded = cv2.imencode(".png", draw_curves(losses, validation))
    if not ok:
        raise UserError(f"{path}: could not encode the training curves as PNG")
    with atomic_output(path, overwrite=True) as temp:
        temp.write_bytes(encoded.tobytes())


def _panel(title: str, x_label: str) -> np.ndarray:
    image = np.full((PANEL_HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    cv2.rectangle(image, (MARGIN, MARGIN // 2), (WIDTH - MARGIN // 2, PANEL_HEIGHT - MARGIN), BLACK)
    cv2.putText(image, title, (MARGIN, MARGIN // 2 - 6), FONT, 0.5, BLACK, 1, cv2.LINE_AA)
    cv2.putText(image, x_label, (WIDTH // 2, PANEL_HEIGHT - 12), FONT, 0.45, BLACK, 1, cv2.LINE_AA)
    return image


def _plot(
    image: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    colour: tuple[int, int, int],
    range_x: np.ndarray | None = None,
    range_y: np.ndarray | None = None,
    marker: bool = False,
    log_labels: bool = False,
) -> None:
    """Draw y(x) into the panel's box; the ranges (default: the data's own) set the scale.

    ``log_labels``: y holds log10 values; the labels show 10 ** y.
    """
    range_x = x if range_x is None else range_x
    range_y = y if range_y is None else range_y
    x_low, x_high = float(range_x.min()), float(range_x.max())
    y_low, y_high = float(range_y.min()), float(range_y.max())
    left, right = MARGIN, WIDTH - MARGIN // 2
    top, bottom = MARGIN // 2, PANEL_HEIGHT - MARGIN
    px = left + (x - x_low) / max(x_high - x_low, 1e-12) * (right - left)
    py = bottom - (y - y_low) / max(y_high - y_low, 1e-12) * (bottom - top)
    points = np.stack([px, py], axis=1).round().astype(np.int32)
    cv2.polylines(image, [points], False, colour, 1, cv2.LINE_AA)
    if marker:
        for point in points:
            cv2.circle(image, (int(point[0]), int(point[1])), 3, colour, -1, cv2.LINE_AA)
    labels = {
        (2, top + 12): f"{10**y_high if log_labels else y_high:.4g}",
        (2, bottom): f"{10**y_low if log_labels else y_low:.4g}",
        (left, bottom + 16): f"{x_low:.0f}",
        (right - 50, bottom + 16): f"{x_high:.0f}",
    }
    for origin, text in labels.items():
        cv2.putText(image, text, origin, FONT, 0.4, BLACK, 1, cv2.LINE_AA)


def _moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over the trailing ``window`` values (fewer at the start)."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)
