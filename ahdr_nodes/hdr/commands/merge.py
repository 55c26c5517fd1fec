"""``ahdr merge``: the one-command main job, running a graph file on one bracket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ahdr_nodes import (
    GraphSpec,
    UserError,
    execute,
    get_plugins,
    load_graph,
    prepare,
    resolve_graph_path,
)
from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.io import HDR_SUFFIXES, LDR_SUFFIXES
from ahdr_nodes.hdr.scenes import BracketFiles, scene_from_folder

EIGHT_BIT_SUFFIXES = (".jpg", ".jpeg")


def _numbers(values: tuple[str, ...], option: str) -> list[float] | None:
    """``--ev -2,0,2`` or ``--ev -2 --ev 0 --ev 2`` -> [-2.0, 0.0, 2.0]."""
    if not values:
        return None
    try:
        return [float(part) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"{option} {','.join(values)}: expected numbers") from None


def output_plan(
    spec: GraphSpec, graph: Path, output: Path, preview: Path | None
) -> tuple[dict[str, str | None], dict[str, Any], list[str]]:
    """Where ``-o`` and ``--preview`` go: declared inputs to set, node params, targets.

    A graph with an ``hdr`` output writes ``-o`` as HDR (and ``--preview`` as a
    display image). A graph whose only image is a display one, such as exposure
    fusion, writes it to ``-o``: 16-bit for PNG and TIFF, 8-bit for JPEG.
    """
    suffix = output.suffix.lower()
    outputs = spec.graph_outputs
    if "hdr" in outputs:
        if suffix not in HDR_SUFFIXES:
            raise UserError(
                f"{output}: the graph {graph.stem} makes an HDR image; give -o an "
                f"{' or '.join(HDR_SUFFIXES)} path (a display image goes to --preview)"
            )
        wanted = [name for name in ("hdr", "preview") if name == "hdr" or preview is not None]
        targets = [outputs[name].split(".")[0] for name in wanted if name in outputs]
        paths = {"output": str(output), "preview": str(preview) if preview else None}
        return paths, {}, targets
    if "preview" not in outputs:
        raise UserError(f"{graph}: declares neither an 'hdr' nor a 'preview' output to write")
    if suffix not in LDR_SUFFIXES:
        raise UserError(
            f"{output}: the graph {graph.stem} makes a display image, not HDR; give -o a "
            f"{', '.join(LDR_SUFFIXES)} path"
        )
    if preview is not None:
        raise UserError(
            f"the graph {graph.stem} makes one display image, written to -o; leave out --preview"
        )
    writer = outputs["preview"].split(".")[0]
    node = spec.node(writer)
    node_class = get_plugins().registry.get(node.type) if node else None
    has_bits = node_class is not None and "bits" in node_class.params
    deep = has_bits and suffix not in EIGHT_BIT_SUFFIXES
    return {"preview": str(output)}, {f"{writer}.bits": 16} if deep else {}, [writer]


def merge_inputs(
    scene: BracketFiles,
    paths: dict[str, str | None],
    declared: set[str],
    settings: dict[str, Any],
    overwrite: bool,
) -> dict[str, Any]:
    """Values for the graph's declared inputs; refuse ones it lacks."""
    inputs = scene.inputs()
    wanted = {**paths, **settings}
    for name, value in wanted.items():
        if value is None:
            continue
        if name not in declared:
            raise UserError(
                f"the graph does not declare the input {name!r} "
                f"(it declares: {', '.join(sorted(declared))})"
            )
        inputs[name] = value
    if overwrite:
        inputs["overwrite"] = True
    return inputs


@click.command()
@click.argument("frames", nargs=-1, type=click.Path(path_type=Path))
@click.option("--ev", multiple=True, help="Exposure values in stops, e.g. --ev -2,0,2.")
@click.option(
    "--times", multiple=True, help="Exposure times in seconds, e.g. --times 0.01,0.04,0.16."
)
@click.option(
    "--exposure-file",
    type=click.Path(path_type=Path),
    help="A file with one EV per line (Kalantari exposure.txt).",
)
@click.option(
    "--scene",
    type=click.Path(path_type=Path),
    help="A Kalantari scene folder (.tif frames + exposure.txt) instead of FRAMES.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output image: .exr or .hdr for HDR graphs, .png/.tif (16-bit) or .jpg for fusion.",
)
@click.option("--preview", type=click.Path(path_type=Path), help="Also write a tonemapped preview.")
@click.option(
    "--graph",
    default=DEFAULT_GRAPH,
    show_default=True,
    help="Graph name or file (default: the best on held-out brackets, docs/results.md).",
)
@click.option("--weights", help="builtin, random (untrained, tests only) or a .safetensors file.")
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where the network runs."
)
@click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]))
@click.option(
    "--reference",
    type=click.IntRange(min=1),
    help="The reference frame, counted from the shortest exposure (default: the middle one).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def merge(
    frames: tuple[Path, ...],
    ev: tuple[str, ...],
    times: tuple[str, ...],
    exposure_file: Path | None,
    scene: Path | None,
    output: Path,
    preview: Path | None,
    graph: str,
    weights: str | None,
    device: str | None,
    dtype: str | None,
    reference: int | None,
    overwrite: bool,
) -> None:
    """Merge a bracket of FRAMES (any order) into one HDR image (or, with an
    exposure-fusion graph such as mertens, one display image).

    Exposures come from --times, --ev, --exposure-file or the frames' EXIF, in
    that order of precedence.
    """
    if scene is not None:
        if frames:
            raise UserError("give either FRAMES or --scene, not both")
        bracket = scene_from_folder(scene)
    elif len(frames) < 2:
        raise UserError(f"a bracket needs at least 2 frames, got {len(frames)}")
    else:
        bracket = BracketFiles("merge", list(frames))
    bracket.ev = _numbers(ev, "--ev") or bracket.ev
    bracket.times = _numbers(times, "--times") or bracket.times
    bracket.exposure_file = exposure_file or bracket.exposure_file
    graph_path = resolve_graph_path(graph)
    spec = load_graph(graph_path)
    settings = {
        "weights": weights,
        "device": device,
        "dtype": dtype,
        "reference": None if reference is None else reference - 1,
    }
    paths, node_settings, targets = output_plan(spec, graph_path, output, preview)
    inputs = merge_inputs(bracket, paths, set(spec.graph_inputs), settings, overwrite)
    execute(prepare(spec, {**inputs, **node_settings}), targets)
    click.echo(f"wrote {output}" + (f" and {preview}" if preview else ""))
