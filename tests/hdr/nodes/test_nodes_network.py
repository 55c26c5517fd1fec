"""AHDRNet as Attention and Merge nodes: equal to the monolithic model, tiled
exactly, loaded once per process, and reachable from `ahdr merge` and `ahdr demo`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ahdr_nodes import UserError
from ahdr_nodes.core.graph_file import GraphSpec, NodeSpec
from ahdr_nodes.core.node import NodeContext
from ahdr_nodes.core.runner import run_graph
from ahdr_nodes.hdr.bench_pipeline import random_stack
from ahdr_nodes.hdr.io import read_hdr, read_ldr, write_ldr
from ahdr_nodes.hdr.model import AHDRNet, load_weights, random_weights
from ahdr_nodes.hdr.nodes.attention_sheet import VisualiseAttention
from ahdr_nodes.hdr.nodes.model_cache import load_module
from ahdr_nodes.hdr.nodes.network import Attention, Merge
from ahdr_nodes.hdr.types import AttentionMaps, LinearStack

PARAMS = {"weights": "random", "device": "cpu"}


def stack(height: int = 24, width: int = 28, seed: int = 0) -> LinearStack:
    return random_stack(height, width, seed)


def run_nodes(linear: LinearStack, ctx: NodeContext | None = None, **params) -> np.ndarray:
    ctx = ctx or NodeContext("test")
    with torch.inference_mode():
        settings = {**PARAMS, **params}
        features = Attention("attention", **settings).run(ctx, linear)["features"]
        return Merge("merge", **settings).run(ctx, features)["hdr"].data


def test_graph_equals_monolithic_model():
    linear = stack()
    model = AHDRNet().eval()
    load_weights(model, random_weights())
    with torch.inference_mode():
        expected = model(linear.network_inputs().unsqueeze(0))[0].permute(1, 2, 0).numpy()
    actual = run_nodes(linear)
    assert actual.shape == (24, 28, 3) and actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_tiled_nodes_equal_untiled_and_report_tiles():
    linear = stack(200, 180, seed=1)
    untiled = run_nodes(linear)
    reports = []
    ctx = NodeContext("t", on_progress=lambda node, done, total, desc: reports.append(total))
    tiled = run_nodes(linear, ctx, memory_mb=96.0)  # a small budget forces tiles
    assert max(reports) > 1
    np.testing.assert_allclose(tiled, untiled, rtol=0, atol=1e-5)


def test_both_layouts_match():
    linear = stack()
    np.testing.assert_allclose(run_nodes(linear, layout="nchw"), run_nodes(linear), atol=1e-5)


def test_maps_only_when_read_and_sheet_has_a_row_per_frame():
    linear = stack()
    with torch.inference_mode():
        skipped = Attention("a", **PARAMS).run(
            NodeContext("a", wanted=frozenset({"features"})), linear
        )
        kept = Attention("a", **PARAMS).run(NodeContext("a"), linear)
    assert skipped["maps"] is None
    maps = kept["maps"]
    assert isinstance(maps, AttentionMaps) and len(maps.maps) == 2
    assert all(m.shape == (64, 24, 28) and m.min() >= 0 and m.max() <= 1 for m in maps.maps)
    sheet = VisualiseAttention("v", channels=3, gap=2).run(NodeContext("v"), maps)["sheet"].data
    assert sheet.shape == (2 * 24 + 2, 4 * 28 + 3 * 2, 3)
    np.testing.assert_allclose(sheet[:24, :28, 0], maps.maps[0].mean(0).numpy(), atol=1e-6)


def test_model_is_loaded_once_per_process():
    first, _ = load_module("merge", "random", torch.device("cpu"), torch.float32)
    again, _ = load_module("merge", "random", torch.device("cpu"), torch.float32)
    assert first is again


def test_a_model_loaded_inside_a_graph_run_has_ordinary_parameters():
    # Graphs run under inference mode; the cached module outlives the run, and the
    # fused kernels' weight cache reads each parameter's version counter.
    with torch.inference_mode():
        module, _ = load_module("merge", "random", torch.device("cpu"), torch.bfloat16)
    assert not any(p.is_inference() for p in module.parameters())


@pytest.mark.parametrize(
    "params, message",
    [
        ({"dtype": "bfloat16", "device": "cpu"}, "runs on CUDA only"),
        ({"weights": "no/such.safetensors"}, "weights file not found"),
    ],
)
def test_bad_network_params_are_user_errors(params, message):
    with pytest.raises(UserError, match=message):
        Attention("a", **{**PARAMS, **params}).run(NodeContext("a"), stack())


def test_two_frame_stack_is_refused():
    three = random_stack(8, 8)
    two = LinearStack(
        ldr=three.ldr[:2],
        linear=three.linear[:2],
        times=three.times[:2],
        reference=0,
    )
    with pytest.raises(UserError, match="exactly 3 frames"):
        Attention("a", **PARAMS).run(NodeContext("a"), two)


def test_builtin_weights_are_shipped_and_load():
    from ahdr_nodes.hdr.model.weights import BUILTIN_PATH, read_config

    assert BUILTIN_PATH.is_file()
    assert read_config(BUILTIN_PATH) == random_weights().config
    assert run_nodes(stack(), weights="builtin").shape == (24, 28, 3)


def write_bracket(folder, size=(40, 48)):
    rng = np.random.default_rng(0)
    radiance = rng.uniform(0.01, 1.0, (*size, 3)).astype(np.float32)
    paths = []
    for index, time in enumerate((1.0, 4.0, 16.0)):
        path = folder / f"frame{index}.png"
        write_ldr(path, np.clip(radiance * time * 0.25, 0, 1) ** (1 / 2.2), bits=16)
        paths.append(path)
    return paths


def test_ahdr_merge_end_to_end(tmp_path, ahdr):
    frames = write_bracket(tmp_path)
    out, preview = tmp_path / "out" / "merged.exr", tmp_path / "out" / "merged.png"
    result = ahdr(
        "merge",
        *map(str, frames[::-1]),
        "--ev",
        "-2,0,2",
        "-o",
        str(out),
        "--preview",
        str(preview),
        "--weights",
        "random",
        "--device",
        "cpu",
    )
    assert result.code == 0, result.err
    assert "UNTRAINED" in result.err  # random weights always say so
    hdr = read_hdr(out)
    assert hdr.shape == (40, 48, 3) and np.isfinite(hdr).all()
    assert read_ldr(preview)[0].shape == (40, 48, 3)
    again = ahdr(
        "merge", *map(str, frames), "--ev", "-2,0,2", "-o", str(out), "--weights", "random"
    )
    assert again.code == 2 and "already exists" in again.err


def test_ahdr_merge_graph_equals_monolithic(tmp_path):
    """Load -> Linearise -> Attention -> Merge gives the model's output on the same inputs."""
    frames = write_bracket(tmp_path)
    spec = GraphSpec(
        [
            NodeSpec("load", "LoadBracket", {"paths": [str(p) for p in frames], "ev": [-2, 0, 2]}),
            NodeSpec("linearise", "Linearise", {}, {"bracket": "load.bracket"}),
            NodeSpec("attention", "Attention", dict(PARAMS), {"stack": "linearise.stack"}),
            NodeSpec("merge", "Merge", dict(PARAMS), {"features": "attention.features"}),
        ]
    )
    results = run_graph(spec, targets=["linearise", "merge"])
    inputs = results["linearise.stack"].network_inputs()
    model = AHDRNet().eval()
    load_weights(model, random_weights())
    with torch.inference_mode():
        expected = model(inputs.unsqueeze(0))[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(results["merge.hdr"].data, expected, rtol=0, atol=1e-6)


def test_demo_writes_results_and_scores(tmp_path, ahdr):
    result = ahdr("demo", "--out", str(tmp_path), "--weights", "random", "--size", "64x48")
    assert result.code == 0, result.err
    for name in (
        "ahdrnet.exr",
        "ahdrnet.png",
        "default.exr",
        "debevecmerge.exr",
        "referenceonly.exr",
        "attention.png",
        "sheet.png",
    ):
        assert (tmp_path / name).is_file(), name
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[2:6]}
    assert set(rows) == {"AHDRNet", "Default", "DebevecMerge", "ReferenceOnly"}
    assert all(float(row[1]) > 0 for row in rows.values())
