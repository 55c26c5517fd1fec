"""AHDRNet (Yan et al., CVPR 2019) as two halves that compose exactly.

``AttentionEncoder`` (the Attention node) and ``MergeNet`` (the Merge node) load
their slices of one safetensors weights file; ``AHDRNet`` composes them. The
DRDBs run eager or on the fused Triton kernels (``resolve_impl``);
``tiled_forward`` runs any of them on images larger than memory.
"""

from ahdr_nodes.hdr.model.ahdrnet import ATTENTION_PREFIX, MERGE_PREFIX, AHDRNet
from ahdr_nodes.hdr.model.attention import AttentionEncoder, AttentionModule, reference_features
from ahdr_nodes.hdr.model.config import AHDRNetConfig
from ahdr_nodes.hdr.model.drdb import DRDB, resolve_impl
from ahdr_nodes.hdr.model.merge import MergeNet
from ahdr_nodes.hdr.model.official import import_official
from ahdr_nodes.hdr.model.tiling import Regions, tile_for_budget, tiled_forward
from ahdr_nodes.hdr.model.weights import (
    RUN_RECORD_NAME,
    ResolvedWeights,
    average_weights,
    load_weights,
    random_weights,
    read_config,
    resolve_weights,
    save_weights,
    training_record,
    write_weights,
)

__all__ = [
    "ATTENTION_PREFIX",
    "DRDB",
    "MERGE_PREFIX",
    "RUN_RECORD_NAME",
    "AHDRNet",
    "AHDRNetConfig",
    "AttentionEncoder",
    "AttentionModule",
    "MergeNet",
    "ResolvedWeights",
    "average_weights",
    "import_official",
    "load_weights",
    "random_weights",
    "read_config",
    "reference_features",
    "resolve_impl",
    "resolve_weights",
    "save_weights",
    "training_record",
    "write_weights",
    "tile_for_budget",
    "tiled_forward",
    "Regions",
]
