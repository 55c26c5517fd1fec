"""AHDRNet as two nodes: Attention (encoder + attention) and Merge (DRDB merging net).

Both load their slice of one weights file, so Load -> Linearise -> Attention ->
Merge computes the monolithic AHDRNet. This module declares the nodes; what
they compute (network_run.py), where (device.py) and the loaded models
(model_cache.py) load with torch when a node runs.
"""

from __future__ import annotations

from typing import Any

from ahdr_kernels.support import DRDB_IMPLS

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.nodes.device import DTYPE_NAMES, LAYOUTS
from ahdr_nodes.hdr.types import AttentionMaps, Features, HDRImage, LinearStack


class NetworkNode(Node):
    """Params shared by both halves: weights, device, dtype, memory budget."""

    weights = Param(str, "builtin", doc="builtin, random (untrained; tests only) or a .safetensors")
    device = Param(str, "auto", choices=("auto", "cpu", "cuda"))
    dtype = Param(str, "float32", choices=DTYPE_NAMES, doc="half types on CUDA only")
    memory_mb = Param(
        float, 1024.0, minimum=16.0, doc="activation budget; larger images run in tiles"
    )
    layout = Param(
        str, "nhwc", choices=tuple(LAYOUTS), doc="nhwc = channels-last (1.4x faster on CPU)"
    )

    def fingerprint(self) -> str:
        from ahdr_nodes.hdr.nodes.model_cache import weights_fingerprint

        return weights_fingerprint(self.weights)

    def budget_bytes(self) -> int:
        return int(self.memory_mb * 2**20)


class Attention(NetworkNode):
    """AHDRNet's shared encoder and attention modules: attended features per frame."""

    stack = Input(LinearStack)
    features = Output(Features, "concat(Z'_1, Z_r, Z'_3) and Z_r, for Merge")
    maps = Output(AttentionMaps, "attention maps of the non-reference frames (if read)")

    def preflight(self) -> None:
        """Load (and so check) the weights before any node runs: a bad file stops the run
        before slow work such as alignment; the module is cached for ``run``."""
        from ahdr_nodes.hdr.nodes.network_run import load_half

        load_half(self, "attention")

    def run(self, ctx: NodeContext, stack: LinearStack) -> dict[str, Any]:
        from ahdr_nodes.hdr.nodes.network_run import attention

        return attention(self, ctx, stack)


class Merge(NetworkNode):
    """AHDRNet's merging network (3 DRDBs, global fusion and residual): linear HDR out."""

    features = Input(Features)
    hdr = Output(HDRImage)
    impl = Param(
        str,
        "auto",
        choices=DRDB_IMPLS,
        doc="DRDB implementation: auto = Triton on CUDA when available",
    )

    def preflight(self) -> None:
        """As Attention.preflight, for the Merge half."""
        from ahdr_nodes.hdr.nodes.network_run import load_half

        load_half(self, "merge", self.impl)

    def run(self, ctx: NodeContext, features: Features) -> dict[str, Any]:
        from ahdr_nodes.hdr.nodes.network_run import merge

        return merge(self, ctx, features)
