"""Whole Dilated Residual Dense Blocks on the fused Triton kernels.

A block lives in one padded NHWC buffer (N, H + 4, W + 4, C0 + 32 (L - 1)): the
block input fills channels [0, C0), layers 1..L-1 append their 32 channels in
place (no torch.cat copies of the growing tensor), and the last layer's kernel
folds in the 1x1 fusion conv and the residual, so its own channels are never
stored. Buffers live in a `Workspace` and are reused across calls; in a series of
blocks each block writes its output straight into the next block's buffer and into
the concatenation of block outputs. Weights are repacked once by `pack_drdb`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from ahdr_kernels.launch import BORDER, TileConfig, last_layer_config, layer_config
from ahdr_kernels.reference import Layers
from ahdr_kernels.support import GROWTH


@dataclass(frozen=True)
class PackedDRDB:
    """DRDB weights in the layouts the kernels read, on the weights' device.

    layer_weights[k]: (9 * C_in_k, 32), row tap * C_in_k + c with tap = 3 ky + kx.
    fuse_weight: (C_total, C0). Weights are in `dtype`; biases stay float32.
    """

    layer_weights: tuple[torch.Tensor, ...]
    layer_biases: tuple[torch.Tensor, ...]
    fuse_weight: torch.Tensor
    fuse_bias: torch.Tensor
    dtype: torch.dtype

    @property
    def in_channels(self) -> int:
        return self.fuse_weight.shape[1]

    @property
    def buffer_channels(self) -> int:
        """Channels the block buffer holds: all but the last layer's."""
        return self.fuse_weight.shape[0] - GROWTH


def pack_drdb(
    layers: Layers, fuse_weight: torch.Tensor, fuse_bias: torch.Tensor, dtype: torch.dtype
) -> PackedDRDB:
    """Repack a DRDB's conv weights once for `drdb_forward_triton`.

    layers: (weight (32, C0 + 32 k, 3, 3), bias (32,)) for k = 0, 1, ...;
    fuse_weight (C0, C0 + 32 L, 1, 1), fuse_bias (C0,). C0 must be a multiple of 32.
    """
    c0 = fuse_weight.shape[0]
    if c0 % GROWTH or not layers:
        raise ValueError(f"pack_drdb: block width {c0} must be a positive multiple of {GROWTH}")
    weights, biases = [], []
    for k, (weight, bias) in enumerate(layers):
        c_in = c0 + GROWTH * k
        if weight.shape != (GROWTH, c_in, 3, 3) or bias.shape != (GROWTH,):
            raise ValueError(
                f"pack_drdb: layer {k} weight {tuple(weight.shape)} bias {tuple(bias.shape)}, "
                f"expected ({GROWTH}, {c_in}, 3, 3) and ({GROWTH},)"
            )
        # (out, c, ky, kx) -> (ky, kx, c, out) -> (9 * c, out): K index = tap * C_in + c.
        weights.append(weight.detach().permute(2, 3, 1, 0).reshape(9 * c_in, GROWTH))
        biases.append(bias.detach())
    c_total = c0 + GROWTH * len(layers)
    if fuse_weight.shape != (c0, c_total, 1, 1) or fuse_bias.shape != (c0,):
        raise ValueError(
            f"pack_drdb: fuse weight {tuple(fuse_weight.shape)} bias {tuple(fuse_bias.shape)}, "
            f"expected ({c0}, {c_total}, 1, 1) and ({c0},)"
        )
    return PackedDRDB(
        layer_weights=tuple(w.to(dtype).contiguous() for w in weights),
        layer_biases=tuple(b.to(torch.float32).contiguous() for b in biases),
        fuse_weight=fuse_weight.detach().reshape(c0, c_total).t().to(dtype).contiguous(),
        fuse_bias=fuse_bias.detach().to(torch.float32).contiguous(),
        dtype=dtype,
    )


def interior(buf: torch.Tensor) -> torch.Tensor:
    """The in-image pixels of a padded block buffer, (N, H, W, C)."""
    return buf[:, BORDER:-BORDER, BORDER:-BORDER]


