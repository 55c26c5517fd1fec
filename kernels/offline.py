"""Compile the DRDB kernels for Hopper (sm_90a) without a GPU, and read what they cost.

`triton.compile` runs the whole pipeline (TTIR, TTGIR, PTX, cubin) for a target
named by hand, so registers, spills and shared memory come from the real sm_90a
binary (cuobjdump, shipped with triton), and the loop structure from the TTGIR.
Arguments are specialised as a launch on the GPU would see them: pointers and the
buffer strides 16-divisible, channels-last outputs with channel stride 1.

    TRITON_INTERPRET=0 python -m ahdr_kernels.offline [--jobs N] [--sweep]

prints one JSON line per variant and exits 1 when any spills, uses local memory
or needs more shared memory than an H100 block may have.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from ahdr_kernels.launch import (
    INTERPRETING,
    SWEEP,
    TileConfig,
    last_layer_config,
    layer_config,
    tile_constants,
)
from ahdr_kernels.support import GROWTH

SHARED_BUDGET = 232_448  # bytes of shared memory one block may use on sm_90 (227 KiB)
DTYPES = ("bf16", "fp16", "fp32")
BLOCK_WIDTH = 64  # AHDRNet's DRDB: 64 channels in, 6 layers
N_LAYERS = 6


@dataclass(frozen=True)
class Variant:
    """One kernel specialisation: which kernel, its C_in, dtype and launch config."""

    kernel: str  # "layer" (layers 1..L-1) or "last" (last layer + 1x1 + residual)
    c_in: int
    dtype: str
    config: TileConfig


@dataclass(frozen=True)
class Resources:
    """What the sm_90a binary of one variant uses, and the shape of its TTGIR."""

    registers: int
    local_bytes: int  # spills and local arrays; 0 for a healthy kernel
    stack_bytes: int
    shared_bytes: int
    loops: int  # scf.for
    local_allocs: int  # shared-memory buffers (pipeline stages x operands)
    dot_waits: int  # ttng.warp_group_dot_wait: pipeline drains
    wgmma: int  # ttng.warp_group_dot
    seconds: float

    def problems(self) -> list[str]:
        found = []
        if self.local_bytes or self.stack_bytes:
            found.append(f"local memory {self.local_bytes} B, stack {self.stack_bytes} B")
        if self.shared_bytes > SHARED_BUDGET:
            found.append(f"shared memory {self.shared_bytes} B > {SHARED_BUDGET} B")
        return found


TORCH_DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def block_variants(dtype: str, config: TileConfig | None = None) -> list[Variant]:
    """The kernels one block launches with `config` (default TileConfig()): a layer
    kernel per C_in at `layer_config`, then the last layer's at `last_layer_config`."""
    config, torch_dtype = config or TileConfig(), getattr(torch, TORCH_DTYPES[dtype])
    layer, last = layer_config(config, torch_dtype), last_layer_config(config, torch_dtype)
    inputs = [BLOCK_WIDTH + GROWTH * k for k in range(N_LAYERS)]
    return [Variant("layer", c_in, dtype, layer) for c_in in inputs[:-1]] + [
        Variant("last", inputs[-1], dtype, last)
    ]


