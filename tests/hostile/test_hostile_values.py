"""Classes 4 and 6: values that would write garbage (NaN, all zeros) or blow up
memory are refused with exit 2, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hostile_support import assert_refused, snapshot

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.node import NodeContext
from ahdr_nodes.hdr.model.config import AHDRNetConfig
from ahdr_nodes.hdr.model.weights import random_weights, write_weights
from ahdr_nodes.hdr.nodes.save import SaveHDR
from ahdr_nodes.hdr.types import HDRImage


def _merge(ahdr, frames: list[Path], *args: str):
    out = frames[0].parent.parent / "o.exr"
    return ahdr("merge", *map(str, frames), "-o", str(out), *args)


@pytest.mark.parametrize("ev", ["-2000,0,2", "0,1000,1030", "-1000,0,1000"])
def test_exposures_beyond_a_physical_range_are_refused(
    ahdr, tmp_path: Path, frames: list[Path], ev: str
) -> None:
    before = snapshot(tmp_path)
    result = _merge(ahdr, frames, "--graph", "debevec", "--ev", ev)
    assert_refused(result.code, result.err, "stops apart")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("setting", "culprit"),
    [("linearise.gamma=.nan", "gamma"), ("tonemap.mu=.inf", "mu"), ("tonemap.mu=-.inf", "mu")],
)
def test_non_finite_params_are_refused_when_validated(
    ahdr, tmp_path: Path, setting: str, culprit: str
) -> None:
    result = ahdr("validate", "debevec", "--set", setting)
    assert result.code == 2
    assert culprit in result.err and "expected a finite float" in result.err


def test_weights_holding_nan_are_refused_at_load(ahdr, tmp_path: Path, frames: list[Path]) -> None:
    state = {name: torch.full_like(t, float("nan")) for name, t in random_weights().tensors.items()}
    weights = tmp_path / "nan.safetensors"
    write_weights(state, AHDRNetConfig(), weights)
    before = snapshot(tmp_path)
    result = _merge(ahdr, frames, "--ev", "-2,0,2", "--weights", str(weights))
    assert_refused(result.code, result.err, "holds NaN or infinite values")
    assert snapshot(tmp_path) == before


def test_weights_metadata_is_checked_against_the_tensors_before_building(
    ahdr, tmp_path: Path, frames: list[Path]
) -> None:
    # a real, small file whose metadata claims a network too big to build
    weights = tmp_path / "huge.safetensors"
    write_weights(random_weights().tensors, AHDRNetConfig(features=1000), weights)
    before = snapshot(tmp_path)
    result = _merge(ahdr, frames, "--ev", "-2,0,2", "--weights", str(weights))
    assert_refused(result.code, result.err, f"{weights}: tensor")
    assert "the model expects" in result.err
    assert snapshot(tmp_path) == before


def test_a_result_with_non_finite_pixels_is_not_written(tmp_path: Path) -> None:
    node = SaveHDR("save", path=tmp_path / "o.exr")
    data = np.ones((4, 4, 3), np.float32)
    data[0, 0, 1] = np.nan
    with pytest.raises(UserError, match="o.exr: not written, node 'save' received 1 NaN"):
        node.run(NodeContext("save"), HDRImage(data))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_blocks", 100_000), ("n_layers", 10_000), ("dilation", 10**9), ("features", 2**31)],
)
def test_weights_metadata_beyond_any_real_network_is_refused_at_once(
    ahdr, tmp_path: Path, frames: list[Path], field: str, value: int
) -> None:
    # the fuzz found these: 100,000 blocks took minutes to build even on the meta
    # device, 2**31 features overflowed it (exit 1), a dilation of 10**9 passed
    weights = tmp_path / "lying.safetensors"
    write_weights(random_weights().tensors, AHDRNetConfig(), weights)
    data = weights.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    config = json.loads(header["__metadata__"]["ahdrnet_config"])
    header["__metadata__"]["ahdrnet_config"] = json.dumps({**config, field: value})
    text = json.dumps(header).encode()
    weights.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + length :])
    before = snapshot(tmp_path)
    result = _merge(ahdr, frames, "--ev", "-2,0,2", "--weights", str(weights))
    assert_refused(result.code, result.err, f"{weights}: AHDRNet config: {field} must be at most")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("setting", "culprit"),
    [("tonemap.mu=1.0e+308", "'mu': expected <= "), ("tonemap.exposure=1.0e+300", "'exposure'")],
)
def test_finite_but_absurd_tonemap_params_are_refused(ahdr, setting: str, culprit: str) -> None:
    # mu = 1e308 made every preview pixel NaN; an exposure of 1e300 stops, all white
    result = ahdr("validate", "debevec", "--set", setting)
    assert_refused(result.code, result.err, culprit)
