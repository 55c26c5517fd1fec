"""The DRDB's closing 1x1 conv (C_total -> C_out) with the local residual fused.

Reads all C_total channels of each interior pixel of the block buffer, multiplies
by the packed (C_total, C_out) weight with fp32 accumulation, adds the bias and the
block input (channels [0, C_out) of the same buffer) and stores to an output tensor
of any strides, so the caller may hand it a channels-last tensor or a view into the
next block's buffer.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from ahdr_kernels.launch import BORDER, TileConfig, dot_settings, tile_grid

BLOCK_K = 32  # channel chunk of the K loop


@triton.jit
def _drdb_fuse_kernel(
    buf_ptr,
    w_ptr,
    b_ptr,
    out_ptr,
    height,
    width,
    tiles_w,
    stride_n,
    stride_h,
    out_stride_n,
    out_stride_c,
    out_stride_h,
    out_stride_w,
    C_TOTAL: tl.constexpr,
    C_OUT: tl.constexpr,
    BORDER_: tl.constexpr,
    BLOCK_H: tl.constexpr,
    BLOCK_W: tl.constexpr,
    BLOCK_K_: tl.constexpr,
    UPCAST: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    tile = tl.program_id(0)
    batch = tl.program_id(1).to(tl.int64)
    image = buf_ptr + batch * stride_n

    offs_m = tl.arange(0, BLOCK_H * BLOCK_W)
    row = (tile // tiles_w) * BLOCK_H + offs_m // BLOCK_W
    col = (tile % tiles_w) * BLOCK_W + offs_m % BLOCK_W
    in_image = (row < height) & (col < width)
    pixel = (row + BORDER_).to(tl.int64) * stride_h + (col + BORDER_).to(tl.int64) * C_TOTAL

    offs_k = tl.arange(0, BLOCK_K_)
    offs_n = tl.arange(0, C_OUT)
    acc = tl.zeros((BLOCK_H * BLOCK_W, C_OUT), dtype=tl.float32)
    for c0 in range(0, C_TOTAL, BLOCK_K_):
        a = tl.load(
            image + pixel[:, None] + (c0 + offs_k)[None, :], mask=in_image[:, None], other=0.0
        )
        w = tl.load(w_ptr + (c0 + offs_k)[:, None] * C_OUT + offs_n[None, :])
        if UPCAST:
            a = a.to(tl.float32)
            w = w.to(tl.float32)
        acc = tl.dot(a, w, acc, input_precision=INPUT_PRECISION)

    residual = tl.load(image + pixel[:, None] + offs_n[None, :], mask=in_image[:, None], other=0.0)
    acc += tl.load(b_ptr + offs_n)[None, :] + residual.to(tl.float32)
    out_offset = (
        batch * out_stride_n
        + row.to(tl.int64)[:, None] * out_stride_h
        + col.to(tl.int64)[:, None] * out_stride_w
        + offs_n.to(tl.int64)[None, :] * out_stride_c
    )
    tl.store(out_ptr + out_offset, acc.to(out_ptr.dtype.element_ty), mask=in_image[:, None])


def drdb_fuse(
    buf: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    out: torch.Tensor,
    config: TileConfig,
) -> None:
    """out = conv1x1(buf interior, weight) + bias + buf interior channels [0, C_out).

    buf: (N, H + 4, W + 4, C_total) contiguous with every channel filled.
    weight: packed (C_total, C_out), buffer dtype. bias: (C_out,) float32.
    out: (N, C_out, H, W), any strides.
    """
    batch, padded_h, padded_w, c_total = buf.shape
    c_out = weight.shape[1]
    height, width = padded_h - 2 * BORDER, padded_w - 2 * BORDER
    if not buf.is_contiguous() or weight.shape[0] != c_total or c_total % BLOCK_K:
        raise ValueError(f"drdb_fuse: weight {tuple(weight.shape)} does not fit {tuple(buf.shape)}")
    if out.shape != (batch, c_out, height, width):
        raise ValueError(
            f"drdb_fuse: out {tuple(out.shape)} is not {(batch, c_out, height, width)}"
        )
    grid, tiles_w = tile_grid(batch, height, width, config)
    upcast, precision = dot_settings(buf.dtype)
    _drdb_fuse_kernel[grid](
        buf,
        weight,
        bias,
        out,
        height,
        width,
        tiles_w,
        buf.stride(0),
        buf.stride(1),
        *out.stride(),
        C_TOTAL=c_total,
        C_OUT=c_out,
        BORDER_=BORDER,
        BLOCK_H=config.block_h,
        BLOCK_W=config.block_w,
        BLOCK_K_=BLOCK_K,
        UPCAST=upcast,
        INPUT_PRECISION=precision,
        num_warps=config.num_warps,
        num_stages=config.num_stages,
    )
