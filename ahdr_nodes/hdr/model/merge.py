"""AHDRNet's Merge side: attended features in, linear HDR image out.

    F0  = conv3x3 3F->F (concat(Z'_1, Z_r, Z'_3))
    F_b = DRDB_b(F_{b-1})                      b = 1..n_blocks, in series
    G   = conv3x3 F->F (conv1x1 nF->F (concat(F_1, ..., F_n)))   global feature fusion
    H   = sigmoid(conv3x3 F->3 (conv3x3 F->F (G + Z_r)))         global residual, output

There are no activations between the convs after the DRDBs: the official code
(GFF_1x1 -> GFF_3x3 -> + F2_ -> conv_up -> conv3 -> sigmoid) applies none. The
DRDBs run through ``drdb_forward`` with this module's ``impl`` (eager, triton,
auto).
"""

from __future__ import annotations

import torch
from ahdr_kernels.drdb import Workspace, drdb_series_triton
from torch import Tensor, nn

from ahdr_nodes.hdr.model.config import AHDRNetConfig
from ahdr_nodes.hdr.model.drdb import DRDB, EAGER, FUSED, resolve_impl

OUTPUT_CHANNELS = 3


class MergeNet(nn.Module):
    """F0 conv, DRDBs in series, global feature fusion, global residual, sigmoid output."""

    def __init__(
        self,
        features: int = 64,
        n_blocks: int = 3,
        n_layers: int = 6,
        growth: int = 32,
        dilation: int = 2,
        impl: str = "eager",
    ) -> None:
        super().__init__()
        self.impl = impl
        self.in_conv = nn.Conv2d(3 * features, features, 3, padding=1)
        self.blocks = nn.ModuleList(
            DRDB(features, growth, n_layers, dilation) for _ in range(n_blocks)
        )
        self.gff_1x1 = nn.Conv2d(n_blocks * features, features, 1)
        self.gff_3x3 = nn.Conv2d(features, features, 3, padding=1)
        self.refine = nn.Conv2d(features, features, 3, padding=1)
        self.to_rgb = nn.Conv2d(features, OUTPUT_CHANNELS, 3, padding=1)
        self.resolved_impl = resolve_impl(impl, list(self.blocks))
        self._workspace = Workspace()

    @classmethod
    def from_config(cls, config: AHDRNetConfig, impl: str = "eager") -> MergeNet:
        return cls(
            config.features,
            config.n_blocks,
            config.n_layers,
            config.growth,
            config.dilation,
            impl,
        )

    def forward(self, attended: Tensor, reference: Tensor) -> Tensor:
        """(B, 3F, H, W) attended features and Z_r (B, F, H, W) -> HDR (B, 3, H, W) in [0, 1]."""
        x = self.in_conv(attended)
        if self.resolved_impl == FUSED or (self.resolved_impl != EAGER and x.is_cuda):
            packs = [block.packed_for_triton(x.dtype) for block in self.blocks]
            block_outputs = drdb_series_triton(x, packs, workspace=self._workspace)
        else:
            outputs = []
            for block in self.blocks:
                x = block(x)
                outputs.append(x)
            block_outputs = torch.cat(outputs, 1)
            del outputs
        fused = self.gff_3x3(self.gff_1x1(block_outputs))
        del block_outputs, x
        return torch.sigmoid(self.to_rgb(self.refine(fused + reference)))
