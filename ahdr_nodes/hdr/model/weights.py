"""AHDRNet weights: one safetensors file for the whole network, loaded by slices.

The Attention node loads the ``attention.`` slice and the Merge node the
``merge.`` slice of the same file, so the graph equals the monolithic model.
Loading never unpickles: only safetensors files (or in-memory state dicts) load.
The file's metadata carries the architecture (``AHDRNetConfig``) it was saved from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from ahdr_nodes import UserError, atomic_output
from ahdr_nodes.hdr.model.ahdrnet import AHDRNet
from ahdr_nodes.hdr.model.config import AHDRNetConfig

BUILTIN_PATH = Path(__file__).resolve().parent.parent / "assets" / "ahdrnet.safetensors"
# how the builtin weights were trained: the budget, data, validation and the runs before
BUILTIN_RECORD_PATH = BUILTIN_PATH.with_name("ahdrnet_training.json")
# what `ahdr train` writes beside the weights of a run
RUN_RECORD_NAME = "training.json"
CONFIG_KEY = "ahdrnet_config"
WEIGHTS_SUFFIX = ".safetensors"
RANDOM_SEED = 0
T = TypeVar("T")


@dataclass(frozen=True)
class ResolvedWeights:
    """Where a model's tensors come from, and how to label results made with them.

    ``tensors`` is a safetensors file or an in-memory state dict (``random``).
    ``untrained`` is true for ``random``: anything made with it must say so.
    """

    tensors: Path | Mapping[str, Tensor]
    config: AHDRNetConfig
    label: str
    untrained: bool = False


def resolve_weights(spec: str | Path) -> ResolvedWeights:
    """Turn a user's ``weights`` choice (``builtin``, ``random`` or a path) into tensors."""
    if spec == "builtin":
        if not BUILTIN_PATH.is_file():
            raise UserError(
                f"builtin AHDRNet weights are missing from this installation ({BUILTIN_PATH}); "
                "reinstall ahdr-nodes, or pass a trained .safetensors file as weights=PATH "
                "(convert an official checkpoint with "
                "`ahdr weights import CKPT.pt -o OUT.safetensors`)"
            )
        return ResolvedWeights(BUILTIN_PATH, checked_config(BUILTIN_PATH), "builtin")
    if spec == "random":
        return random_weights()
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"weights file not found: {path}")
    if path.suffix != ".safetensors":
        raise UserError(
            f"weights file {path} is not .safetensors; convert an official .pt checkpoint with "
            "`ahdr weights import`"
        )
    return ResolvedWeights(path, checked_config(path), str(path))


def training_record(weights: ResolvedWeights) -> dict[str, Any] | None:
    """How ``weights`` were trained, where a record lies beside them (the builtin record,
    or the training.json of the run folder a weights file is in), so a run that starts
    from them can carry their whole budget. None where there is none or it is unreadable."""
    if not isinstance(weights.tensors, Path):
        return None
    path = (
        BUILTIN_RECORD_PATH
        if weights.label == "builtin"
        else weights.tensors.with_name(RUN_RECORD_NAME)
    )
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def random_weights(config: AHDRNetConfig | None = None) -> ResolvedWeights:
    """Untrained, deterministic weights (seed 0) for tests and benchmarks only.

    The global RNG is left untouched, so callers' own seeding is unaffected.
    """
    config = config or AHDRNetConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        state = AHDRNet(config).state_dict()
    label = f"random (seed {RANDOM_SEED}, UNTRAINED: results are not a real HDR merge)"
    return ResolvedWeights(state, config, label, untrained=True)


def read_config(path: Path) -> AHDRNetConfig:
    """The architecture stored in a weights file (the paper's network if none is stored)."""
    metadata = _open(path, lambda handle: handle.metadata()) or {}
    if CONFIG_KEY not in metadata:
        return AHDRNetConfig()
    return AHDRNetConfig.from_json(metadata[CONFIG_KEY], str(path))


def checked_config(path: Path) -> AHDRNetConfig:
    """The stored architecture, checked against the file's tensor shapes first.

    The expected shapes come from a model built on the meta device, which
    allocates nothing: metadata claiming a huge network is refused before any
    real model is built from it.
    """
    config = read_config(path)
    with torch.device("meta"):
        expected = {name: tuple(t.shape) for name, t in AHDRNet(config).state_dict().items()}
    _check_names_and_shapes(expected, _open(path, _shapes), "", str(path))
    return config