class Workspace:
    """Block buffers kept between calls, for one stream of calls at a time.

    A buffer's border is zeroed once, when it is made; the kernels write interiors
    only, so it stays zero. Asking for another shape, dtype, device or inference mode
    replaces them.
    """

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._buffers: list[torch.Tensor] = []

    def buffers(self, x: torch.Tensor, packed: PackedDRDB, count: int) -> tuple[torch.Tensor, ...]:
        """`count` buffers (N, H + 4, W + 4, packed.buffer_channels) for input x."""
        batch, _, height, width = x.shape
        shape = (batch, height + 2 * BORDER, width + 2 * BORDER, packed.buffer_channels)
        # inference tensors cannot be written outside inference mode: a switch reallocates
        key = (shape, packed.dtype, packed.fuse_weight.device, torch.is_inference_mode_enabled())
        if key != self._key:
            self._key, self._buffers = key, []
        while len(self._buffers) < count:
            buf = torch.empty(shape, dtype=packed.dtype, device=packed.fuse_weight.device)
            buf[:, :BORDER].zero_()
            buf[:, -BORDER:].zero_()
            buf[:, :, :BORDER].zero_()
            buf[:, :, -BORDER:].zero_()
            self._buffers.append(buf)
        return tuple(self._buffers[:count])


def _check_input(x: torch.Tensor, packed: PackedDRDB) -> None:
    device = packed.fuse_weight.device
    if x.dim() != 4 or x.shape[1] != packed.in_channels or x.device != device:
        raise ValueError(
            f"drdb: input {tuple(x.shape)} on {x.device}, expected "
            f"(N, {packed.in_channels}, H, W) on {device}"
        )


def _run_block(
    buf: torch.Tensor, packed: PackedDRDB, outs: tuple[torch.Tensor, ...], config: TileConfig
) -> None:
    # Imported here: triton is optional, and the eager reference must work without it.
    from ahdr_kernels.drdb_last import drdb_last
    from ahdr_kernels.drdb_layer import drdb_layer

    *first, last = zip(packed.layer_weights, packed.layer_biases, strict=True)
    for weight, bias in first:
        drdb_layer(buf, weight, bias, layer_config(config, packed.dtype))
    last_config = last_layer_config(config, packed.dtype)
    drdb_last(buf, *last, packed.fuse_weight, packed.fuse_bias, outs, last_config)


def drdb_forward_triton(
    x: torch.Tensor,
    packed: PackedDRDB,
    out: torch.Tensor | None = None,
    config: TileConfig | None = None,
    workspace: Workspace | None = None,
) -> torch.Tensor:
    """One DRDB through the fused kernels; returns (N, C0, H, W) in `packed.dtype`.

    x: (N, C0, H, W) in any memory format and float dtype, on the weights' device.
    out: optional destination (N, C0, H, W), any strides; default is channels-last.
    config: tile and warp settings (default TileConfig()), as adjusted per kernel
        and dtype by `layer_config` and `last_layer_config`.
    workspace: buffers to reuse between calls (default: fresh ones).
    """
    _check_input(x, packed)
    (buf,) = (workspace or Workspace()).buffers(x, packed, 1)
    interior(buf)[..., : packed.in_channels].copy_(x.permute(0, 2, 3, 1))
    if out is None:
        out = torch.empty(
            x.shape, dtype=packed.dtype, device=x.device, memory_format=torch.channels_last
        )
    _run_block(buf, packed, (out,), config or TileConfig())
    return out


def drdb_series_triton(
    x: torch.Tensor,
    blocks: list[PackedDRDB],
    config: TileConfig | None = None,
    workspace: Workspace | None = None,
) -> torch.Tensor:
    """DRDBs in series; returns the concatenation of their outputs (N, n C0, H, W),
    channels-last, as the global feature fusion after them reads it.

    Each block's last kernel stores its output twice: into its slice of the
    concatenation and into the input channels of the next block's buffer.
    """
    if not blocks or any(b.fuse_weight.shape != blocks[0].fuse_weight.shape for b in blocks):
        raise ValueError("drdb_series_triton: needs one or more blocks of one shape")
    _check_input(x, blocks[0])
    config = config or TileConfig()
    c0 = blocks[0].in_channels
    batch, _, height, width = x.shape
    concat = torch.empty(
        (batch, len(blocks) * c0, height, width),
        dtype=blocks[0].dtype,
        device=x.device,
        memory_format=torch.channels_last,
    )
    buffers = (workspace or Workspace()).buffers(x, blocks[0], min(2, len(blocks)))
    interior(buffers[0])[..., :c0].copy_(x.permute(0, 2, 3, 1))
    for b, packed in enumerate(blocks):
        outs = (concat[:, b * c0 : (b + 1) * c0],)
        if b + 1 < len(blocks):
            outs += (interior(buffers[(b + 1) % 2])[..., :c0].permute(0, 3, 1, 2),)
        _run_block(buffers[b % 2], packed, outs, config)
    return concat
