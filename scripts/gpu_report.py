"""One stage of scripts/gpu_check.sh per call: correctness, benchmarks, sweep, compile.

    python scripts/gpu_report.py STAGE OUT_DIR [--smoke]

Each stage appends its records to OUT_DIR/results.jsonl (tagged with the stage) and
its table to OUT_DIR/tables.md as soon as it has them, so a run cut short keeps
everything measured before the cut. --smoke runs the stage on the CPU under the
Triton interpreter on tiny shapes (what CI runs); without it the stage needs CUDA.
It lives in scripts/, not in the kernels package, because the model stages import
the network from ahdr_nodes and the kernels import nothing from ahdr_nodes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from ahdr_kernels.bench import bench_drdb, bench_layers, bench_model, relative_error
from ahdr_kernels.bench_table import BenchRow, format_table
from ahdr_kernels.drdb import drdb_forward_triton, pack_drdb
from ahdr_kernels.environment import environment
from ahdr_kernels.launch import SWEEP, TileConfig
from ahdr_kernels.offline import DTYPES, block_variants, compile_all
from ahdr_kernels.reference import drdb_reference, random_drdb_weights


@dataclass(frozen=True)
class Plan:
    """Where and at what sizes the stages run: an H100 call, or CI's CPU smoke run."""

    device: torch.device
    full: tuple[int, int]  # (height, width)
    uhd: tuple[int, int]
    check_sizes: tuple[tuple[int, int], ...]
    sweep: tuple[TileConfig, ...]
    compile_dtypes: tuple[str, ...]
    compile_sweep: bool
    dtype: torch.dtype  # of the benchmarks (correctness checks bf16 and fp16 everywhere)


GPU = Plan(
    device=torch.device("cuda"),
    full=(1000, 1500),
    uhd=(2160, 3840),
    check_sizes=((383, 517), (1000, 1500)),  # odd sizes first: partial tiles on both edges
    sweep=SWEEP,
    compile_dtypes=DTYPES,
    compile_sweep=True,
    dtype=torch.bfloat16,
)
# CPU bf16 convs and matmuls are slow paths: the smoke benchmarks run fp32.
SMOKE = Plan(
    device=torch.device("cpu"),
    full=(6, 10),
    uhd=(8, 12),
    check_sizes=((5, 7),),
    sweep=SWEEP[:2],
    compile_dtypes=("bf16",),
    compile_sweep=False,
    dtype=torch.float32,
)
EAGER = ["eager", "eager-channels-last", "eager-cudnn-benchmark", "triton"]
# fused error may be this multiple of eager's (same dtype, same run) before it fails
ERROR_RATIO = 2.0


class Report:
    """Appends one stage's records and tables to the output folder as they come."""

    def __init__(self, out: Path, stage: str) -> None:
        self.out, self.stage = out, stage

    def records(self, records: Iterable[dict[str, object]]) -> None:
        with (self.out / "results.jsonl").open("a") as log:
            for record in records:
                log.write(json.dumps({"stage": self.stage, **record}, default=str) + "\n")

    def table(self, text: str) -> None:
        with (self.out / "tables.md").open("a") as tables:
            tables.write(f"## {self.stage}\n\n```\n{text}\n```\n\n")
        print(text, flush=True)

    def rows(self, rows: list[BenchRow]) -> None:
        self.records(asdict(row) for row in rows)
        self.table(format_table(rows))


def build_ahdrnet(impl: str) -> torch.nn.Module:
    from ahdr_nodes.hdr.model import AHDRNet

    return AHDRNet(impl=impl)


def bracket(height: int, width: int) -> tuple[torch.Tensor, ...]:
    return (torch.rand(1, 3, 6, height, width, generator=torch.Generator().manual_seed(0)),)


def stage_env(plan: Plan, report: Report) -> bool:
    info = environment(plan.device)
    report.records([info])
    report.table("\n".join(f"{key}: {value}" for key, value in info.items()))
    return True


def stage_compile(plan: Plan, report: Report) -> bool:
    variants = [v for dtype in plan.compile_dtypes for v in block_variants(dtype)]
    if plan.compile_sweep:
        variants += [v for config in plan.sweep for v in block_variants("bf16", config)]
    lines, ok = [], True
    for record in compile_all(variants, os.cpu_count() or 1):
        report.records([record])
        ok &= not (record.get("error") or record.get("problems"))
        c = record["config"]
        lines.append(
            f"{record['kernel']:5} C_in {record['c_in']:3} {record['dtype']} "
            f"{c['block_h']}x{c['block_w']} w{c['num_warps']} s{c['num_stages']} "
            f"k{c['block_k']}: "
            + (
                f"error {record['error']}"
                if "error" in record
                else f"{record['registers']} regs, {record['shared_bytes']} B shared, "
                f"{record['loops']} loops {' '.join(record['problems'])}"
            )
        )
    report.table("\n".join(lines))
    return ok


