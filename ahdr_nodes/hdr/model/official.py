"""Import a checkpoint of the official AHDRNet code into our safetensors format.

The official model (``AHDR`` in the authors' PyTorch code) names its layers
conv1, att11/att12, att31/att32, conv2, RDB{1,2,3}.dense_layers.K.conv,
RDB{1,2,3}.conv_1x1, GFF_1x1, GFF_3x3, conv_up and conv3. It also carries
attConv1/attConv3, which its forward never uses: they are dropped. Checkpoints
saved from ``nn.DataParallel`` prefix every key with ``module.``.

The checkpoint is read with ``torch.load(weights_only=True)``, which refuses
arbitrary pickled objects; our own files are safetensors only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from ahdr_nodes import UserError, check_not_input, check_writable
from ahdr_nodes.hdr.model.ahdrnet import AHDRNet
from ahdr_nodes.hdr.model.config import AHDRNetConfig
from ahdr_nodes.hdr.model.torch_load import load_pickle_safely
from ahdr_nodes.hdr.model.weights import check_weights_name, write_weights

UNUSED_LAYERS = ("attConv1.", "attConv3.")
LAYER_NAMES = {
    "conv1": "attention.encode",
    "att11": "attention.attention1.conv1",
    "att12": "attention.attention1.conv2",
    "att31": "attention.attention3.conv1",
    "att32": "attention.attention3.conv2",
    "conv2": "merge.in_conv",
    "GFF_1x1": "merge.gff_1x1",
    "GFF_3x3": "merge.gff_3x3",
    "conv_up": "merge.refine",
    "conv3": "merge.to_rgb",
}
DENSE_LAYER = re.compile(r"RDB(\d+)\.dense_layers\.(\d+)\.conv")
BLOCK_FUSION = re.compile(r"RDB(\d+)\.conv_1x1")


def import_official(pt_path: str | Path, out_path: str | Path, overwrite: bool = False) -> None:
    """Convert the official checkpoint ``pt_path`` into our weights file ``out_path``.

    The output is checked first (never the checkpoint itself, not an existing
    file unless ``overwrite``, a folder that can be written), so that a doomed
    write is refused before the conversion.
    """
    pt_path = Path(pt_path)
    check_weights_name(out_path)
    check_not_input(out_path, [pt_path])
    check_writable(out_path, overwrite)
    official = _load_state_dict(pt_path)
    write_weights(convert_official(official, str(pt_path)), AHDRNetConfig(), out_path, overwrite)


def convert_official(official: Mapping[str, Tensor], origin: str) -> dict[str, Tensor]:
    """Rename an official state dict to ours, checking names and shapes against AHDRNet()."""
    expected = AHDRNet().state_dict()
    converted: dict[str, Tensor] = {}
    for key, tensor in official.items():
        key = key.removeprefix("module.")
        if key.startswith(UNUSED_LAYERS):
            continue
        ours = _our_name(key)
        if ours not in expected:
            raise UserError(f"{origin}: unexpected tensor {key!r} for the official AHDRNet")
        if tuple(tensor.shape) != tuple(expected[ours].shape):
            raise UserError(
                f"{origin}: tensor {key!r} has shape {tuple(tensor.shape)}, "
                f"AHDRNet expects {tuple(expected[ours].shape)}"
            )
        converted[ours] = tensor.detach().to(torch.float32)
    missing = [name for name in expected if name not in converted]
    if missing:
        raise UserError(f"{origin}: missing tensor for {missing[0]!r}")
    return converted


def _our_name(key: str) -> str:
    layer, _, parameter = key.rpartition(".")
    if layer in LAYER_NAMES:
        return f"{LAYER_NAMES[layer]}.{parameter}"
    if match := DENSE_LAYER.fullmatch(layer):
        return f"merge.blocks.{int(match[1]) - 1}.layers.{match[2]}.{parameter}"
    if match := BLOCK_FUSION.fullmatch(layer):
        return f"merge.blocks.{int(match[1]) - 1}.fuse.{parameter}"
    return key


def _load_state_dict(path: Path) -> Mapping[str, Tensor]:
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    loaded = load_pickle_safely(path)
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not all(
        isinstance(key, str) and isinstance(value, Tensor) for key, value in loaded.items()
    ):
        raise UserError(f"{path}: expected a state dict of tensors (official AHDRNet checkpoint)")
    return loaded
