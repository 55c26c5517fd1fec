"""The DRDB's last layer with the 1x1 fusion conv and the local residual folded in.

The last layer's 32 channels are only ever read by the 1x1 conv, so they stay in
registers: the kernel runs the dilated 3x3 conv of the last layer (accumulator 1,
N = 32), then the 1x1 over the C_in stored channels of the same pixels (accumulator
2, N = C0) plus the last layer's ReLU output times the 1x1's last 32 rows, adds the
bias and the block input (channels [0, C0)) and stores C0 channels through
arbitrary strides: to a channels-last tensor, to a view into the next block's
buffer, and optionally to a second destination (a slice of the concatenation that
follows the blocks), so a block's output is never copied.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from ahdr_kernels.conv3x3 import conv3x3_dilated, mma, pixel_tile, rounded
from ahdr_kernels.launch import BORDER, TileConfig, tile_constants, tile_grid
from ahdr_kernels.support import GROWTH


@triton.jit
def _offsets(batch, row, col, offs_c, stride_n, stride_c, stride_h, stride_w):
    """Element offsets of (pixel, channel) in an output of any strides."""
    pixel = batch * stride_n + row.to(tl.int64) * stride_h + col.to(tl.int64) * stride_w
    return pixel[:, None] + offs_c.to(tl.int64)[None, :] * stride_c


@triton.jit
def _drdb_last_kernel(
    buf_ptr,
    w_ptr,
    b_ptr,
    fw_ptr,
    fb_ptr,
    out_ptr,
    out2_ptr,
    height,
    width,
    tiles_w,
    stride_n,
    stride_h,
    out_stride_n,
    out_stride_c,
    out_stride_h,
    out_stride_w,
    out2_stride_n,
    out2_stride_c,
    out2_stride_h,
    out2_stride_w,
    C_IN: tl.constexpr,
    C_OUT: tl.constexpr,
    GROWTH_: tl.constexpr,
    BLOCK_H: tl.constexpr,
    BLOCK_W: tl.constexpr,
    BLOCK_K: tl.constexpr,
    HAS_OUT2: tl.constexpr,
    UPCAST: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    batch = tl.program_id(1).to(tl.int64)
    image = buf_ptr + batch * stride_n
    in_image, corner, row, col = pixel_tile(
        tl.program_id(0), tiles_w, height, width, stride_h, C_IN, BLOCK_H, BLOCK_W
    )
    grown = conv3x3_dilated(
        image,
        corner,
        in_image,
        w_ptr,
        stride_h,
        C_IN,
        C_IN,
        GROWTH_,
        BLOCK_H * BLOCK_W,
        BLOCK_K,
        UPCAST,
        INPUT_PRECISION,
    )
    offs_g = tl.arange(0, GROWTH_)
    grown = tl.maximum(grown + tl.load(b_ptr + offs_g)[None, :], 0.0)
    # Rounded to the buffer dtype, as if stored: the eager block rounds it the same way.
    grown = rounded(grown, buf_ptr.dtype.element_ty, UPCAST)

    centre = corner + 2 * stride_h + 2 * C_IN
    offs_k = tl.arange(0, BLOCK_K)
    offs_c = tl.arange(0, C_OUT)
    fused = tl.zeros((BLOCK_H * BLOCK_W, C_OUT), dtype=tl.float32)
    for c0 in range(0, C_IN, BLOCK_K):
        a = tl.load(
            image + centre[:, None] + (c0 + offs_k)[None, :], mask=in_image[:, None], other=0.0
        )
        w = tl.load(fw_ptr + (c0 + offs_k)[:, None] * C_OUT + offs_c[None, :])
        fused = mma(a, w, fused, UPCAST, INPUT_PRECISION)
    w = tl.load(fw_ptr + (C_IN + offs_g)[:, None] * C_OUT + offs_c[None, :])
    fused = mma(grown, w, fused, UPCAST, INPUT_PRECISION)

    mask = in_image[:, None]
    residual = tl.load(image + centre[:, None] + offs_c[None, :], mask=mask, other=0.0)
    fused += tl.load(fb_ptr + offs_c)[None, :] + residual.to(tl.float32)
    value = rounded(fused, out_ptr.dtype.element_ty, UPCAST)
    s_n, s_c, s_h, s_w = out_stride_n, out_stride_c, out_stride_h, out_stride_w
    tl.store(out_ptr + _offsets(batch, row, col, offs_c, s_n, s_c, s_h, s_w), value, mask=mask)
    if HAS_OUT2:
        s_n, s_c, s_h, s_w = out2_stride_n, out2_stride_c, out2_stride_h, out2_stride_w
        tl.store(out2_ptr + _offsets(batch, row, col, offs_c, s_n, s_c, s_h, s_w), value, mask=mask)


def drdb_last(
    buf: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    fuse_weight: torch.Tensor,
    fuse_bias: torch.Tensor,
    outs: tuple[torch.Tensor, ...],
    config: TileConfig,
) -> None:
    """outs[i] = conv1x1(concat(buf interior, last layer(buf))) + fuse_bias + buf[..., :C0].

    buf: (N, H + 4, W + 4, C_in) contiguous, zero border, every channel filled.
    weight: packed (9 * C_in, 32); bias (32,) float32.
    fuse_weight: packed (C_in + 32, C0), buffer dtype; fuse_bias (C0,) float32.
    outs: one or two (N, C0, H, W) destinations, any strides.
    """
    batch, padded_h, padded_w, c_in = buf.shape
    c_out = fuse_weight.shape[1]
    height, width = padded_h - 2 * BORDER, padded_w - 2 * BORDER
    if (
        not buf.is_contiguous()
        or weight.shape != (9 * c_in, GROWTH)
        or fuse_weight.shape[0] != c_in + GROWTH
        or c_in % GROWTH
    ):
        raise ValueError(
            f"drdb_last: weights {tuple(weight.shape)}, {tuple(fuse_weight.shape)} do not fit "
            f"the buffer {tuple(buf.shape)}"
        )
    expected = (batch, c_out, height, width)
    if not 1 <= len(outs) <= 2 or any(o.shape != expected or o.dtype != buf.dtype for o in outs):
        raise ValueError(
            f"drdb_last: outputs {[(tuple(o.shape), o.dtype) for o in outs]} are not one or "
            f"two {expected} in {buf.dtype}"
        )
    grid, tiles_w = tile_grid(batch, height, width, config)
    _drdb_last_kernel[grid](
        buf,
        weight,
        bias,
        fuse_weight,
        fuse_bias,
        outs[0],
        outs[-1],
        height,
        width,
        tiles_w,
        buf.stride(0),
        buf.stride(1),
        *outs[0].stride(),
        *outs[-1].stride(),
        C_IN=c_in,
        C_OUT=c_out,
        HAS_OUT2=len(outs) == 2,
        **tile_constants(config, c_in, buf.dtype),
        num_warps=config.num_warps,
        num_stages=config.num_stages,
    )
