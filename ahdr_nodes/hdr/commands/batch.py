"""``ahdr batch``: one graph over many scenes, locally or on a Dask cluster."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from ahdr_nodes import (
    STATUSES,
    GraphSpec,
    Job,
    JobResult,
    UserError,
    atomic_output,
    check_not_input,
    check_not_inputs,
    check_scheduler,
    check_writable,
    load_graph,
    parse_overrides,
    prepare,
    remove_stale_temps,
    resolve_graph_path,
    run_batch,
)
from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.io.hdr_files import HDR_SUFFIXES, read_hdr
from ahdr_nodes.hdr.io.ldr_files import read_ldr
from ahdr_nodes.hdr.scenes import BracketFiles, discover_scenes

# Graph inputs a batch fills per scene: the output file names under OUTPUT_DIR.
OUTPUT_NAMES = {"output": "{name}.exr", "preview": "{name}_preview.png"}
REQUIRED_INPUTS = ("frames", "output")


def scene_job(
    scene: BracketFiles,
    output_dir: Path,
    spec: GraphSpec,
    overwrite: bool,
    extra: Mapping[str, Any] | None = None,
) -> Job:
    """The job for one scene: the ``extra`` inputs, the scene's, its output names."""
    inputs = {**(extra or {}), **scene.inputs()}
    outputs = {}
    for graph_input, pattern in OUTPUT_NAMES.items():
        if graph_input in spec.graph_inputs:
            path = str(output_dir / pattern.format(name=scene.name))
            inputs[graph_input] = path
            for target in spec.graph_inputs[graph_input]:
                outputs[target.partition(".")[0]] = path
    if overwrite and "overwrite" in spec.graph_inputs:
        inputs["overwrite"] = True
    return Job(scene.name, inputs, outputs, overwrite=overwrite)


def output_valid(path: Path) -> bool:
    """True when ``path`` exists and decodes as the image its suffix promises."""
    try:
        if path.suffix.lower() in HDR_SUFFIXES:
            read_hdr(path)
        else:
            read_ldr(path)
    except UserError:
        return False
    return True


def plan_jobs(jobs: list[Job], resume: bool, overwrite: bool) -> tuple[list[Job], list[JobResult]]:
    """Split jobs into those to run and those settled already (skipped or failed).

    Without --resume or --overwrite an existing output stops the whole batch
    before any work. With --resume a scene whose outputs all exist and decode is
    skipped; one with an output that exists but does not decode is failed (only
    --overwrite replaces files); the rest run and make only what is missing.
    """
    if overwrite:
        return jobs, []
    existing = [Path(p) for job in jobs for p in job.outputs.values() if Path(p).exists()]
    if existing and not resume:
        raise UserError(
            f"{existing[0]}: already exists ({len(existing)} outputs in all); "
            "pass --resume to keep them or --overwrite to replace them"
        )
    todo, settled = [], []
    for job in jobs:
        files = [Path(p) for p in dict.fromkeys(job.outputs.values())]
        broken = [p for p in files if p.exists() and not output_valid(p)]
        if broken:
            message = (
                f"{broken[0]}: exists but is not a valid image (pass --overwrite to replace it)"
            )
            settled.append(JobResult(job.name, "failed", error=message, attempts=0))
        elif files and all(p.exists() for p in files):
            settled.append(
                JobResult(job.name, "skipped", outputs=list(map(str, files)), attempts=0)
            )
        else:
            todo.append(job)
    return todo, settled


def batch_inputs(source: Path, scenes: list[BracketFiles]) -> list[Path]:
    """Every file a batch reads: a manifest ``source``, each scene's frames and exposure file."""
    files = [p for scene in scenes for p in (*scene.frames, scene.exposure_file) if p]
    return [source, *files]


def report_paths(json_path: Path, inputs: list[Path], replace: bool) -> list[Path]:
    """The report's JSON and CSV paths, checked before any work: a .json name, not
    an existing file unless ``replace`` (--resume or --overwrite), never one of
    the batch's ``inputs``."""
    if json_path.suffix.lower() != ".json":
        raise UserError(f"--report {json_path}: expected a path ending in .json")
    paths = [json_path, json_path.with_suffix(".csv")]
    for path in paths:
        check_not_input(path, inputs)
        check_writable(path, replace)
    return paths


def write_reports(results: list[JobResult], paths: list[Path], replace: bool) -> None:
    """Write the per-scene report (paths from report_paths) as JSON and CSV, atomically."""
    json_path, csv_path = paths
    rows = [result.to_json() for result in sorted(results, key=lambda r: r.name)]
    with atomic_output(json_path, replace) as temp:
        temp.write_text(json.dumps(rows, indent=2) + "\n")
    fields = list(JobResult.__dataclass_fields__)
    with atomic_output(csv_path, replace) as temp, temp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "outputs": ";".join(row["outputs"])})


