"""The attention maps as a picture: what AHDRNet masks out of each frame."""

from __future__ import annotations

from typing import Any

import numpy as np

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.types import AttentionMaps, LDRImage


class VisualiseAttention(Node):
    """The attention maps as a contact sheet: one row per non-reference frame.

    Each row shows the mean over the 64 channels, then the channels that vary
    most across the image (the ones that do the masking of moving objects).
    """

    maps = Input(AttentionMaps)
    sheet = Output(LDRImage)
    channels = Param(int, 7, minimum=0, maximum=64, doc="extra channels shown per row")
    gap = Param(int, 4, minimum=0, maximum=64, doc="pixels between tiles")

    def run(self, ctx: NodeContext, maps: AttentionMaps) -> dict[str, Any]:
        rows = []
        for frame_maps in maps.maps:
            data = frame_maps.float().cpu().numpy()  # (C, H, W) in [0, 1]
            order = np.argsort(data.reshape(len(data), -1).std(axis=1))[::-1]
            tiles = [data.mean(axis=0)] + [data[i] for i in order[: self.channels]]
            rows.append(_row(tiles, self.gap))
        sheet = _stack(rows, self.gap)
        return {"sheet": LDRImage(np.repeat(sheet[..., None], 3, axis=2))}


def _row(tiles: list[np.ndarray], gap: int) -> np.ndarray:
    height = tiles[0].shape[0]
    spacer = np.ones((height, gap), np.float32)
    parts = [part for tile in tiles for part in (tile.astype(np.float32), spacer)][:-1]
    return np.concatenate(parts, axis=1)


def _stack(rows: list[np.ndarray], gap: int) -> np.ndarray:
    spacer = np.ones((gap, rows[0].shape[1]), np.float32)
    parts = [part for row in rows for part in (row, spacer)][:-1]
    return np.clip(np.concatenate(parts, axis=0), 0.0, 1.0)
