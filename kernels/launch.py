"""Launch settings shared by the DRDB kernels: tile shape, warps, grid, dot precision."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import torch
from ahdr_kernels.support import GROWTH

BORDER = 2  # zero border of the block buffer: the padding of a dilation-2 3x3 conv

# triton.jit reads TRITON_INTERPRET when a kernel is defined, so this module-level
# flag agrees with how the kernels imported next to it were built.
INTERPRETING = os.environ.get("TRITON_INTERPRET", "0") == "1"


@dataclass(frozen=True)
class TileConfig:
    """Tile of output pixels per program (BLOCK_H x BLOCK_W, a power of two >= 16),
    the widest channel chunk of the K loop and the Triton launch options; explicit so
    a GPU script can sweep them without autotuning, which needs a GPU."""

    block_h: int = 8
    block_w: int = 32
    num_warps: int = 8
    num_stages: int = 3
    block_k: int = 64

    def __post_init__(self) -> None:
        pixels = self.block_h * self.block_w
        if pixels < 16 or pixels & (pixels - 1) or self.block_w & (self.block_w - 1):
            raise ValueError(
                f"TileConfig: block {self.block_h}x{self.block_w} must be powers of two "
                "with at least 16 pixels"
            )
        if self.block_k not in (GROWTH, 2 * GROWTH):
            raise ValueError(f"TileConfig: block_k {self.block_k} must be 32 or 64")

    def chunk(self, channels: int) -> int:
        """Channel chunk for a K loop over `channels`: block_k where it divides them,
        else 32, so no chunk straddles two taps."""
        return self.block_k if channels % self.block_k == 0 else GROWTH


def layer_config(config: TileConfig, dtype: torch.dtype) -> TileConfig:
    """The config of layers 1..L-1. fp32 multiplies on CUDA cores (IEEE products, no
    wgmma) and with 64-channel chunks spills registers on triton 3.6, the GPU image's
    version (624 B of stack at 8x32; offline compile for sm_90a), so it takes 32."""
    return replace(config, block_k=GROWTH) if dtype == torch.float32 else config


def last_layer_config(config: TileConfig, dtype: torch.dtype) -> TileConfig:
    """The config of the last layer's kernel, which holds two accumulators (32 + 64 fp32
    columns per pixel). Above 32 pixels per warp (8 in fp32) they spill registers
    (offline compile for sm_90a, triton 3.6 and 3.9), so the tile's height is halved
    until it fits."""
    config = layer_config(config, dtype)
    per_warp = 8 if dtype == torch.float32 else 32
    block_h = config.block_h
    while block_h > 1 and block_h * config.block_w > per_warp * config.num_warps:
        block_h //= 2
    return replace(config, block_h=block_h)


# The GPU script's sweep around the default: tile shapes and warps, then stages and
# the K chunk at the default tile. Every entry compiles for sm_90a without spills
# (`python -m ahdr_kernels.offline --sweep`).
SWEEP = (
    *(
        TileConfig(block_h=h, block_w=w, num_warps=warps)
        for h, w in ((8, 16), (8, 32), (16, 16), (16, 32))
        for warps in (4, 8)
    ),
    TileConfig(num_stages=2),
    TileConfig(num_stages=4),
    TileConfig(block_k=32),
)


def tile_grid(
    batch: int, height: int, width: int, config: TileConfig
) -> tuple[tuple[int, int], int]:
    """Grid (tiles, batch) covering the image, and the number of tiles per row."""
    tiles_h = -(-height // config.block_h)
    tiles_w = -(-width // config.block_w)
    return (tiles_h * tiles_w, batch), tiles_w


def tile_constants(config: TileConfig, c_in: int, dtype: torch.dtype) -> dict[str, object]:
    """The constexprs every DRDB kernel takes for a tile config, C_in and buffer dtype."""
    upcast, precision = dot_settings(dtype)
    return dict(
        GROWTH_=GROWTH,
        BLOCK_H=config.block_h,
        BLOCK_W=config.block_w,
        BLOCK_K=config.chunk(c_in),
        UPCAST=upcast,
        INPUT_PRECISION=precision,
    )


def dot_settings(dtype: torch.dtype) -> tuple[bool, str]:
    """(upcast tiles to fp32 before tl.dot, tl.dot input precision) for a buffer dtype.

    The interpreter computes bf16 dots wrongly, so there only the dot operands are
    upcast (the values, already rounded to bf16, are unchanged; everything else runs
    as compiled). fp32 buffers use IEEE products: tf32 would break the 1e-5 tolerance.
    """
    upcast = INTERPRETING and dtype == torch.bfloat16
    precision = "ieee" if dtype == torch.float32 else "tf32"
    return upcast, precision
