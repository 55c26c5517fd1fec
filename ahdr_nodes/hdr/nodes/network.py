"""AHDRNet as two nodes: Attention (encoder + attention) and Merge (DRDB merging net).

Both load their slice of one weights file, so Load -> Linearise -> Attention ->
Merge computes the monolithic AHDRNet. Loaded models are cached per process
(a batch worker loads a model once, not once per scene). Images larger than the
memory budget run in tiles with a halo of the receptive radius: exact up to
float rounding.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ahdr_nodes import Input, Node, NodeContext, Output, Param, UserError
from ahdr_nodes.hdr.model import (
    ATTENTION_PREFIX,
    MERGE_PREFIX,
    AHDRNetConfig,
    AttentionEncoder,
    MergeNet,
    Regions,
    ResolvedWeights,
    load_weights,
    reference_features,
    resolve_weights,
    tile_for_budget,
    tiled_forward,
)
from ahdr_nodes.hdr.model.weights import BUILTIN_PATH
from ahdr_nodes.hdr.types import AttentionMaps, Features, HDRImage, LDRImage, LinearStack

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
MEMORY_FORMATS = {"nchw": torch.contiguous_format, "nhwc": torch.channels_last}
FRAMES = 3


def pick_device(choice: str) -> torch.device:
    """``auto`` is CUDA when available, else the CPU; ``cuda`` without a GPU is an error."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' requested but no CUDA GPU is available; use device: cpu")
    return torch.device(choice)


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    if name != "float32" and device.type != "cuda":
        raise UserError(f"dtype {name!r} runs on CUDA only; on the CPU use dtype: float32")
    return DTYPES[name]


def weights_fingerprint(spec: str) -> str:
    """Cache-key material for a weights choice: a file's size and mtime."""
    path = BUILTIN_PATH if spec == "builtin" else None if spec == "random" else Path(spec)
    if path is None:
        return "random"
    try:
        stat = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


@functools.lru_cache(maxsize=8)
def _cached_module(
    kind: str, spec: str, fingerprint: str, device: str, dtype: str, impl: str, layout: str
) -> tuple[nn.Module, ResolvedWeights]:
    weights = resolve_weights(spec)
    if kind == "attention":
        module: nn.Module = AttentionEncoder.from_config(weights.config)
        prefix = ATTENTION_PREFIX
    else:
        module = MergeNet.from_config(weights.config, impl=impl)
        prefix = MERGE_PREFIX
    module = module.to(device=device, dtype=DTYPES[dtype], memory_format=MEMORY_FORMATS[layout])
    module.eval()
    load_weights(module, weights, prefix)
    return module, weights


def load_module(
    kind: str,
    spec: str,
    device: torch.device,
    dtype: torch.dtype,
    impl: str = "eager",
    layout: str = "nhwc",
) -> tuple[nn.Module, ResolvedWeights]:
    """The Attention or Merge half with its weights, loaded once per process."""
    dtype_name = next(name for name, value in DTYPES.items() if value == dtype)
    fingerprint = weights_fingerprint(spec)
    return _cached_module(kind, spec, fingerprint, str(device), dtype_name, impl, layout)


def input_regions(stack: LinearStack) -> Regions:
    """The network's inputs, (1, N, 6, h, w) float32, built per tile from the stack."""
    height, width = stack.shape
    return Regions(height, width, lambda rows, cols: (stack.network_inputs(rows, cols)[None],))


class NetworkNode(Node):
    """Params shared by both halves: weights, device, dtype, memory budget."""

    weights = Param(str, "builtin", doc="builtin, random (untrained; tests only) or a .safetensors")
    device = Param(str, "auto", choices=("auto", "cpu", "cuda"))
    dtype = Param(str, "float32", choices=tuple(DTYPES), doc="half types on CUDA only")
    memory_mb = Param(float, 4096.0, minimum=16.0, doc="activation budget; larger images tile")
    layout = Param(
        str, "nhwc", choices=tuple(MEMORY_FORMATS), doc="nhwc = channels-last (1.4x faster on CPU)"
    )

    def fingerprint(self) -> str:
        return weights_fingerprint(self.weights)

    def budget_bytes(self) -> int:
        return int(self.memory_mb * 2**20)

    def progress(self, ctx: NodeContext) -> Callable[[int, int], None]:
        return lambda done, total: ctx.progress(done, total, "tiles")

    @staticmethod
    def label_untrained(ctx: NodeContext, weights: ResolvedWeights) -> None:
        if weights.untrained:
            ctx.warn(f"weights: {weights.label}")


