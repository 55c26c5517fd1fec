"""Port types of the HDR plugin: what flows along the edges of an HDR graph.

Images are numpy arrays in HWC layout, RGB order, float32. Network tensors are
torch tensors in NCHW layout. See docs/conventions.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class Bracket:
    """Differently exposed LDR frames of one scene.

    ``frames``: RGB float32 arrays in [0, 1], all the same HxWx3 shape, sorted by
    exposure (shortest first). ``times``: relative exposure times, the shortest
    normalised to 1. ``reference``: index of the frame whose geometry the HDR
    result follows (the middle one for AHDRNet).
    """

    frames: list[np.ndarray]
    times: np.ndarray
    reference: int
    sources: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        height, width = self.frames[0].shape[:2]
        return height, width


@dataclass
class LinearStack:
    """A bracket taken to the linear domain, ready for a merge.

    ``linear``: H_i = f^-1(I_i) / t_i per frame (HxWx3 float32).
    ``network_inputs``: X_i = concat(I_i, H_i) as one tensor (N, 6, H, W).
    """

    ldr: list[np.ndarray]
    linear: list[np.ndarray]
    times: np.ndarray
    reference: int
    network_inputs: torch.Tensor
    gamma: float = 2.2
    response: np.ndarray | None = None


@dataclass
class Features:
    """AHDRNet's attended features, the hand-off from Attention to Merge.

    ``attended``: concat(Z'_1, Z_r, Z'_3) as (1, 192, H, W); ``reference``: Z_r
    (1, 64, H, W) for the global residual.
    """

    attended: torch.Tensor
    reference: torch.Tensor


@dataclass
class AttentionMaps:
    """Per non-reference frame attention maps, each (64, H, W) in [0, 1]."""

    maps: list[torch.Tensor]


@dataclass
class HDRImage:
    """Linear radiance, HxWx3 float32, on the scale of the shortest exposure."""

    data: np.ndarray


@dataclass
class LDRImage:
    """A display-referred image, HxWx3 float32 in [0, 1]."""

    data: np.ndarray