def load_weights(
    module: nn.Module,
    source: ResolvedWeights | str | Path | Mapping[str, Tensor],
    prefix: str = "",
) -> None:
    """Load the tensors under ``prefix`` (``attention.``, ``merge.``, or all) into ``module``.

    Names and shapes are checked first; the error names the first mismatch.
    Tensors with NaN or infinite values are refused. Values are cast to the
    module's dtype and copied to its device.
    """
    origin = "weights"
    if isinstance(source, ResolvedWeights):
        origin, source = source.label, source.tensors
    if isinstance(source, Mapping):
        available = {name: tuple(tensor.shape) for name, tensor in source.items()}
    else:
        path = Path(source)
        origin = str(path)
        available = _open(path, _shapes)
    expected = {prefix + name: tuple(t.shape) for name, t in module.state_dict().items()}
    _check_names_and_shapes(expected, available, prefix, origin)
    if isinstance(source, Mapping):
        state = {name[len(prefix) :]: source[name] for name in expected}
    else:
        state = _open(
            Path(source),
            lambda handle: {name[len(prefix) :]: handle.get_tensor(name) for name in expected},
        )
    for name, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise UserError(f"{origin}: tensor {prefix + name!r} holds NaN or infinite values")
    module.load_state_dict(state, strict=True)


def save_weights(model: AHDRNet, path: str | Path, overwrite: bool = False) -> None:
    """Write ``model``'s tensors and config to ``path`` atomically."""
    write_weights(model.state_dict(), model.config, path, overwrite)


def write_weights(
    state: Mapping[str, Tensor], config: AHDRNetConfig, path: str | Path, overwrite: bool = False
) -> None:
    """Write a full AHDRNet state dict with its config metadata atomically."""
    check_weights_name(path)
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in state.items()}
    with atomic_output(path, overwrite) as temp:
        save_file(tensors, str(temp), metadata={CONFIG_KEY: config.to_json()})


def average_weights(specs: list[str]) -> tuple[dict[str, Tensor], AHDRNetConfig]:
    """The element-wise mean of several weights files of one architecture.

    Averaging the last checkpoints of a run (Izmailov et al., 2018, "Averaging weights
    leads to wider optima") smooths the step-to-step swings of a small-batch run. Every
    file is checked like any weights file; a different architecture is refused by name.
    """
    if len(specs) < 2:
        raise UserError("averaging needs at least two weights files")
    sources = [resolve_weights(spec) for spec in specs]
    first = sources[0]
    for resolved in sources[1:]:
        if resolved.config != first.config:
            raise UserError(
                f"{resolved.label}: architecture {resolved.config.to_json()} differs from "
                f"{first.label}'s {first.config.to_json()}"
            )
    model = AHDRNet(first.config)
    totals = {
        name: torch.zeros_like(t, dtype=torch.float64) for name, t in model.state_dict().items()
    }
    for resolved in sources:
        load_weights(model, resolved)
        for name, tensor in model.state_dict().items():
            totals[name] += tensor.double()
    state = {name: (total / len(specs)).float() for name, total in totals.items()}
    return state, first.config


def check_weights_name(path: str | Path) -> None:
    """Only a ``.safetensors`` name: a ``.pt`` name would promise a pickle."""
    if Path(path).suffix != WEIGHTS_SUFFIX:
        raise UserError(f"{path}: weights are written as safetensors; end the name in .safetensors")


def _check_names_and_shapes(
    expected: Mapping[str, tuple[int, ...]],
    available: Mapping[str, tuple[int, ...]],
    prefix: str,
    origin: str,
) -> None:
    for name, shape in expected.items():
        if name not in available:
            raise UserError(f"{origin}: missing tensor {name!r}")
        if available[name] != shape:
            raise UserError(
                f"{origin}: tensor {name!r} has shape {available[name]}, the model expects {shape}"
            )
    unexpected = sorted(
        name for name in available if name.startswith(prefix) and name not in expected
    )
    if unexpected:
        raise UserError(f"{origin}: unexpected tensor {unexpected[0]!r}")


def _shapes(handle: Any) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of an open safetensors file, without reading the data."""
    names = handle.keys()
    return {name: tuple(handle.get_slice(name).get_shape()) for name in names}


def _open(path: Path, read: Callable[[Any], T]) -> T:
    """Run ``read`` on an open safetensors file, turning I/O and format errors into UserError."""
    if not path.is_file():
        raise UserError(f"weights file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return read(handle)
    except (SafetensorError, OSError) as error:
        raise UserError(f"{path}: not a readable safetensors file ({error})") from None
