"""``ahdr demo``: a bracket with motion, synthesised from a bundled real HDR photo,
merged by AHDRNet and the classical baselines, scored against its ground truth.

Everything runs through the same graph files as ``ahdr run``/``ahdr merge``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ahdr_nodes import PortRef, execute, load_graph, prepare, resolve_graph_path
from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.data.kalantari import read_scene, write_scene
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.evaluate import hdr_port, scene_inputs
from ahdr_nodes.hdr.io import write_ldr
from ahdr_nodes.hdr.metrics import psnr_l, psnr_mu, ssim_mu
from ahdr_nodes.hdr.sheet import contact_sheet

# (label, graph, whether the graph takes weights)
METHODS = (
    ("AHDRNet", "ahdrnet_attention", True),
    ("Default", DEFAULT_GRAPH, True),
    ("DebevecMerge", "debevec", False),
    ("ReferenceOnly", "reference_only", False),
)
MAX_DRAWS = 50


@dataclass
class MethodResult:
    label: str
    hdr_path: Path
    preview_path: Path
    psnr_mu: float
    psnr_l: float
    ssim_mu: float
    hdr: np.ndarray


def synthesise_scene(folder: Path, seed: int, size: tuple[int, int]) -> Path:
    """Write the first example with moving objects for ``seed`` as a scene folder."""
    sources = load_sources(bundled_hdri_files())
    config = SynthConfig(size=size)
    for index in range(MAX_DRAWS):
        example = synthesise_example(sources, example_rng(seed, index), config)
        if example.dynamic and example.metadata.get("objects", 0):
            break
    return write_scene(folder, example, overwrite=True, seed=seed, index=index)


def run_method(
    label: str,
    graph_name: str,
    takes_weights: bool,
    scene_dir: Path,
    out_dir: Path,
    weights: str,
    ground_truth: np.ndarray,
) -> MethodResult:
    """Run one merge graph on the scene, writing its EXR and preview."""
    graph = resolve_graph_path(graph_name)
    declared = set(load_graph(graph).graph_inputs)
    stem = label.lower()
    hdr_path, preview_path = out_dir / f"{stem}.exr", out_dir / f"{stem}.png"
    inputs = scene_inputs(scene_dir, declared, graph)
    inputs.update(output=str(hdr_path), preview=str(preview_path), overwrite=True)
    if "attention_sheet" in declared:
        inputs["attention_sheet"] = str(out_dir / "attention.png")
    if takes_weights:
        inputs["weights"] = weights
    valid = prepare(graph, inputs)
    port = hdr_port(valid)
    targets = [PortRef.parse(text).node for text in valid.spec.graph_outputs.values()]
    results, _ = execute(valid, [*dict.fromkeys([*targets, port.node])], quiet=True)
    prediction = results[str(port)].data
    return MethodResult(
        label,
        hdr_path,
        preview_path,
        psnr_mu(prediction, ground_truth),
        psnr_l(prediction, ground_truth),
        ssim_mu(prediction, ground_truth),
        prediction,
    )


def run_demo(
    out_dir: Path, weights: str, seed: int, size: tuple[int, int], report: Callable[[str], None]
) -> list[MethodResult]:
    """Synthesise, merge with every method, score, and write the sheet."""
    scene_dir = synthesise_scene(out_dir / "scene", seed, size)
    scene = read_scene(scene_dir)
    report(f"bracket: {scene_dir} ({size[1]}x{size[0]}, moving objects, seed {seed})")
    results = [
        run_method(label, graph, takes_weights, scene_dir, out_dir, weights, scene.ground_truth)
        for label, graph, takes_weights in METHODS
    ]
    attention_path = out_dir / "attention.png"
    attention = (
        cv2.imread(str(attention_path))[..., ::-1] / 255.0 if attention_path.exists() else None
    )
    labelled = [(f"{r.label} {r.psnr_mu:.2f} dB", r.hdr) for r in results]
    sheet = contact_sheet(scene.bracket.frames, labelled, scene.ground_truth, attention)
    write_ldr(out_dir / "sheet.png", sheet, overwrite=True)
    return results
