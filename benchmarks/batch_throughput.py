"""Throughput of `ahdr batch` in scenes per minute: local processes vs a Dask LocalCluster.

Synthesises small scenes (seeded), then runs the same graph over them with 1
and 2 workers on each scheduler and prints a Markdown table. Wall time counts
from dispatch to the last result: for `processes` it includes spawning the
pool (every batch pays it); for Dask it includes connecting the client but
not starting the cluster (a cluster is a service that outlives batches; its
start-up is printed apart). "steady" leaves out start-up: scenes after the
first result divided by the time after it.

    .venv/bin/python benchmarks/batch_throughput.py [--graph graphs/debevec.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ahdr_nodes import JobResult, load_graph, run_batch
from ahdr_nodes.hdr.commands.batch import scene_job
from ahdr_nodes.hdr.data.kalantari import synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.scenes import discover_scenes

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Measurement:
    scheduler: str
    workers: int
    scenes: int
    wall_s: float
    steady_per_min: float
    graph_s_per_scene: float

    @property
    def per_min(self) -> float:
        return 60 * self.scenes / self.wall_s


def measure(
    graph: Path, scene_dir: Path, out_dir: Path, scheduler: str, workers: int
) -> Measurement:
    """Run one batch into an empty ``out_dir``; every scene must succeed."""
    spec = load_graph(graph)
    jobs = [scene_job(s, out_dir, spec, overwrite=False) for s in discover_scenes(scene_dir)]
    arrivals: list[float] = []
    results: list[JobResult] = []

    def record(result: JobResult) -> None:
        arrivals.append(time.perf_counter())
        results.append(result)

    start = time.perf_counter()
    run_batch(graph, jobs, scheduler, workers, record)
    wall = time.perf_counter() - start
    failed = [r for r in results if r.status != "done"]
    if failed:
        raise SystemExit(f"{scheduler}: scene {failed[0].name} failed: {failed[0].error}")
    steady = 60 * (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    label = "dask LocalCluster" if scheduler.startswith("dask://") else scheduler
    mean_graph = statistics.fmean(r.seconds for r in results)
    return Measurement(label, workers, len(jobs), wall, steady, mean_graph)


def on_local_cluster(
    graph: Path, scene_dir: Path, out_dir: Path, workers: int
) -> tuple[Measurement, float]:
    """Start a LocalCluster of ``workers`` single-threaded processes, measure, stop it."""
    from dask.distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        started = time.perf_counter() - start
        scheduler = f"dask://{cluster.scheduler_address}"
        return measure(graph, scene_dir, out_dir, scheduler, workers), started


def table(rows: list[Measurement]) -> str:
    lines = [
        "| scheduler | workers | scenes | wall s | scenes/min | steady scenes/min "
        "| graph s/scene |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in rows:
        lines.append(
            f"| {m.scheduler} | {m.workers} | {m.scenes} | {m.wall_s:.2f} | {m.per_min:.0f} "
            f"| {m.steady_per_min:.0f} | {m.graph_s_per_scene:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, default=ROOT / "graphs" / "debevec.yaml")
    parser.add_argument("--scenes", type=int, default=20)
    parser.add_argument("--size", default="256x384", help="HEIGHTxWIDTH of each scene")
    parser.add_argument("--workers", default="1,2", help="comma list of worker counts")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    counts = [int(v) for v in args.workers.split(",")]

    with tempfile.TemporaryDirectory(prefix="ahdr-bench-") as temp:
        scene_dir = Path(temp) / "scenes"
        config = SynthConfig(size=(height, width))
        synthesise_dataset(bundled_hdri_files(), scene_dir, args.scenes, seed=1, config=config)
        rows, cluster_start = [], {}
        for workers in counts:
            out = Path(temp) / f"processes-{workers}"
            rows.append(measure(args.graph, scene_dir, out, "processes", workers))
        for workers in counts:
            out = Path(temp) / f"dask-{workers}"
            measurement, cluster_start[workers] = on_local_cluster(
                args.graph, scene_dir, out, workers
            )
            rows.append(measurement)

    print(f"graph {args.graph.name}, {args.scenes} scenes of {width}x{height}\n")
    print(table(rows))
    by_key = {(m.scheduler, m.workers): m for m in rows}
    print()
    for scheduler in ("processes", "dask LocalCluster"):
        if len(counts) > 1:
            low, high = by_key[(scheduler, counts[0])], by_key[(scheduler, counts[-1])]
            print(
                f"{scheduler}: {counts[-1]} vs {counts[0]} workers: "
                f"x{high.per_min / low.per_min:.2f} overall, "
                f"x{high.steady_per_min / low.steady_per_min:.2f} steady"
            )
    for workers in counts:
        local, dask = by_key[("processes", workers)], by_key[("dask LocalCluster", workers)]
        print(
            f"{workers} worker(s): Dask wall {dask.wall_s:.2f} s vs processes {local.wall_s:.2f} s "
            f"(cluster start-up {cluster_start[workers]:.2f} s not counted); steady "
            f"{dask.steady_per_min:.0f} vs {local.steady_per_min:.0f} scenes/min"
        )


if __name__ == "__main__":
    main()
