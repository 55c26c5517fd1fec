"""Scoring merge graphs against ground truth on Kalantari-layout scenes (``ahdr eval``).

Each graph runs on each scene with its declared inputs ``frames`` and
``exposure_file`` pointed at the scene, but only up to its HDR result: the node
behind the declared output ``hdr`` (or, when that is a writer, the node that
feeds it), so nothing is written. The result is scored with PSNR-mu, PSNR-L and
SSIM-mu against the scene's HDRImg.hdr (see metrics.py), and the means are
reported over all scenes and, where the scenes record it, over static and
dynamic scenes apart.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ahdr_nodes import (
    Executor,
    Plugins,
    PortRef,
    UserError,
    ValidGraph,
    compatible,
    get_plugins,
    load_graph,
    prepare,
)
from ahdr_nodes.hdr.data.kalantari import Scene, list_scenes, read_scene
from ahdr_nodes.hdr.io.ldr_files import write_ldr
from ahdr_nodes.hdr.metrics import psnr_l, psnr_mu, ssim_mu
from ahdr_nodes.hdr.scene_folder import EXPOSURE_FILE, scene_frame_paths
from ahdr_nodes.hdr.sheet import contact_sheet
from ahdr_nodes.hdr.types import HDRImage

METRICS = ("psnr_mu", "psnr_l", "ssim_mu")
METRIC_LABELS = {"psnr_mu": "PSNR-mu", "psnr_l": "PSNR-L", "ssim_mu": "SSIM-mu"}
# Exposure sources that outrank exposure_file: cleared so the scene's exposures win.
HIGHER_EXPOSURE_INPUTS = ("times", "ev")


@dataclass(frozen=True)
class Score:
    """One graph on one scene. ``dynamic`` is None when the scene does not say;
    ``subsets``: the subsets the scene belongs to besides ``all`` (scene_subsets)."""

    graph: str
    scene: str
    dynamic: bool | None
    psnr_mu: float
    psnr_l: float
    ssim_mu: float
    seconds: float
    subsets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    """Means over the scenes of a subset (``all``, or one of scene_subsets)."""

    graph: str
    subset: str
    scenes: int
    psnr_mu: float
    psnr_l: float
    ssim_mu: float
    seconds: float


def hdr_port(valid: ValidGraph) -> PortRef:
    """The port that carries the graph's HDR result.

    The declared output ``hdr`` when it is an HDRImage; when it is a writer's
    output (``save.written``), the single HDRImage that feeds that writer.
    """
    source = valid.spec.source
    ref = PortRef.parse(valid.spec.graph_outputs.get("hdr"))
    if ref is None:
        raise UserError(f"{source}: declares no `hdr` output (an HDR result) to evaluate")

    def carries_hdr(port: PortRef) -> bool:
        return compatible(valid.classes[port.node].outputs[port.port].type, HDRImage)

    if carries_hdr(ref):
        return ref
    feeds = [up for up in valid.upstream(ref.node).values() if carries_hdr(up)]
    if len(feeds) != 1:
        raise UserError(f"{source}: output `hdr` ({ref}) is not fed by exactly one HDR image")
    return feeds[0]


def scene_inputs(folder: Path, declared: set[str], graph: Path) -> dict[str, Any]:
    """Values for a graph's declared inputs that point it at a scene folder."""
    missing = {"frames", "exposure_file"} - declared
    if missing:
        raise UserError(
            f"{graph}: an evaluated graph must declare inputs {', '.join(sorted(missing))}"
        )
    frames = [str(path) for path in scene_frame_paths(folder)]
    inputs: dict[str, Any] = {"frames": frames, "exposure_file": str(folder / EXPOSURE_FILE)}
    inputs.update((name, None) for name in HIGHER_EXPOSURE_INPUTS if name in declared)
    return inputs


def scene_subsets(scene: Scene) -> tuple[str, ...]:
    """The subsets a scene is reported in, from what its synthetic.json records: motion
    (static/dynamic), tone-curve family, EV spacing and bit depth (or JPEG)."""
    subsets = []
    if scene.dynamic is not None:
        subsets.append("dynamic" if scene.dynamic else "static")
    metadata = scene.metadata
    if metadata.get("curve"):
        subsets.append(f"curve {metadata['curve']}")
    gaps = metadata.get("ev_gaps")
    if gaps:
        subsets.append(f"ev {gaps[0]:g}" if len(set(gaps)) == 1 else "ev uneven")
    if metadata.get("jpeg_quality"):
        subsets.append("jpeg 8-bit")
    elif metadata.get("bits"):
        subsets.append(f"{metadata['bits']}-bit")
    return tuple(subsets)


