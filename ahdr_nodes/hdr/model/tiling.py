"""Exact tiled inference for fully convolutional functions, and tile sizes from a budget.

A pixel of a convolutional network's output depends only on the inputs within its
receptive radius. Running each tile on its extent grown by a halo of at least
that radius (clamped at the image border, where the real zero padding applies)
therefore gives the untiled result, up to float rounding. For AHDRNet the radius
is ``AHDRNetConfig.receptive_radius`` (43 px; 3 for the Attention side alone,
40 for the Merge side).

Memory for a 4000x3000 bracket (12 Mpx, float32) on a 24 GiB CPU machine: the
monolithic model holds its input (18 channels: 0.9 GB) and output (3: 0.15 GB)
whole, and only one tile's activations; the Attention -> Merge graph also holds
the attended features (192 channels, 9.2 GB; Z_r is a view into them) between
the nodes. With a tile budget of a few GiB the total stays well under 24 GiB;
without tiling the activations alone would take ~60 GB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils import _pytree as pytree

from ahdr_nodes import UserError
from ahdr_nodes.hdr.model.config import AHDRNetConfig

ProgressCallback = Callable[[int, int], None]
PAPER_RADIUS = AHDRNetConfig().receptive_radius
BYTES_PER_VALUE = {torch.float32: 4, torch.bfloat16: 2, torch.float16: 2}


@dataclass(frozen=True)
class Regions:
    """An input read one region at a time: ``crop(rows, cols)`` returns ``fn``'s
    arguments for that region. Lets a caller keep a tensor that is large at full
    size (the network's inputs, its features) from ever being built whole."""

    height: int
    width: int
    crop: Callable[[slice, slice], tuple[Tensor, ...]]


def tiled_forward(
    fn: Callable[..., object],
    inputs: Tensor | Sequence[Tensor] | Regions,
    tile: int,
    halo: int,
    progress: ProgressCallback | None = None,
) -> object:
    """Run ``fn`` over tiles of ``inputs`` and stitch its outputs.

    ``inputs``: Regions, a tensor or a sequence of tensors (passed to ``fn`` as
    separate arguments) whose last two dimensions are the same H, W. ``fn``
    returns a tensor or a (nested) tuple/list of tensors whose last two
    dimensions are the tile's; the result has the same structure at full size, on
    ``fn``'s output device. ``tile``: side of the square core of each tile;
    ``halo``: pixels of context around it (at least the receptive radius for an
    exact result). ``progress(done, total)`` is called after every tile. When one
    tile covers the image, ``fn``'s own output is returned: no copy, bit for bit
    untiled.
    """
    if tile < 1 or halo < 0:
        raise ValueError(f"tile must be >= 1 and halo >= 0, got tile={tile}, halo={halo}")
    source = inputs if isinstance(inputs, Regions) else _tensor_regions(inputs)
    height, width = source.height, source.width
    rows, cols = range(0, height, tile), range(0, width, tile)
    total = len(rows) * len(cols)
    if total == 1:
        result = fn(*source.crop(slice(None), slice(None)))
        if progress is not None:
            progress(1, 1)
        return result
    buffers: list[Tensor] = []
    spec = None
    done = 0
    for y0 in rows:
        for x0 in cols:
            y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
            top, left = max(0, y0 - halo), max(0, x0 - halo)
            bottom, right = min(height, y1 + halo), min(width, x1 + halo)
            leaves, spec = pytree.tree_flatten(
                fn(*source.crop(slice(top, bottom), slice(left, right)))
            )
            if not buffers:
                buffers = [_full_size_like(leaf, height, width) for leaf in leaves]
            for buffer, leaf in zip(buffers, leaves, strict=True):
                core = leaf[..., y0 - top : y1 - top, x0 - left : x1 - left]
                buffer[..., y0:y1, x0:x1].copy_(core)
            del leaves
            done += 1
            if progress is not None:
                progress(done, total)
    return pytree.tree_unflatten(buffers, spec)


def tile_for_budget(
    height: int,
    width: int,
    budget_bytes: int,
    channels_peak: int,
    halo: int = PAPER_RADIUS,
    dtype: torch.dtype = torch.float32,
) -> int:
    """Square tile core for the fewest tiles whose activations (with halo) fit in
    ``budget_bytes``, as even as that count allows.

    ``channels_peak``: values alive per pixel at the network's peak (see
    ``AHDRNetConfig.peak_channels``). The largest fitting core is shrunk to the
    smallest one that needs no more tiles, so the last row and column are not
    slivers that spend most of their work on the halo. Returns ``max(height,
    width)`` when the whole image fits in one tile. Raises UserError when even a
    tile as small as its halo does not fit.
    """
    bytes_per_pixel = channels_peak * BYTES_PER_VALUE[dtype]
    if height * width * bytes_per_pixel <= budget_bytes:
        return max(height, width)
    tile = math.isqrt(budget_bytes // bytes_per_pixel) - 2 * halo
    smallest = max(halo, 8)
    if tile < smallest:
        needed = (smallest + 2 * halo) ** 2 * bytes_per_pixel
        raise UserError(
            f"memory budget {budget_bytes} bytes is too small for tiled inference; "
            f"allow at least {needed} bytes"
        )
    rows, cols = math.ceil(height / tile), math.ceil(width / tile)
    return max(math.ceil(height / rows), math.ceil(width / cols))


def _tensor_regions(inputs: Tensor | Sequence[Tensor]) -> Regions:
    arguments = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    sizes = {tuple(a.shape[-2:]) for a in arguments}
    if not arguments or len(sizes) != 1:
        raise ValueError(f"tiled inputs must share their last two dimensions, got {sizes}")
    height, width = next(iter(sizes))
    return Regions(height, width, lambda rows, cols: tuple(a[..., rows, cols] for a in arguments))


def _full_size_like(leaf: object, height: int, width: int) -> Tensor:
    if not isinstance(leaf, Tensor):
        raise TypeError(f"tiled function must return tensors, got {type(leaf).__name__}")
    return leaf.new_empty((*leaf.shape[:-2], height, width))
