"""One DRDB layer as a Triton implicit GEMM, writing in place into the block buffer.

The block buffer is NHWC, (N, H + 4, W + 4, C_total), with a zero border of two
pixels. A layer reads channels [0, C_in) of every pixel, runs the dilated 3x3 conv
(dilation 2, padding 2) + bias + ReLU with fp32 accumulation, and stores its 32
output channels into channels [C_in, C_in + 32) of the interior. Because the
border is zero, every tap of every in-image pixel is a valid load: the only masks
are the tile-edge masks for pixels past the image.

GEMM view per program: M = BLOCK_H x BLOCK_W pixels, N = 32 output channels,
K = 9 taps x C_in channels, walked as 9 x (C_in / BLOCK_K) dot products.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from ahdr_kernels.launch import BORDER, TileConfig, dot_settings, tile_grid

GROWTH = 32  # output channels of every DRDB layer
BLOCK_K = 32  # channel chunk of the K loop; every C_in is a multiple of 32


@triton.jit
def _drdb_layer_kernel(
    buf_ptr,
    w_ptr,
    b_ptr,
    height,
    width,
    tiles_w,
    stride_n,
    stride_h,
    C_IN: tl.constexpr,
    C_TOTAL: tl.constexpr,
    GROWTH_: tl.constexpr,
    BLOCK_H: tl.constexpr,
    BLOCK_W: tl.constexpr,
    BLOCK_K_: tl.constexpr,
    UPCAST: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    tile = tl.program_id(0)
    image = buf_ptr + tl.program_id(1).to(tl.int64) * stride_n

    offs_m = tl.arange(0, BLOCK_H * BLOCK_W)
    row = (tile // tiles_w) * BLOCK_H + offs_m // BLOCK_W
    col = (tile % tiles_w) * BLOCK_W + offs_m % BLOCK_W
    in_image = (row < height) & (col < width)
    # Offset of the padded pixel (row, col): tap (ky, kx) of output pixel (row, col)
    # sits at padded (row + 2 ky, col + 2 kx); the output itself at (row + 2, col + 2).
    corner = row.to(tl.int64) * stride_h + col.to(tl.int64) * C_TOTAL

    offs_k = tl.arange(0, BLOCK_K_)
    offs_n = tl.arange(0, GROWTH_)
    acc = tl.zeros((BLOCK_H * BLOCK_W, GROWTH_), dtype=tl.float32)
    for tap in tl.static_range(9):
        tap_offset = corner + (2 * (tap // 3)) * stride_h + (2 * (tap % 3)) * C_TOTAL
        for c0 in range(0, C_IN, BLOCK_K_):
            a = tl.load(
                image + tap_offset[:, None] + (c0 + offs_k)[None, :],
                mask=in_image[:, None],
                other=0.0,
            )
            w = tl.load(w_ptr + (tap * C_IN + c0 + offs_k)[:, None] * GROWTH_ + offs_n[None, :])
            if UPCAST:
                a = a.to(tl.float32)
                w = w.to(tl.float32)
            acc = tl.dot(a, w, acc, input_precision=INPUT_PRECISION)

    acc = tl.maximum(acc + tl.load(b_ptr + offs_n)[None, :], 0.0)
    centre = corner + 2 * stride_h + 2 * C_TOTAL
    tl.store(
        image + centre[:, None] + (C_IN + offs_n)[None, :],
        acc.to(buf_ptr.dtype.element_ty),
        mask=in_image[:, None],
    )


def drdb_layer(
    buf: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, config: TileConfig
) -> None:
    """Run one layer on `buf` in place.

    buf: (N, H + 4, W + 4, C_total) contiguous, zero border, channels [0, C_in) filled.
    weight: packed (9 * C_in, 32), row tap * C_in + c (tap = 3 ky + kx), buffer dtype.
    bias: (32,) float32.
    """
    batch, padded_h, padded_w, c_total = buf.shape
    c_in = weight.shape[0] // 9
    if not buf.is_contiguous() or c_in % BLOCK_K or c_in + GROWTH > c_total:
        raise ValueError(f"drdb_layer: buffer {tuple(buf.shape)} cannot take C_in={c_in}")
    height, width = padded_h - 2 * BORDER, padded_w - 2 * BORDER
    grid, tiles_w = tile_grid(batch, height, width, config)
    upcast, precision = dot_settings(buf.dtype)
    _drdb_layer_kernel[grid](
        buf,
        weight,
        bias,
        height,
        width,
        tiles_w,
        buf.stride(0),
        buf.stride(1),
        C_IN=c_in,
        C_TOTAL=c_total,
        GROWTH_=GROWTH,
        BLOCK_H=config.block_h,
        BLOCK_W=config.block_w,
        BLOCK_K_=BLOCK_K,
        UPCAST=upcast,
        INPUT_PRECISION=precision,
        num_warps=config.num_warps,
        num_stages=config.num_stages,
    )