class Attention(NetworkNode):
    """AHDRNet's shared encoder and attention modules: attended features per frame."""

    stack = Input(LinearStack)
    features = Output(Features, "concat(Z'_1, Z_r, Z'_3) and Z_r, for Merge")
    maps = Output(AttentionMaps, "attention maps of the non-reference frames (if read)")

    def preflight(self) -> None:
        """Load (and so check) the weights before any node runs: a bad file stops the run
        before slow work such as alignment; the module is cached for ``run``."""
        device = pick_device(self.device)
        load_module(
            "attention", self.weights, device, pick_dtype(self.dtype, device), layout=self.layout
        )

    def run(self, ctx: NodeContext, stack: LinearStack) -> dict[str, Any]:
        if len(stack.linear) != FRAMES or stack.reference != 1:
            raise UserError(
                f"AHDRNet needs exactly {FRAMES} frames with the middle one as "
                f"reference; got {len(stack.linear)} frames, reference "
                f"{stack.reference}"
            )
        device = pick_device(self.device)
        dtype = pick_dtype(self.dtype, device)
        encoder, weights = load_module("attention", self.weights, device, dtype, layout=self.layout)
        self.label_untrained(ctx, weights)
        config = weights.config

        def encode(x: Tensor) -> Tensor:
            return encoder(x.to(device=device, dtype=dtype), return_maps=False)[0]

        features = Features(stack=stack, encode=encode, radius=config.attention_radius)
        maps = self._maps(ctx, encoder, stack, config, device, dtype) if ctx.wants("maps") else None
        return {"features": features, "maps": maps}

    def _maps(
        self,
        ctx: NodeContext,
        encoder: nn.Module,
        stack: LinearStack,
        config: AHDRNetConfig,
        device: torch.device,
        dtype: torch.dtype,
    ) -> AttentionMaps:
        """The attention maps, computed only when a node reads them."""
        height, width = stack.shape
        channels = config.attention_peak_channels + 2 * config.features
        halo = config.attention_radius
        tile = tile_for_budget(height, width, self.budget_bytes(), channels, halo, dtype)

        def maps_of(x: Tensor) -> Tensor:
            return torch.cat(encoder(x.to(device=device, dtype=dtype), return_maps=True)[2], 0)

        maps = tiled_forward(maps_of, input_regions(stack), tile, halo, self.progress(ctx))
        return AttentionMaps(maps=[m.float().cpu() for m in maps])


class Merge(NetworkNode):
    """AHDRNet's merging network (3 DRDBs, global fusion and residual): linear HDR out."""

    features = Input(Features)
    hdr = Output(HDRImage)
    impl = Param(
        str,
        "auto",
        choices=("auto", "eager", "triton"),
        doc="DRDB implementation: auto = Triton on CUDA when available",
    )

    def preflight(self) -> None:
        """As Attention.preflight, for the Merge half."""
        device = pick_device(self.device)
        dtype = pick_dtype(self.dtype, device)
        load_module("merge", self.weights, device, dtype, self.impl, self.layout)

    def run(self, ctx: NodeContext, features: Features) -> dict[str, Any]:
        device = pick_device(self.device)
        dtype = pick_dtype(self.dtype, device)
        merge, weights = load_module("merge", self.weights, device, dtype, self.impl, self.layout)
        self.label_untrained(ctx, weights)
        layout = MEMORY_FORMATS[self.layout]
        stack = features.stack

        def merged(inputs: Tensor) -> Tensor:
            attended = features.encode(inputs).to(device=device, dtype=dtype, memory_format=layout)
            return merge(attended, reference_features(attended))

        height, width = stack.shape
        config = weights.config
        halo = features.radius + config.merge_radius
        tile = tile_for_budget(
            height, width, self.budget_bytes(), config.peak_channels, halo=halo, dtype=dtype
        )
        output = tiled_forward(merged, input_regions(stack), tile, halo, self.progress(ctx))
        image = output[0].permute(1, 2, 0).float().cpu().numpy()
        return {"hdr": HDRImage(np.ascontiguousarray(image, dtype=np.float32))}


class VisualiseAttention(Node):
    """The attention maps as a contact sheet: one row per non-reference frame.

    Each row shows the mean over the 64 channels, then the channels that vary
    most across the image (the ones that do the masking of moving objects).
    """

    maps = Input(AttentionMaps)
    sheet = Output(LDRImage)
    channels = Param(int, 7, minimum=0, maximum=64, doc="extra channels shown per row")
    gap = Param(int, 4, minimum=0, maximum=64, doc="pixels between tiles")

    def run(self, ctx: NodeContext, maps: AttentionMaps) -> dict[str, Any]:
        rows = []
        for frame_maps in maps.maps:
            data = frame_maps.float().cpu().numpy()  # (C, H, W) in [0, 1]
            order = np.argsort(data.reshape(len(data), -1).std(axis=1))[::-1]
            tiles = [data.mean(axis=0)] + [data[i] for i in order[: self.channels]]
            rows.append(_row(tiles, self.gap))
        sheet = _stack(rows, self.gap)
        return {"sheet": LDRImage(np.repeat(sheet[..., None], 3, axis=2))}


def _row(tiles: list[np.ndarray], gap: int) -> np.ndarray:
    height = tiles[0].shape[0]
    spacer = np.ones((height, gap), np.float32)
    parts = [part for tile in tiles for part in (tile.astype(np.float32), spacer)][:-1]
    return np.concatenate(parts, axis=1)


def _stack(rows: list[np.ndarray], gap: int) -> np.ndarray:
    spacer = np.ones((gap, rows[0].shape[1]), np.float32)
    parts = [part for row in rows for part in (row, spacer)][:-1]
    return np.clip(np.concatenate(parts, axis=0), 0.0, 1.0)
