"""What the two network nodes compute: in tiles within the memory budget.

Images larger than the budget run in tiles with a halo of the receptive radius:
exact up to float rounding. The node classes (network.py) import this module
when they run, so checking a graph does not load torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ahdr_nodes import NodeContext, UserError
from ahdr_nodes.hdr.model import (
    Regions,
    ResolvedWeights,
    reference_features,
    tile_for_budget,
    tiled_forward,
)
from ahdr_nodes.hdr.nodes.device import memory_format, pick_device, pick_dtype
from ahdr_nodes.hdr.nodes.model_cache import load_module, weights_digest
from ahdr_nodes.hdr.types import AttentionMaps, Features, HDRImage, LinearStack

if TYPE_CHECKING:
    from ahdr_nodes.hdr.nodes.network import Attention, Merge, NetworkNode

FRAMES = 3


def input_regions(stack: LinearStack) -> Regions:
    """The network's inputs, (1, N, 6, h, w) float32, built per tile from the stack."""
    height, width = stack.shape
    return Regions(height, width, lambda rows, cols: (stack.network_inputs(rows, cols)[None],))


@dataclass
class Half:
    """One half of AHDRNet as a node asked for it: the module, its weights, and
    where it runs."""

    module: nn.Module
    weights: ResolvedWeights
    device: torch.device
    dtype: torch.dtype


def load_half(node: NetworkNode, kind: str, impl: str = "eager") -> Half:
    """The node's half of AHDRNet on its device and dtype (cached per process)."""
    device = pick_device(node.device)
    dtype = pick_dtype(node.dtype, device)
    module, weights = load_module(kind, node.weights, device, dtype, impl, node.layout)
    return Half(module, weights, device, dtype)


def _progress(ctx: NodeContext) -> Callable[[int, int], None]:
    return lambda done, total: ctx.progress(done, total, "tiles")


def _label_weights(ctx: NodeContext, weights: ResolvedWeights) -> None:
    """Say when the weights are untrained, and record which weights made the result."""
    if weights.untrained:
        ctx.warn(f"weights: {weights.label}")
    ctx.record("weights", {"label": weights.label, "sha256": weights_digest(weights)})


def attention(node: Attention, ctx: NodeContext, stack: LinearStack) -> dict[str, Any]:
    """Features as a recipe Merge computes per tile, and the maps if anything reads them."""
    if len(stack.linear) != FRAMES or stack.reference != 1:
        raise UserError(
            f"AHDRNet needs exactly {FRAMES} frames with the middle one as "
            f"reference; got {len(stack.linear)} frames, reference {stack.reference}"
        )
    encoder = load_half(node, "attention")
    _label_weights(ctx, encoder.weights)

    def encode(x: Tensor) -> Tensor:
        inputs = x.to(device=encoder.device, dtype=encoder.dtype)
        return encoder.module(inputs, return_maps=False)[0]

    radius = encoder.weights.config.attention_radius
    features = Features(stack=stack, encode=encode, radius=radius)
    maps = _maps(node, ctx, encoder, stack) if ctx.wants("maps") else None
    return {"features": features, "maps": maps}


def _maps(node: Attention, ctx: NodeContext, encoder: Half, stack: LinearStack) -> AttentionMaps:
    """The attention maps, computed only when a node reads them."""
    config = encoder.weights.config
    height, width = stack.shape
    channels = config.attention_peak_channels + 2 * config.features
    halo = config.attention_radius
    tile = tile_for_budget(height, width, node.budget_bytes(), channels, halo, encoder.dtype)

    def maps_of(x: Tensor) -> Tensor:
        inputs = x.to(device=encoder.device, dtype=encoder.dtype)
        return torch.cat(encoder.module(inputs, return_maps=True)[2], 0)

    maps = tiled_forward(maps_of, input_regions(stack), tile, halo, _progress(ctx))
    return AttentionMaps(maps=[m.float().cpu() for m in maps])


def merge(node: Merge, ctx: NodeContext, features: Features) -> dict[str, Any]:
    """Attention and merge per tile (halo = both radii), stitched to linear HDR."""
    network = load_half(node, "merge", node.impl)
    _label_weights(ctx, network.weights)
    layout = memory_format(node.layout)
    stack = features.stack

    def merged(inputs: Tensor) -> Tensor:
        attended = features.encode(inputs).to(
            device=network.device, dtype=network.dtype, memory_format=layout
        )
        return network.module(attended, reference_features(attended))

    height, width = stack.shape
    config = network.weights.config
    halo = features.radius + config.merge_radius
    tile = tile_for_budget(
        height, width, node.budget_bytes(), config.peak_channels, halo=halo, dtype=network.dtype
    )
    output = tiled_forward(merged, input_regions(stack), tile, halo, _progress(ctx))
    image = output[0].permute(1, 2, 0).float().cpu().numpy() / np.float32(stack.network_scale)
    return {"hdr": HDRImage(np.ascontiguousarray(image, dtype=np.float32))}