def _counts(results: list[JobResult]) -> dict[str, int]:
    return {status: sum(r.status == status for r in results) for status in STATUSES}


def _positional(arguments: tuple[str, ...]) -> tuple[str, Path, Path]:
    """GRAPH INPUT_DIR OUTPUT_DIR, or INPUT_DIR OUTPUT_DIR with the default graph."""
    if len(arguments) == 2:
        return DEFAULT_GRAPH, Path(arguments[0]), Path(arguments[1])
    if len(arguments) == 3:
        return arguments[0], Path(arguments[1]), Path(arguments[2])
    raise UserError(f"expected [GRAPH] INPUT_DIR OUTPUT_DIR, got {len(arguments)} arguments")


@click.command()
@click.argument("arguments", nargs=-1, metavar="[GRAPH] INPUT_DIR OUTPUT_DIR")
@click.option("--pattern", default="*", show_default=True, help="Glob for frame file names.")
@click.option("--group-size", type=int, help="Loose frames: this many consecutive files a bracket.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (processes).",
)
@click.option(
    "--scheduler",
    default="processes",
    show_default=True,
    help="local (this process), processes, or dask://HOST:PORT.",
)
@click.option("--resume", is_flag=True, help="Skip scenes whose outputs exist and are valid.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NODE.PARAM=VALUE",
    help="Override a param for every scene (as in `ahdr run`). Repeatable.",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Report path (.json; a .csv goes beside it). Default: OUTPUT_DIR/batch_report.json",
)
def batch(
    arguments: tuple[str, ...],
    pattern: str,
    group_size: int | None,
    workers: int,
    scheduler: str,
    resume: bool,
    overwrite: bool,
    overrides: tuple[str, ...],
    report: Path | None,
) -> None:
    """Run GRAPH (default: the best measured) on every scene in INPUT_DIR, into OUTPUT_DIR.

    INPUT_DIR holds Kalantari-style scene folders (frames + exposure.txt), or
    loose frames (grouped by EXIF capture time, or by --group-size), or it is a
    CSV/YAML manifest. The graph must declare the inputs `frames` and `output`
    (and may declare `ev`, `times`, `exposure_file`, `preview`, `overwrite`).
    Exit status 2 when any scene failed; the report says which and why.
    """
    graph, input_dir, output_dir = _positional(arguments)
    check_scheduler(scheduler)
    graph_path = resolve_graph_path(graph)
    spec = load_graph(graph_path)
    missing = [name for name in REQUIRED_INPUTS if name not in spec.graph_inputs]
    if missing:
        raise UserError(
            f"{graph_path}: a batch graph must declare inputs "
            f"{', '.join(missing)} (see docs/batch.md)"
        )
    scenes = discover_scenes(input_dir, pattern, group_size)
    extra = parse_overrides(overrides)
    jobs = [scene_job(scene, output_dir, spec, overwrite, extra) for scene in scenes]
    prepare(graph_path, jobs[0].inputs)  # a graph error fails once, before any work
    inputs = batch_inputs(input_dir, scenes)
    # one scene's output onto another scene's frame: each job alone cannot see it
    check_not_inputs((p for job in jobs for p in job.outputs.values()), inputs)
    todo, results = plan_jobs(jobs, resume, overwrite)
    reports = report_paths(report or output_dir / "batch_report.json", inputs, resume or overwrite)
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(p for job in jobs for p in job.outputs.values())
    bar = tqdm(
        total=len(jobs),
        initial=len(results),
        unit="scene",
        desc="batch",
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )
    bar.set_postfix(_counts(results))
    start = time.perf_counter()

    def record(result: JobResult) -> None:
        results.append(result)
        bar.set_postfix(_counts(results))
        bar.update(1)
        if result.status == "failed":
            tqdm.write(f"failed: {result.name}: {result.error}", file=sys.stderr)

    interrupted = False
    try:
        run_batch(graph_path, todo, scheduler, workers, record)
    except KeyboardInterrupt:  # Ctrl-C: scenes in flight were cancelled; report the rest
        interrupted = True
    finally:
        bar.close()
    # a worker killed mid-write leaves its temporary file; nothing writes any more
    remove_stale_temps(p for job in todo for p in job.outputs.values())
    elapsed = time.perf_counter() - start
    write_reports(results, reports, resume or overwrite)
    counts = _counts(results)
    if interrupted:
        raise KeyboardInterrupt(
            f"{counts['done']} done, {counts['failed']} failed of {len(jobs)} scenes; "
            f"report: {reports[0]}; --resume runs the rest"
        )
    rate = 60 * counts["done"] / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"{counts['done']} done, {counts['failed']} failed, {counts['skipped']} skipped "
        f"of {len(jobs)} scenes in {elapsed:.1f} s ({rate:.1f} scenes/min); "
        f"report: {reports[0]}"
    )
    if counts["failed"]:
        raise UserError(f"{counts['failed']} of {len(jobs)} scenes failed (see the report)")
