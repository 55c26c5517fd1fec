"""One DRDB layer (not the last) as a Triton implicit GEMM, in place in the block buffer.

The block buffer is NHWC, (N, H + 4, W + 4, C_total), with a zero border of two
pixels. A layer reads channels [0, C_in) of every pixel, runs the dilated 3x3 conv
(dilation 2, padding 2) + bias + ReLU with fp32 accumulation, and stores its 32
output channels into channels [C_in, C_in + 32) of the interior. Because the
border is zero, every tap of every in-image pixel is a valid load: the only masks
are the tile-edge masks for pixels past the image.

GEMM view per program: M = BLOCK_H x BLOCK_W pixels, N = 32 output channels,
K = 9 taps x C_in channels in one pipelined loop (`conv3x3.conv3x3_dilated`).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from ahdr_kernels.conv3x3 import conv3x3_dilated, pixel_tile, rounded
from ahdr_kernels.launch import BORDER, TileConfig, tile_constants, tile_grid
from ahdr_kernels.support import GROWTH


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
    BLOCK_K: tl.constexpr,
    UPCAST: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    image = buf_ptr + tl.program_id(1).to(tl.int64) * stride_n
    in_image, corner, row, col = pixel_tile(
        tl.program_id(0), tiles_w, height, width, stride_h, C_TOTAL, BLOCK_H, BLOCK_W
    )
    acc = conv3x3_dilated(
        image,
        corner,
        in_image,
        w_ptr,
        stride_h,
        C_IN,
        C_TOTAL,
        GROWTH_,
        BLOCK_H * BLOCK_W,
        BLOCK_K,
        UPCAST,
        INPUT_PRECISION,
    )
    offs_n = tl.arange(0, GROWTH_)
    acc = tl.maximum(acc + tl.load(b_ptr + offs_n)[None, :], 0.0)
    centre = corner + 2 * stride_h + 2 * C_TOTAL
    tl.store(
        image + centre[:, None] + (C_IN + offs_n)[None, :],
        rounded(acc, buf_ptr.dtype.element_ty, UPCAST),
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
    if not buf.is_contiguous() or c_in % GROWTH or c_in + GROWTH > c_total:
        raise ValueError(f"drdb_layer: buffer {tuple(buf.shape)} cannot take C_in={c_in}")
    height, width = padded_h - 2 * BORDER, padded_w - 2 * BORDER
    grid, tiles_w = tile_grid(batch, height, width, config)
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
        **tile_constants(config, c_in, buf.dtype),
        num_warps=config.num_warps,
        num_stages=config.num_stages,
    )
