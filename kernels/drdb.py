"""A whole Dilated Residual Dense Block: eager reference and the fused Triton path.

The fused path keeps the block in one padded NHWC buffer (N, H + 4, W + 4, C_total):
the block input fills channels [0, C0), layer k appends its 32 channels in place
(no torch.cat copies of the growing tensor), and the 1x1 fusion conv adds the
residual on its way out. Weights are repacked once by `pack_drdb`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from ahdr_kernels.launch import BORDER, TileConfig

GROWTH = 32  # output channels of every DRDB layer


def triton_available() -> bool:
    """True when the triton package can be imported (it is an optional dependency)."""
    return importlib.util.find_spec("triton") is not None


def drdb_reference(
    x: torch.Tensor,
    layers: list[tuple[torch.Tensor, torch.Tensor]],
    fuse_weight: torch.Tensor,
    fuse_bias: torch.Tensor,
) -> torch.Tensor:
    """Eager DRDB as in AHDRNet: [conv3x3 d2 + ReLU, concat] per layer, conv1x1, + x."""
    features = x
    for weight, bias in layers:
        grown = F.relu(F.conv2d(features, weight, bias, padding=2, dilation=2))
        features = torch.cat((features, grown), dim=1)
    return F.conv2d(features, fuse_weight, fuse_bias) + x


def random_drdb_weights(
    generator: torch.Generator, in_channels: int = 64, n_layers: int = 6
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor, torch.Tensor]:
    """Random DRDB weights scaled like Kaiming init (activations keep unit size),
    for tests and benchmarks: (layers, fuse_weight, fuse_bias) as `pack_drdb` takes them."""
    layers = []
    for k in range(n_layers):
        c_in = in_channels + GROWTH * k
        weight = torch.randn(GROWTH, c_in, 3, 3, generator=generator) * (2 / (9 * c_in)) ** 0.5
        layers.append((weight, torch.randn(GROWTH, generator=generator) * 0.1))
    c_total = in_channels + GROWTH * n_layers
    fuse_weight = torch.randn(in_channels, c_total, 1, 1, generator=generator) * c_total**-0.5
    return layers, fuse_weight, torch.randn(in_channels, generator=generator) * 0.1


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
    def total_channels(self) -> int:
        return self.fuse_weight.shape[0]


def pack_drdb(
    layers: list[tuple[torch.Tensor, torch.Tensor]],
    fuse_weight: torch.Tensor,
    fuse_bias: torch.Tensor,
    dtype: torch.dtype,
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


def new_block_buffer(x: torch.Tensor, packed: PackedDRDB) -> torch.Tensor:
    """(N, H + 4, W + 4, C_total) buffer: zero border, x in channels [0, C0) of the interior.

    Only the border is cleared: the layers write every interior channel past C0.
    """
    batch, _, height, width = x.shape
    buf = torch.empty(
        (batch, height + 2 * BORDER, width + 2 * BORDER, packed.total_channels),
        dtype=packed.dtype,
        device=packed.fuse_weight.device,
    )
    buf[:, :BORDER].zero_()
    buf[:, -BORDER:].zero_()
    buf[:, :, :BORDER].zero_()
    buf[:, :, -BORDER:].zero_()
    interior = buf[:, BORDER : BORDER + height, BORDER : BORDER + width]
    interior[..., : packed.in_channels].copy_(x.permute(0, 2, 3, 1))
    return buf


def drdb_forward_triton(
    x: torch.Tensor,
    packed: PackedDRDB,
    out: torch.Tensor | None = None,
    config: TileConfig | None = None,
) -> torch.Tensor:
    """DRDB forward through the fused kernels; returns (N, C0, H, W) in `packed.dtype`.

    x: (N, C0, H, W) in any memory format and float dtype, on the weights' device.
    out: optional destination (N, C0, H, W), any strides; default is channels-last.
    config: tile and warp settings (default TileConfig()).
    """
    # Imported here: triton is optional, and the eager reference must work without it.
    from ahdr_kernels.drdb_fuse import drdb_fuse
    from ahdr_kernels.drdb_layer import drdb_layer

    device = packed.fuse_weight.device
    if x.dim() != 4 or x.shape[1] != packed.in_channels or x.device != device:
        raise ValueError(
            f"drdb_forward_triton: input {tuple(x.shape)} on {x.device}, expected "
            f"(N, {packed.in_channels}, H, W) on {device}"
        )
    config = config or TileConfig()
    buf = new_block_buffer(x, packed)
    for weight, bias in zip(packed.layer_weights, packed.layer_biases, strict=True):
        drdb_layer(buf, weight, bias, config)
    if out is None:
        out = torch.empty(
            x.shape, dtype=packed.dtype, device=device, memory_format=torch.channels_last
        )
    drdb_fuse(buf, packed.fuse_weight, packed.fuse_bias, out, config)
    return out
