"""The monolithic AHDRNet: the Attention side and the Merge side composed.

The graph Attention -> Merge runs the same two submodules with the same weights
(``ATTENTION_PREFIX`` and ``MERGE_PREFIX`` slices of one weights file), so the
graph and this module compute the same function bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ahdr_nodes.hdr.model.attention import AttentionEncoder
from ahdr_nodes.hdr.model.config import AHDRNetConfig
from ahdr_nodes.hdr.model.merge import MergeNet

ATTENTION_PREFIX = "attention."
MERGE_PREFIX = "merge."


class AHDRNet(nn.Module):
    """Three (B, 6, H, W) frames, reference in the middle, to a linear HDR image (B, 3, H, W).

    With the default config this is the paper's network: 1,441,283 parameters,
    receptive radius 43 pixels.
    """

    def __init__(self, config: AHDRNetConfig | None = None, impl: str = "eager") -> None:
        super().__init__()
        self.config = config or AHDRNetConfig()
        self.attention = AttentionEncoder.from_config(self.config)
        self.merge = MergeNet.from_config(self.config, impl)

    @property
    def receptive_radius(self) -> int:
        return self.config.receptive_radius

    def forward(self, frames: Tensor | Sequence[Tensor]) -> Tensor:
        attended, reference, _ = self.attention(frames, return_maps=False)
        return self.merge(attended, reference)
