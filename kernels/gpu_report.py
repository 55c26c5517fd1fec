"""GPU session driver for scripts/gpu_check.sh: correctness, benchmarks and a tile sweep.

Each stage appends its results to files in the output folder as soon as it ends,
so a run cut short by a time limit still leaves everything measured before it.

    python -m ahdr_kernels.gpu_report OUT_DIR [STAGE ...]

Stages: correctness, drdb, sweep, model, drdb-4k, model-4k (default: all, in that order).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import torch
from ahdr_kernels.bench import BenchRow, bench_drdb, bench_model, environment, format_table
from ahdr_kernels.drdb import drdb_forward_triton, pack_drdb
from ahdr_kernels.launch import TileConfig
from ahdr_kernels.reference import drdb_reference, random_drdb_weights

CUDA = torch.device("cuda")
FULL_HD = (1000, 1500)  # (height, width): the Kalantari images
UHD = (2160, 3840)
CHECK_SIZES = ((383, 517), FULL_HD)  # odd sizes first: partial tiles on both edges
TOLERANCE = {torch.bfloat16: 3e-2, torch.float16: 1e-2}
SWEEP = [
    TileConfig(block_h=h, block_w=w, num_warps=warps, num_stages=stages)
    for h, w in ((8, 16), (16, 16), (8, 32), (4, 32), (16, 8))
    for warps in (4, 8)
    for stages in (2, 3)
]


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out.double() - ref).abs().max() / ref.abs().max()).item()


def check_correctness(out_dir: Path) -> bool:
    """Fused and eager (cuDNN, channels-last) against a float64 reference on the GPU."""
    results, passed = [], True
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(7))
    for size in CHECK_SIZES:
        x = torch.randn(1, 64, *size, generator=torch.Generator().manual_seed(8)).to(CUDA)
        for dtype, tolerance in TOLERANCE.items():
            rounded = [(w.to(CUDA, dtype), b.to(CUDA, dtype)) for w, b in layers]
            fw, fb = fuse_weight.to(CUDA, dtype), fuse_bias.to(CUDA, dtype)
            as64 = [(w.double(), b.double()) for w, b in rounded]
            ref = drdb_reference(x.to(dtype).double(), as64, fw.double(), fb.double())
            eager = drdb_reference(
                x.to(dtype).contiguous(memory_format=torch.channels_last), rounded, fw, fb
            )
            packed = pack_drdb(rounded, fw, fb, dtype)
            for config in (TileConfig(), TileConfig(num_warps=8), TileConfig(16, 16, 8, 2)):
                out = torch.full_like(eager, float("nan"))
                drdb_forward_triton(x, packed, out=out, config=config)
                error = relative_error(out, ref)
                ok = not out.isnan().any().item() and error <= tolerance
                passed &= ok
                results.append(
                    {
                        "size": list(size),
                        "dtype": str(dtype),
                        "config": asdict(config),
                        "triton_error": error,
                        "eager_error": relative_error(eager, ref),
                        "tolerance": tolerance,
                        "passed": ok,
                    }
                )
    (out_dir / "correctness.json").write_text(json.dumps(results, indent=2))
    print(f"correctness: {'PASSED' if passed else 'FAILED'} ({len(results)} checks)")
    return passed


def build_ahdrnet(impl: str) -> torch.nn.Module:
    from ahdr_nodes.hdr.model import AHDRNet

    return AHDRNet(impl=impl)


def bracket(height: int, width: int) -> tuple[torch.Tensor, ...]:
    return (torch.rand(1, 3, 6, height, width),)


def sweep_tiles() -> list[BenchRow]:
    rows = []
    for config in SWEEP:
        (row,) = bench_drdb(FULL_HD, torch.bfloat16, impls=["triton"], device=CUDA, config=config)
        rows.append(row)
        print(f"sweep {config}: {row.median_ms} ms {row.skipped or ''}", flush=True)
    return rows


BENCH_STAGES = {
    "drdb": lambda: bench_drdb(FULL_HD, torch.bfloat16, device=CUDA),
    "sweep": sweep_tiles,
    "model": lambda: bench_model(build_ahdrnet, bracket, FULL_HD, torch.bfloat16, device=CUDA),
    "drdb-4k": lambda: bench_drdb(UHD, torch.bfloat16, device=CUDA),
    "model-4k": lambda: bench_model(build_ahdrnet, bracket, UHD, torch.bfloat16, device=CUDA),
}


STAGES = ("correctness", *BENCH_STAGES)


def main(argv: list[str]) -> int:
    if not argv or not torch.cuda.is_available():
        print("usage: python -m ahdr_kernels.gpu_report OUT_DIR [STAGE ...], on a CUDA machine")
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    stages = argv[1:] or list(STAGES)
    unknown = [stage for stage in stages if stage not in STAGES]
    if unknown:
        print(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
        return 2
    (out_dir / "environment.json").write_text(json.dumps(environment(CUDA), indent=2))
    passed = True
    bench_log = out_dir / "bench.jsonl"
    for stage in stages:
        print(f"== {stage}", flush=True)
        if stage == "correctness":
            passed = check_correctness(out_dir)
            continue
        try:
            rows = BENCH_STAGES[stage]()
        except Exception as error:  # keep the other stages' results
            print(f"{stage} failed: {type(error).__name__}: {error}", flush=True)
            continue
        with bench_log.open("a") as log:
            for row in rows:
                log.write(json.dumps({"stage": stage, **asdict(row)}) + "\n")
        table = format_table(rows)
        if stage == "sweep":
            table = "\n".join(f"{c}: {r.median_ms} ms" for c, r in zip(SWEEP, rows, strict=True))
        with (out_dir / "tables.md").open("a") as tables:
            tables.write(f"## {stage}\n\n```\n{table}\n```\n\n")
        print(table, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