def score_scene(
    label: str, graph: Path, scene: Scene, plugins: Plugins
) -> tuple[Score, np.ndarray]:
    """Run ``graph`` on ``scene`` up to its HDR result and score it against the ground
    truth; return the score and the HDR result."""
    if scene.ground_truth is None:
        raise UserError(f"{scene.path}: no HDRImg.hdr ground truth to evaluate against")
    declared = set(load_graph(graph).graph_inputs)
    start = time.perf_counter()
    try:
        valid = prepare(graph, scene_inputs(scene.path, declared, graph), plugins)
        port = hdr_port(valid)
        result = Executor(plugins.hook).run(valid, [port.node])[str(port)]
        prediction = result.data
        seconds = time.perf_counter() - start
        values = {
            "psnr_mu": psnr_mu(prediction, scene.ground_truth),
            "psnr_l": psnr_l(prediction, scene.ground_truth),
            "ssim_mu": ssim_mu(prediction, scene.ground_truth),
        }
    except UserError as error:
        raise UserError(f"{label} on scene {scene.path}: {error}") from None
    subsets = scene_subsets(scene)
    return Score(label, scene.name, scene.dynamic, seconds=seconds, subsets=subsets, **values), (
        prediction
    )


def evaluate(
    data_dir: str | os.PathLike[str],
    graphs: Mapping[str, Path],
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    sheets: Path | None = None,
) -> list[Score]:
    """Score every graph (label -> graph file) on the first ``limit`` scenes of ``data_dir``.

    Scenes are read once each and run through every graph; ``progress(done,
    total)`` follows each graph-on-scene run. With ``sheets``, a contact sheet per
    scene (the frames, each graph's mu-law result with its PSNR-mu, the ground
    truth) is written there as SCENE.png; an existing sheet is never replaced.
    """
    if not graphs:
        raise UserError("no graph to evaluate (give --graph at least once)")
    folders = list_scenes(data_dir)[:limit]
    plugins = get_plugins()
    total = len(folders) * len(graphs)
    scores = []
    if sheets is not None:
        sheets.mkdir(parents=True, exist_ok=True)
        planned = [sheets / f"{folder.name}.png" for folder in folders]
        clash = next((path for path in planned if path.exists()), None)
        if clash is not None:
            raise UserError(f"{clash}: contact sheet exists; choose another --sheets folder")
    scores = []
    for folder in folders:
        scene = read_scene(folder)
        results = []
        for label, graph in graphs.items():
            score, prediction = score_scene(label, graph, scene, plugins)
            scores.append(score)
            results.append((f"{label} {score.psnr_mu:.2f} dB", prediction))
            if progress is not None:
                progress(len(scores), total)
        if sheets is not None and scene.ground_truth is not None:
            sheet = contact_sheet(scene.bracket.frames, results, scene.ground_truth)
            write_ldr(sheets / f"{folder.name}.png", sheet)
    return scores


def summarise(scores: Sequence[Score]) -> list[Summary]:
    """Per graph: means over all scenes, then over each subset the scenes record
    (static/dynamic, curve family, EV spacing, bit depth), in a fixed order."""
    summaries = []
    names = sorted({name for score in scores for name in score.subsets}, key=_subset_order)
    for graph in dict.fromkeys(score.graph for score in scores):
        mine = [score for score in scores if score.graph == graph]
        subsets = {"all": mine} | {
            name: [score for score in mine if name in score.subsets] for name in names
        }
        for subset, members in subsets.items():
            if members:
                means = {
                    name: math.fsum(getattr(s, name) for s in members) / len(members)
                    for name in (*METRICS, "seconds")
                }
                summaries.append(Summary(graph, subset, len(members), **means))
    return summaries


def format_report(scores: Sequence[Score], summaries: Sequence[Summary]) -> str:
    """The per-scene table, then the table of means, as aligned plain text."""
    headers = [METRIC_LABELS[name] for name in METRICS]
    scene_rows = [
        [s.scene, _motion(s.dynamic), s.graph, *_metric_cells(s), f"{s.seconds:.2f}"]
        for s in scores
    ]
    mean_rows = [
        [m.graph, m.subset, str(m.scenes), *_metric_cells(m), f"{m.seconds:.2f}"] for m in summaries
    ]
    return "\n".join(
        [
            "Per scene",
            _table(["scene", "motion", "graph", *headers, "seconds"], scene_rows, 3),
            "",
            "Mean over scenes",
            _table(["graph", "subset", "scenes", *headers, "seconds"], mean_rows, 2),
        ]
    )


def report_json(
    data_dir: str | os.PathLike[str],
    graphs: Mapping[str, Path],
    scores: Sequence[Score],
    summaries: Sequence[Summary],
) -> dict[str, Any]:
    """Everything ``format_report`` shows, for ``--json``."""
    return {
        "data_dir": str(data_dir),
        "graphs": {label: str(path) for label, path in graphs.items()},
        "scenes": [asdict(score) for score in scores],
        "summary": [asdict(summary) for summary in summaries],
    }


def _subset_order(name: str) -> tuple[int, str]:
    """static/dynamic first, then curves, EV spacings, depths; alphabetical within."""
    families = ("static", "dynamic", "curve", "ev", "jpeg")
    first = name.split()[0]
    rank = families.index(first) if first in families else len(families)
    return rank, name


def _metric_cells(row: Score | Summary) -> list[str]:
    return [f"{row.psnr_mu:.2f}", f"{row.psnr_l:.2f}", f"{row.ssim_mu:.4f}"]


def _motion(dynamic: bool | None) -> str:
    return "-" if dynamic is None else ("dynamic" if dynamic else "static")


def _table(headers: list[str], rows: list[list[str]], text_columns: int) -> str:
    """The first ``text_columns`` columns left-aligned, the numbers after them right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if index < text_columns else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])