def _source(variant: Variant):  # -> triton.compiler.ASTSource
    from triton.compiler import ASTSource

    dtype, dt = getattr(torch, TORCH_DTYPES[variant.dtype]), f"*{variant.dtype}"
    # compiled for the GPU, so never the interpreter's upcast
    common = {**tile_constants(variant.config, variant.c_in, dtype), "UPCAST": False}
    if variant.kernel == "layer":
        from ahdr_kernels.drdb_layer import _drdb_layer_kernel as kernel

        pointers = {"buf_ptr": dt, "w_ptr": dt, "b_ptr": "*fp32"}
        constants = dict(C_IN=variant.c_in, C_TOTAL=BLOCK_WIDTH + GROWTH * (N_LAYERS - 1))
        aligned = ("stride_h",)
    else:
        from ahdr_kernels.drdb_last import _drdb_last_kernel as kernel

        pointers = {"buf_ptr": dt, "w_ptr": dt, "b_ptr": "*fp32", "fw_ptr": dt, "fb_ptr": "*fp32"}
        pointers |= {"out_ptr": dt, "out2_ptr": dt}
        constants = dict(C_IN=variant.c_in, C_OUT=BLOCK_WIDTH, HAS_OUT2=True)
        constants |= {"out_stride_c": 1, "out2_stride_c": 1}  # channels-last outputs
        aligned = ("stride_h", "out_stride_h", "out_stride_w", "out2_stride_h", "out2_stride_w")
    constants |= common
    signature = {}
    for name in kernel.arg_names:
        if name in constants:
            signature[name] = "constexpr"
        elif name in pointers:
            signature[name] = pointers[name]
        else:
            signature[name] = "i64" if name.endswith("stride_n") else "i32"
    divisible = set(pointers) | set(aligned) | {n for n in signature if n.endswith("stride_n")}
    attrs = {
        (kernel.arg_names.index(name),): [["tt.divisibility", 16]]
        for name in divisible
        if name not in constants
    }
    return ASTSource(kernel, signature, constexprs=constants, attrs=attrs)


def _binary_resources(cubin: bytes) -> dict[str, int]:
    import triton.backends.nvidia as nvidia

    tool = Path(nvidia.__file__).parent / "bin" / "cuobjdump"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kernel.cubin"
        path.write_bytes(cubin)
        report = subprocess.run(
            [str(tool), "-res-usage", str(path)], capture_output=True, text=True, check=True
        ).stdout
    line = next(line for line in report.splitlines() if "REG:" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+):(\d+)", line)}


def compile_variant(variant: Variant) -> Resources:
    """Compile one variant for sm_90a and measure it."""
    import time

    import triton
    from triton.backends.compiler import GPUTarget

    start = time.perf_counter()
    compiled = triton.compile(
        _source(variant),
        target=GPUTarget("cuda", 90, 32),
        options=dict(num_warps=variant.config.num_warps, num_stages=variant.config.num_stages),
    )
    used = _binary_resources(compiled.asm["cubin"])
    ttgir = compiled.asm["ttgir"]
    return Resources(
        registers=used["REG"],
        local_bytes=used["LOCAL"],
        stack_bytes=used["STACK"],
        shared_bytes=compiled.metadata.shared + used["SHARED"],
        loops=ttgir.count("scf.for "),
        local_allocs=ttgir.count("ttg.local_alloc"),
        dot_waits=ttgir.count("warp_group_dot_wait"),
        wgmma=ttgir.count("warp_group_dot "),
        seconds=round(time.perf_counter() - start, 2),
    )


def compile_all(variants: list[Variant], jobs: int) -> Iterator[dict[str, object]]:
    """One record per variant, in order, compiled `jobs` at a time: the variant, its
    Resources and problems, or the error that stopped it."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_record, variants)


def _record(variant: Variant) -> dict[str, object]:
    try:
        resources = compile_variant(variant)
    except Exception as error:  # one failing variant is reported, the others still run
        return {**asdict(variant), "error": f"{type(error).__name__}: {error}"[:2000]}
    return {**asdict(variant), **asdict(resources), "problems": resources.problems()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ahdr_kernels.offline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sweep", action="store_true", help="also every SWEEP config, bf16")
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    args = parser.parse_args(argv)
    if INTERPRETING:
        print("offline: set TRITON_INTERPRET=0: the interpreter does not compile", file=sys.stderr)
        return 2
    variants = [v for dtype in args.dtypes.split(",") for v in block_variants(dtype)]
    if args.sweep:
        variants += [v for config in SWEEP for v in block_variants("bf16", config)]
    failed = 0
    for record in compile_all(variants, args.jobs):
        failed += bool(record.get("error") or record.get("problems"))
        print(json.dumps(record), flush=True)
    print(f"offline: {len(variants)} variants, {failed} failed or over budget", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
