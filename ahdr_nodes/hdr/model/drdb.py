"""The Dilated Residual Dense Block, and the one decision of how a network runs them.

A DRDB with C input channels, growth g and L layers computes

    x_0 = x;  x_{k+1} = concat(x_k, ReLU(conv3x3_dilated(x_k)))   (C + g k -> g channels)
    out = conv1x1 (C + g L -> C)(x_L) + x                           (local residual)

The eager forward is ``ahdr_kernels.reference.drdb_reference``, the one eager DRDB
(the kernels are tested against it). ``resolve_impl`` turns a network's ``impl``
(``ahdr_kernels.support.DRDB_IMPLS``) into a fixed choice when the network is built:
``triton`` runs the fused kernels, ``eager`` plain PyTorch, and ``auto`` the kernels
for CUDA inputs when ``ahdr_kernels.support`` says they cover the blocks and triton
imports, else eager.
"""

from __future__ import annotations

from typing import Any

import torch
from ahdr_kernels.reference import drdb_reference
from ahdr_kernels.support import DILATION, DRDB_IMPLS, GROWTH, supports, triton_available
from torch import Tensor, nn

from ahdr_nodes import UserError

# Resolved choices: always eager, always fused, fused for CUDA inputs only.
EAGER, FUSED, FUSED_ON_CUDA = "eager", "triton", "triton on cuda"


class DRDB(nn.Module):
    """Dense layers of dilated 3x3 convs, a 1x1 fusion and a local residual."""

    def __init__(
        self, channels: int = 64, growth: int = 32, n_layers: int = 6, dilation: int = 2
    ) -> None:
        super().__init__()
        self.channels, self.growth, self.dilation = channels, growth, dilation
        self.layers = nn.ModuleList(
            nn.Conv2d(channels + k * growth, growth, 3, padding=dilation, dilation=dilation)
            for k in range(n_layers)
        )
        self.fuse = nn.Conv2d(channels + n_layers * growth, channels, 1)
        self._triton_pack: tuple[tuple[Any, ...], Any] | None = None

    def forward(self, x: Tensor) -> Tensor:
        layers = [(conv.weight, conv.bias) for conv in self.layers]
        return drdb_reference(x, layers, self.fuse.weight, self.fuse.bias, self.dilation)

    def packed_for_triton(self, dtype: torch.dtype) -> Any:
        """Weights in the layout of the fused kernels, packed once and cached.

        The cache key holds each parameter's storage address and version counter,
        so loading new weights (in place or by replacement), moving the block or
        asking for another dtype repacks. Parameters made under inference mode have
        no version counter, so an in-place load could not be seen: those are packed
        on every call (a few small copies, next to the block's convolutions).
        """
        parameters = list(self.parameters())
        if any(p.is_inference() for p in parameters):
            return self._pack(dtype)
        key = (dtype,) + tuple((p.data_ptr(), p._version) for p in parameters)
        if self._triton_pack is None or self._triton_pack[0] != key:
            self._triton_pack = (key, self._pack(dtype))
        return self._triton_pack[1]

    def _pack(self, dtype: torch.dtype) -> Any:
        from ahdr_kernels.drdb import pack_drdb

        layers = [(conv.weight.detach(), conv.bias.detach()) for conv in self.layers]
        return pack_drdb(layers, self.fuse.weight.detach(), self.fuse.bias.detach(), dtype)


def resolve_impl(impl: str, blocks: list[DRDB]) -> str:
    """EAGER, FUSED or FUSED_ON_CUDA for a network's `impl`; refuses what cannot run."""
    if impl not in DRDB_IMPLS:
        raise UserError(
            f"unknown DRDB implementation {impl!r}; choose one of {', '.join(DRDB_IMPLS)}"
        )
    if impl == EAGER:
        return EAGER
    uncovered = next((b for b in blocks if not supports(b.channels, b.growth, b.dilation)), None)
    if impl == "auto":
        return FUSED_ON_CUDA if uncovered is None and triton_available() else EAGER
    if uncovered is not None:
        raise UserError(
            f"DRDB implementation 'triton' covers dilation {DILATION}, growth {GROWTH}, width "
            f"a multiple of {GROWTH}; this block has dilation {uncovered.dilation}, "
            f"growth {uncovered.growth}, width {uncovered.channels}: use impl 'eager'"
        )
    if not triton_available():
        raise UserError(
            "DRDB implementation 'triton' needs the triton package; install "
            "ahdr-nodes[triton] or use impl 'eager' or 'auto'"
        )
    return FUSED
