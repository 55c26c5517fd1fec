"""``ahdr batch``: one graph over many scenes, locally or on a Dask cluster."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import click
from tqdm import tqdm

from ahdr_nodes.cli.main import resolve_graph_path
from ahdr_nodes.core.batch import Job, JobResult, run_batch
from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.graph_file import load_graph_file
from ahdr_nodes.core.runner import prepare
from ahdr_nodes.hdr.io.atomic import atomic_output
from ahdr_nodes.hdr.io.hdr_files import read_hdr
from ahdr_nodes.hdr.io.ldr_files import read_ldr
from ahdr_nodes.hdr.scenes import Scene, discover_scenes

OUTPUT_NAMES = {"output": "{name}.exr", "preview": "{name}_preview.png"}


def scene_job(scene: Scene, output_dir: Path, declared: set[str], overwrite: bool) -> Job:
    """The job for one scene: its inputs, plus output names under ``output_dir``."""
    overrides = scene.overrides()
    outputs = []
    for graph_input, pattern in OUTPUT_NAMES.items():
        if graph_input in declared:
            path = output_dir / pattern.format(name=scene.name)
            overrides.append(f"{graph_input}={json.dumps(str(path))}")
            outputs.append(str(path))
    if overwrite and "overwrite" in declared:
        overrides.append("overwrite=true")
    return Job(scene.name, overrides, outputs)


def outputs_valid(job: Job) -> bool:
    """True when every output exists and decodes: such a scene can be skipped."""
    for output in job.outputs:
        path = Path(output)
        try:
            if path.suffix.lower() in {".exr", ".hdr"}:
                read_hdr(path)
            else:
                read_ldr(path)
        except UserError:
            return False
    return bool(job.outputs)


def write_reports(results: list[JobResult], json_path: Path) -> Path:
    """Write the per-scene report as JSON and CSV (atomically); return the CSV path."""
    rows = [result.to_json() for result in sorted(results, key=lambda r: r.name)]
    with atomic_output(json_path, overwrite=True) as temp:
        temp.write_text(json.dumps(rows, indent=2))
    csv_path = json_path.with_suffix(".csv")
    with atomic_output(csv_path, overwrite=True) as temp, temp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["name"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "outputs": ";".join(row["outputs"])})
    return csv_path


@click.command()
@click.argument("graph")
@click.argument("input_dir", type=click.Path(path_type=Path))
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option("--pattern", default="*", show_default=True, help="Glob for frame file names.")
@click.option("--group-size", type=int, help="Loose frames: this many consecutive files a bracket.")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@click.option(
    "--scheduler",
    default="processes",
    show_default=True,
    help="local (this process), processes, or dask://HOST:PORT.",
)
@click.option("--resume", is_flag=True, help="Skip scenes whose outputs exist and are valid.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Report path (.json; a .csv goes beside it). Default: OUTPUT_DIR/batch_report.json",
)
def batch(
    graph: str,
    input_dir: Path,
    output_dir: Path,
    pattern: str,
    group_size: int | None,
    workers: int,
    scheduler: str,
    resume: bool,
    overwrite: bool,
    report: Path | None,
) -> None:
    """Run GRAPH on every scene in INPUT_DIR, writing results to OUTPUT_DIR.

    INPUT_DIR holds Kalantari-style scene folders (frames + exposure.txt), or
    loose frames (grouped by EXIF capture time, or by --group-size), or it is a
    CSV/YAML manifest. The graph must declare the inputs `frames` and `output`.
    """
    graph_path = resolve_graph_path(graph)
    declared = set(load_graph_file(graph_path).graph_inputs)
    missing = {"frames", "output"} - declared
    if missing:
        raise UserError(
            f"{graph_path}: a batch graph must declare inputs "
            f"{', '.join(sorted(missing))} (see docs/graph-format.md)"
        )
    scenes = discover_scenes(input_dir, pattern, group_size)
    output_dir.mkdir(parents=True, exist_ok=True)
    jobs = [scene_job(scene, output_dir, declared, overwrite) for scene in scenes]
    prepare(graph_path, jobs[0].overrides)  # a graph error fails once, before any work
    results: list[JobResult] = []
    todo = []
    for job in jobs:
        if resume and not overwrite and outputs_valid(job):
            results.append(JobResult(job.name, "skipped", outputs=job.outputs, attempts=0))
        else:
            todo.append(job)
    bar = tqdm(
        total=len(jobs),
        initial=len(results),
        unit="scene",
        desc="batch",
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )
    start = time.perf_counter()

    def record(result: JobResult) -> None:
        results.append(result)
        counts = {s: sum(r.status == s for r in results) for s in ("done", "failed", "skipped")}
        bar.set_postfix(counts)
        bar.update(1)
        if result.status == "failed":
            tqdm.write(f"failed: {result.name}: {result.error}", file=sys.stderr)

    try:
        run_batch(graph_path, todo, scheduler, workers, record)
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    csv_path = write_reports(results, report or output_dir / "batch_report.json")
    done = sum(r.status == "done" for r in results)
    failed = sum(r.status == "failed" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    rate = 60 * done / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"{done} done, {failed} failed, {skipped} skipped of {len(jobs)} scenes in "
        f"{elapsed:.1f} s ({rate:.1f} scenes/min); report: {csv_path.with_suffix('.json')}"
    )
    if failed:
        raise UserError(f"{failed} of {len(jobs)} scenes failed (see the report)")