def stage_correctness(plan: Plan, report: Report) -> bool:
    """Fused and eager (channels-last) against float64 on the device, bf16 and fp16."""
    passed = True
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(7))
    for size in plan.check_sizes:
        x = torch.randn(1, 64, *size, generator=torch.Generator().manual_seed(8))
        for dtype in (torch.bfloat16, torch.float16):
            rounded = [(w.to(plan.device, dtype), b.to(plan.device, dtype)) for w, b in layers]
            fw, fb = fuse_weight.to(plan.device, dtype), fuse_bias.to(plan.device, dtype)
            xd = x.to(plan.device, dtype).contiguous(memory_format=torch.channels_last)
            as64 = [(w.double(), b.double()) for w, b in rounded]
            ref = drdb_reference(xd.double(), as64, fw.double(), fb.double())
            eager_error = relative_error(drdb_reference(xd, rounded, fw, fb), ref)
            packed = pack_drdb(rounded, fw, fb, dtype)
            for config in (TileConfig(), *plan.sweep[:2]):
                out = torch.full_like(xd, float("nan"))
                drdb_forward_triton(xd, packed, out=out, config=config)
                error = relative_error(out, ref)
                ok = not out.isnan().any().item() and error <= ERROR_RATIO * eager_error
                passed &= ok
                record = {
                    "size": list(size),
                    "dtype": str(dtype),
                    "config": asdict(config),
                    "triton_error": error,
                    "eager_error": eager_error,
                    "passed": ok,
                }
                report.records([record])
                print(record, flush=True)
    report.table(f"correctness: {'PASSED' if passed else 'FAILED'}")
    return passed


def bench_stage(run: Callable[[Plan], list[BenchRow]]) -> Callable[[Plan, Report], bool]:
    def stage(plan: Plan, report: Report) -> bool:
        rows = run(plan)
        report.rows(rows)
        return not any(row.skipped and row.skipped.startswith("failed") for row in rows)

    return stage


def stage_sweep(plan: Plan, report: Report) -> bool:
    """The DRDB per tile config on one set of inputs; each row written when timed (every
    config compiles its kernels first, so a time limit may cut the sweep short)."""
    rows = bench_drdb(
        plan.full,
        plan.dtype,
        ["triton"],
        plan.device,
        plan.sweep,
        on_row=lambda row: report.records([asdict(row)]),
    )
    report.table(format_table(rows))
    return not any(row.skipped and row.skipped.startswith("failed") for row in rows)


def inductor_stage(workload: str, size: str) -> Callable[[Plan, Report], bool]:
    """torch.compile rows, one impl at a time, each written as soon as it is timed."""

    def stage(plan: Plan, report: Report) -> bool:
        ok = True
        for impl in ("compile", "compile-cudagraphs"):
            rows = _bench(plan, workload, getattr(plan, size), [impl])
            report.rows(rows)
            ok &= not any(row.skipped and row.skipped.startswith("failed") for row in rows)
        return ok

    return stage


def _bench(plan: Plan, workload: str, size: tuple[int, int], impls: list[str]) -> list[BenchRow]:
    if workload == "drdb":
        return bench_drdb(size, plan.dtype, impls, plan.device)
    return bench_model(build_ahdrnet, bracket, size, plan.dtype, impls, plan.device)


STAGES: dict[str, Callable[[Plan, Report], bool]] = {
    "env": stage_env,
    "compile": stage_compile,
    "correctness": stage_correctness,
    "drdb": bench_stage(lambda plan: _bench(plan, "drdb", plan.full, EAGER)),
    "model": bench_stage(lambda plan: _bench(plan, "model", plan.full, EAGER)),
    "layers": bench_stage(lambda plan: bench_layers(plan.full, plan.dtype, plan.device)),
    "sweep": stage_sweep,
    "inductor-drdb": inductor_stage("drdb", "full"),
    "inductor-model": inductor_stage("model", "full"),
    "drdb-4k": bench_stage(lambda plan: _bench(plan, "drdb", plan.uhd, EAGER)),
    "model-4k": bench_stage(lambda plan: _bench(plan, "model", plan.uhd, EAGER)),
}


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    args = [a for a in argv if a != "--smoke"]
    if len(args) != 2 or args[0] not in STAGES:
        print(f"usage: gpu_report.py {{{','.join(STAGES)}}} OUT_DIR [--smoke]")
        return 2
    plan = SMOKE if smoke else GPU
    if plan.device.type == "cuda" and not torch.cuda.is_available():
        print("gpu_report: no CUDA device; use --smoke on the CPU")
        return 2
    out = Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    return 0 if STAGES[args[0]](plan, Report(out, args[0])) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
