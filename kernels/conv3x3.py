"""Device functions shared by the DRDB kernels: the pixel tile and the dilated 3x3 conv.

The conv is one implicit GEMM with a single K loop over 9 taps x C_in channels,
walked in chunks of BLOCK_K that never straddle a tap. One loop (rather than one
per tap) lets Triton's software pipeline run across taps without draining.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def pixel_tile(
    tile,
    tiles_w,
    height,
    width,
    stride_h,
    C_TOTAL: tl.constexpr,
    BLOCK_H: tl.constexpr,
    BLOCK_W: tl.constexpr,
):
    """(in_image mask, offset of each pixel's top-left tap, row, col) of a tile.

    Tap (ky, kx) of output pixel (row, col) sits at padded (row + 2 ky, col + 2 kx),
    the pixel itself at (row + 2, col + 2); the padded buffer's border is zero.
    """
    offs_m = tl.arange(0, BLOCK_H * BLOCK_W)
    row = (tile // tiles_w) * BLOCK_H + offs_m // BLOCK_W
    col = (tile % tiles_w) * BLOCK_W + offs_m % BLOCK_W
    in_image = (row < height) & (col < width)
    corner = row.to(tl.int64) * stride_h + col.to(tl.int64) * C_TOTAL
    return in_image, corner, row, col


@triton.jit
def conv3x3_dilated(
    image,
    corner,
    in_image,
    w_ptr,
    stride_h,
    C_IN: tl.constexpr,
    C_TOTAL: tl.constexpr,
    N_OUT: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_K: tl.constexpr,
    UPCAST: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    """fp32 (BLOCK_M, N_OUT) = sum over taps and channels [0, C_IN) of pixels x weights.

    w_ptr: packed (9 C_IN, N_OUT), row tap * C_IN + c, so K index k is the row itself.
    """
    offs_k = tl.arange(0, BLOCK_K)
    offs_n = tl.arange(0, N_OUT)
    acc = tl.zeros((BLOCK_M, N_OUT), dtype=tl.float32)
    for k in range(0, 9 * C_IN, BLOCK_K):
        tap = k // C_IN
        shift = (2 * (tap // 3)) * stride_h + (2 * (tap % 3)) * C_TOTAL + (k - tap * C_IN)
        a = tl.load(
            image + corner[:, None] + (shift + offs_k)[None, :], mask=in_image[:, None], other=0.0
        )
        w = tl.load(w_ptr + (k + offs_k)[:, None] * N_OUT + offs_n[None, :])
        acc = mma(a, w, acc, UPCAST, INPUT_PRECISION)
    return acc


@triton.jit
def mma(a, w, acc, UPCAST: tl.constexpr, INPUT_PRECISION: tl.constexpr):
    """acc + a @ w with fp32 accumulation; under the interpreter (UPCAST) bf16
    operands are upcast first, exactly (the interpreter's bf16 dot is wrong)."""
    if UPCAST:
        a = a.to(tl.float32)
        w = w.to(tl.float32)
    return tl.dot(a, w, acc, input_precision=INPUT_PRECISION)


@triton.jit
def rounded(value, dtype: tl.constexpr, UPCAST: tl.constexpr):
    """fp32 `value` rounded to `dtype` to nearest even, as a compiled cast does.

    Under the interpreter (UPCAST) a cast to bf16 truncates, which would double the
    emulated bf16 path's error, so there the rounding is done on the bits first
    (finite values only: the kernels' values are) and the cast is then exact.
    """
    if UPCAST and dtype == tl.bfloat16:
        bits = value.to(tl.uint32, bitcast=True)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        value = bits.to(tl.float32, bitcast=True)
    return value.to(dtype)
