"""Port types of the HDR plugin: what flows along the edges of an HDR graph.

Images are numpy arrays in HWC layout, RGB order, float32. Network tensors are
torch tensors in NCHW layout. See docs/conventions.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch loads when a network node runs, not when graphs are checked
    import torch

FULL = slice(None)


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

    ``linear``: H_i = f^-1(I_i) / t_i per frame (HxWx3 float32). ``response``: the
    inverse camera response table used (None: the gamma curve).
    """

    ldr: list[np.ndarray]
    linear: list[np.ndarray]
    times: np.ndarray
    reference: int
    gamma: float = 2.2
    response: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        height, width = self.linear[0].shape[:2]
        return height, width

    def network_inputs(self, rows: slice = FULL, cols: slice = FULL) -> torch.Tensor:
        """X_i = concat(I_i, H_i) of a region as one (N, 6, h, w) tensor.

        Built on demand, one tile at a time: held whole beside the frames, they and
        the re-encoded frames would take another 2.6 GB at 24 MP.
        """
        from ahdr_nodes.hdr.model.inputs import network_inputs
        from ahdr_nodes.hdr.ops.linearise import network_frames

        linear = [frame[rows, cols] for frame in self.linear]
        ldr = [frame[rows, cols] for frame in self.ldr]
        frames = network_frames(ldr, linear, self.times, self.response, self.gamma)
        scale = np.float32(self.network_scale)
        return network_inputs(frames, [values * scale for values in linear])

    @property
    def network_scale(self) -> float:
        """The network sees radiance on the scale of the stack's shortest frame (its
        training convention); a stack selected from a longer bracket has its
        shortest frame at a relative time above 1, and this factor maps it back."""
        return float(np.min(self.times))


@dataclass
class Features:
    """AHDRNet's attended features, the hand-off from Attention to Merge.

    A recipe rather than a tensor: ``encode`` maps the network inputs of any region
    of ``stack`` (1, N, 6, h, w) to concat(Z'_1, Z_r, Z'_3) of that region, which
    needs ``radius`` pixels of context. Merge computes them tile by tile with its
    own layers, so the 192 feature channels never exist at full size (18 GB in
    float32 at 24 MP).
    """

    stack: LinearStack
    encode: Callable[[torch.Tensor], torch.Tensor]
    radius: int


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
