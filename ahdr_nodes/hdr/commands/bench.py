"""``ahdr bench drdb|model|pipeline``: benchmarks that print tables."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click
import torch

from ahdr_nodes import UserError
from ahdr_nodes.hdr.commands.report_file import check_report, write_report
from ahdr_nodes.hdr.commands.size import parse_size
from ahdr_nodes.hdr.nodes.device import pick_device

DTYPE_CHOICES = ("auto", "float32", "bfloat16", "float16")


def _dtype(choice: str, device: torch.device) -> torch.dtype:
    if choice == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, choice)


def _impls(text: str) -> list[str]:
    from ahdr_kernels.bench import BENCH_IMPLS

    impls = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [impl for impl in impls if impl not in BENCH_IMPLS]
    if unknown or not impls:
        raise UserError(f"--impl {text!r}: choose from {', '.join(BENCH_IMPLS)}")
    return impls


def _options(command):  # type: ignore[no-untyped-def]
    for option in reversed(
        [
            click.option("--size", default="1500x1000", show_default=True, help="WIDTHxHEIGHT."),
            click.option(
                "--dtype",
                type=click.Choice(DTYPE_CHOICES),
                default="auto",
                show_default=True,
                help="auto: bfloat16 on CUDA, float32 on the CPU.",
            ),
            click.option(
                "--impl",
                "impls",
                default="eager,eager-channels-last,eager-cudnn-benchmark,compile,triton",
                show_default=True,
                help="Comma list of implementations.",
            ),
            click.option(
                "--device",
                type=click.Choice(["auto", "cpu", "cuda"]),
                default="auto",
                show_default=True,
            ),
            click.option(
                "--json",
                "json_path",
                type=click.Path(path_type=Path),
                help="Also write the rows and the environment as JSON.",
            ),
            click.option("--overwrite", is_flag=True, help="Replace an existing --json file."),
        ]
    ):
        command = option(command)
    return command


def _report(
    kind: str,
    size: str,
    dtype: str,
    impls: str,
    device: str,
    json_path: Path | None,
    overwrite: bool,
) -> None:
    from ahdr_kernels import bench
    from ahdr_kernels.bench_table import format_table
    from ahdr_kernels.environment import environment

    check_report(json_path, overwrite)
    target = pick_device(device)
    chosen = _dtype(dtype, target)
    height, width = parse_size(size)
    if kind == "drdb":
        rows = bench.bench_drdb((height, width), chosen, _impls(impls), target)
    else:
        from ahdr_nodes.hdr.bench_pipeline import network_inputs
        from ahdr_nodes.hdr.model import AHDRNet

        rows = bench.bench_model(
            lambda drdb_impl: AHDRNet(impl=drdb_impl),
            lambda h, w: (network_inputs(h, w).unsqueeze(0),),
            (height, width),
            chosen,
            _impls(impls),
            target,
        )
    click.echo(format_table(rows))
    payload = {"environment": environment(target), "rows": [asdict(row) for row in rows]}
    write_report(json_path, payload, overwrite)


@click.command(name="drdb")
@_options
def bench_drdb(
    size: str, dtype: str, impls: str, device: str, json_path: Path | None, overwrite: bool
) -> None:
    """One dilated residual dense block: fused Triton vs eager vs torch.compile."""
    _report("drdb", size, dtype, impls, device, json_path, overwrite)


@click.command(name="model")
@_options
def bench_model(
    size: str, dtype: str, impls: str, device: str, json_path: Path | None, overwrite: bool
) -> None:
    """The full AHDRNet forward (random weights) per DRDB implementation."""
    _report("model", size, dtype, impls, device, json_path, overwrite)


@click.command(name="pipeline")
@click.option("--size", default="1500x1000", show_default=True, help="WIDTHxHEIGHT.")
@click.option(
    "--layout",
    "layouts",
    default="nchw,nhwc",
    show_default=True,
    help="Comma list: nchw, nhwc (channels-last).",
)
@click.option(
    "--memory-mb",
    default=16384.0,
    show_default=True,
    help="Node activation budget (large enough that nothing tiles).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing --json file.")
def bench_pipeline(
    size: str, layouts: str, memory_mb: float, json_path: Path | None, overwrite: bool
) -> None:
    """The node graph (Attention -> Merge) vs a bare AHDRNet forward, CPU float32.

    Each variant runs in its own process for an honest peak memory.
    """
    from ahdr_nodes.hdr.bench_pipeline import run_isolated

    check_report(json_path, overwrite)
    height, width = parse_size(size)
    results = []
    for layout in [part.strip() for part in layouts.split(",") if part.strip()]:
        if layout not in ("nchw", "nhwc"):
            raise UserError(f"--layout {layout!r}: choose nchw or nhwc")
        bare = run_isolated("bare", height, width, layout, memory_mb)
        graph = run_isolated("graph", height, width, layout, memory_mb)
        results += [bare, graph]
        click.echo(
            f"{width}x{height} {layout}: bare {bare.seconds:.2f} s "
            f"(peak {bare.peak_rss_mib:.0f} MiB), graph {graph.seconds:.2f} s "
            f"(peak {graph.peak_rss_mib:.0f} MiB), graph/bare "
            f"{graph.seconds / bare.seconds:.3f}"
        )
    write_report(json_path, [asdict(result) for result in results], overwrite)


@click.command(name="synth")
@click.option("--size", default="256x256", show_default=True, help="Crop WIDTHxHEIGHT.")
@click.option("--examples", default=200, show_default=True, help="Examples per measurement.")
@click.option(
    "--workers",
    "worker_counts",
    default="0,2",
    show_default=True,
    help="Comma list of DataLoader worker counts (0 = in this process).",
)
@click.option(
    "--data", default="bundled", show_default=True, help="HDR source folder or file, or 'bundled'."
)
def bench_synth(size: str, examples: int, worker_counts: str, data: str) -> None:
    """Training examples per second from the bracket synthesiser (tensors included)."""
    import time

    import cv2
    from torch.utils.data import DataLoader

    from ahdr_nodes.hdr.commands.data import source_files
    from ahdr_nodes.hdr.data.sources import load_sources
    from ahdr_nodes.hdr.data.synth import SynthConfig
    from ahdr_nodes.hdr.data.torch_dataset import SyntheticBracketDataset, single_threaded_worker

    height, width = parse_size(size)
    cv2.setNumThreads(1)  # before workers start: one OpenCV thread each (see the dataset)
    dataset = SyntheticBracketDataset(
        load_sources(source_files(data, "all")), examples, 0, SynthConfig(size=(height, width))
    )
    for text in worker_counts.split(","):
        workers = int(text)
        loader = DataLoader(
            dataset, batch_size=8, num_workers=workers, worker_init_fn=single_threaded_worker
        )
        start = time.perf_counter()
        for _ in loader:
            pass
        rate = examples / (time.perf_counter() - start)
        click.echo(f"{width}x{height}, {workers} workers: {rate:.1f} examples/s")
