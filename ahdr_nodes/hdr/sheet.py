"""Contact sheets: a bracket, merge results and the ground truth side by side, labelled."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.tonemap import mu_law


def contact_sheet(
    frames: list[np.ndarray],
    results: Sequence[tuple[str, np.ndarray]],
    ground_truth: np.ndarray,
    attention: np.ndarray | None = None,
) -> np.ndarray:
    """Inputs, each (label, HDR result)'s mu-law preview and the ground truth side by
    side, with the attention maps below."""
    tiles = [
        (f"input {i + 1} (t={t})", frame)
        for i, (frame, t) in enumerate(zip(frames, ("short", "mid", "long"), strict=False))
    ]
    tiles += [(label, mu_law(hdr)) for label, hdr in results]
    tiles.append(("ground truth", mu_law(ground_truth)))
    row = np.concatenate([_labelled(image, text) for text, image in tiles], axis=1)
    if attention is None:
        return row
    scale = row.shape[1] / attention.shape[1]
    resized = cv2.resize(
        attention,
        (row.shape[1], max(1, round(attention.shape[0] * scale))),
        interpolation=cv2.INTER_NEAREST,
    )
    return np.concatenate([row, _labelled(resized, "AHDRNet attention maps")], axis=0)


def _labelled(image: np.ndarray, text: str) -> np.ndarray:
    """The image with ``text`` in a dark box at its top left (drawn in 8 bits)."""
    tile = np.ascontiguousarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    cv2.rectangle(tile, (0, 0), (7 * len(text) + 8, 18), (0, 0, 0), thickness=-1)
    cv2.putText(tile, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return tile.astype(np.float32) / 255.0
