"""The Dilated Residual Dense Block, and the one function its forward goes through.

A DRDB with C input channels, growth g and L layers computes

    x_0 = x;  x_{k+1} = concat(x_k, ReLU(conv3x3_dilated(x_k)))   (C + g k -> g channels)
    out = conv1x1 (C + g L -> C)(x_L) + x                           (local residual)

``drdb_forward`` is the single entry point with an ``impl`` switch: ``eager`` is
plain PyTorch and the reference; ``triton`` runs the fused kernels of
``ahdr_kernels`` (imported only on that path, so nothing else depends on them);
``auto`` picks triton on CUDA when the kernels import and cover the block (they
are written for the paper's block: dilation 2, growth 32, width a multiple of
32), else eager. Callers (the
Merge node, MergeNet) never change when kernels are added.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional

from ahdr_nodes import UserError

IMPLS = ("eager", "triton", "auto")
KERNEL_GROWTH = 32
KERNEL_DILATION = 2


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

    def forward(self, x: Tensor, impl: str = "eager") -> Tensor:
        return drdb_forward(self, x, impl)

    def packed_for_triton(self, dtype: torch.dtype) -> Any:
        """Weights in the layout of the fused kernels, packed once and cached.

        The cache key holds each parameter's storage address and version counter,
        so loading new weights (in place or by replacement), moving the block or
        asking for another dtype repacks.
        """
        from ahdr_kernels.drdb import pack_drdb

        key = (dtype,) + tuple((p.data_ptr(), p._version) for p in self.parameters())
        if self._triton_pack is None or self._triton_pack[0] != key:
            layers = [(conv.weight.detach(), conv.bias.detach()) for conv in self.layers]
            packed = pack_drdb(layers, self.fuse.weight.detach(), self.fuse.bias.detach(), dtype)
            self._triton_pack = (key, packed)
        return self._triton_pack[1]


def drdb_forward(block: DRDB, x: Tensor, impl: str = "eager") -> Tensor:
    """Run ``block`` on ``x`` (N, C, H, W) with the chosen implementation."""
    if impl == "auto":
        impl = "triton" if x.is_cuda and _fits_kernels(block) and _kernels_available() else "eager"
    if impl == "eager":
        return _drdb_eager(block, x)
    if impl == "triton":
        return _drdb_triton(block, x)
    raise UserError(f"unknown DRDB implementation {impl!r}; choose one of {', '.join(IMPLS)}")


def _drdb_eager(block: DRDB, x: Tensor) -> Tensor:
    features = x
    for conv in block.layers:
        features = torch.cat((features, functional.relu(conv(features))), 1)
    return block.fuse(features) + x


def _drdb_triton(block: DRDB, x: Tensor) -> Tensor:
    if not _fits_kernels(block):
        raise UserError(
            f"DRDB implementation 'triton' covers dilation {KERNEL_DILATION}, growth "
            f"{KERNEL_GROWTH}, width a multiple of {KERNEL_GROWTH}; this block has dilation "
            f"{block.dilation}, growth {block.growth}, width {block.channels}: use impl 'eager'"
        )
    if not _kernels_available():
        raise UserError(
            "DRDB implementation 'triton' needs the triton package and the ahdr_kernels "
            "kernels; install ahdr-nodes[triton] or use impl 'eager' or 'auto'"
        )
    from ahdr_kernels.drdb import drdb_forward_triton

    return drdb_forward_triton(x, block.packed_for_triton(x.dtype))


def _fits_kernels(block: DRDB) -> bool:
    return (
        block.dilation == KERNEL_DILATION
        and block.growth == KERNEL_GROWTH
        and block.channels % KERNEL_GROWTH == 0
    )


def _kernels_available() -> bool:
    """True when the fused kernels and triton, which they need at run time, both import."""
    if importlib.util.find_spec("triton") is None:
        return False
    try:
        import ahdr_kernels.drdb  # noqa: F401
    except ImportError:
        return False
    return True
