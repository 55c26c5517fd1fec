"""The two halves of AHDRNet, loaded once per process and kept.

A batch worker loads a model once, not once per scene. The key holds the
weights file's size and mtime, so a rewritten file is loaded afresh.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import torch
from torch import nn

from ahdr_nodes.hdr.model import (
    ATTENTION_PREFIX,
    MERGE_PREFIX,
    AttentionEncoder,
    MergeNet,
    ResolvedWeights,
    load_weights,
    resolve_weights,
)
from ahdr_nodes.hdr.model.weights import BUILTIN_PATH
from ahdr_nodes.hdr.nodes.device import memory_format


def weights_digest(weights: ResolvedWeights) -> str:
    """SHA-256 of the weights file (the id written into results); ``random`` for none."""
    if not isinstance(weights.tensors, Path):
        return "random"
    return _file_digest(weights.tensors, weights_fingerprint(str(weights.tensors)))


@functools.lru_cache(maxsize=8)
def _file_digest(path: Path, fingerprint: str) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


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
    # Graphs run under inference mode, but the module outlives the run that loads it:
    # its parameters must be ordinary tensors (inference ones cannot be versioned,
    # which the fused kernels' weight cache relies on, nor used outside that mode).
    with torch.inference_mode(False):
        weights = resolve_weights(spec)
        if kind == "attention":
            module: nn.Module = AttentionEncoder.from_config(weights.config)
            prefix = ATTENTION_PREFIX
        else:
            module = MergeNet.from_config(weights.config, impl=impl)
            prefix = MERGE_PREFIX
        module = module.to(
            device=device, dtype=getattr(torch, dtype), memory_format=memory_format(layout)
        )
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
    dtype_name = str(dtype).removeprefix("torch.")
    fingerprint = weights_fingerprint(spec)
    return _cached_module(kind, spec, fingerprint, str(device), dtype_name, impl, layout)
