"""Benchmarks behind `ahdr bench drdb|model`: fused Triton versus eager and torch.compile.

Every figure is measured in the run that reports it: the matmul rate and copy
bandwidth that give the FLOP and byte floors are timed on the same device, in the
same dtype, just before the implementations. Times are medians: on CUDA from
triton.testing.do_bench after a warm-up call (so compilation is not timed), on the
CPU from time.perf_counter around each call. An implementation that cannot run
here becomes a row with the reason it was skipped, never a made-up time.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from ahdr_kernels.drdb import drdb_forward_triton, pack_drdb
from ahdr_kernels.launch import INTERPRETING, TileConfig
from ahdr_kernels.reference import drdb_reference, random_drdb_weights
from ahdr_kernels.support import triton_available
from torch import Tensor, nn

IMPLS = ("eager", "eager-channels-last", "compile", "compile-cudagraphs", "triton")
COMPILE_MODES = {"compile": "max-autotune-no-cudagraphs", "compile-cudagraphs": "max-autotune"}
DRDB_MACS_PER_PIXEL = 9 * 32 * sum(64 + 32 * k for k in range(6)) + 256 * 64
AHDRNET_MACS_PER_PIXEL = 1_446_720  # DESIGN.md section 3
CPU_MIN_RUNS = 5

Workload = Callable[[], object]
DRDBWeights = tuple[list[tuple[Tensor, Tensor]], Tensor, Tensor]


@dataclass(frozen=True)
class MachineRates:
    """Measured ceilings of this device in one dtype."""

    matmul_tflops: float
    copy_gbps: float


@dataclass(frozen=True)
class BenchRow:
    """One implementation on one workload; time fields are None when `skipped`."""

    workload: str
    impl: str
    height: int
    width: int
    dtype: str
    device: str
    flop_floor_ms: float
    byte_floor_ms: float
    matmul_tflops: float
    copy_gbps: float
    median_ms: float | None = None
    tflops: float | None = None
    percent_of_matmul: float | None = None
    peak_memory_mib: float | None = None
    speedup_vs_eager: float | None = None
    skipped: str | None = None


def parse_size(text: str) -> tuple[int, int]:
    """'1500x1000' (width x height, as image sizes are written) -> (height, width)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or "0" in (width[0], height[0]):
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1500x1000")
    return int(height), int(width)


def median_ms(fn: Workload, device: torch.device, rep_ms: float = 100.0) -> float:
    """Median time of one call, after a warm-up call that absorbs compilation."""
    fn()
    if device.type == "cuda":
        from triton.testing import do_bench

        torch.cuda.synchronize()
        return float(do_bench(fn, warmup=25, rep=rep_ms, return_mode="median"))
    times = []
    deadline = time.perf_counter() + rep_ms / 1000
    while len(times) < CPU_MIN_RUNS or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def peak_memory_mib(fn: Workload, device: torch.device) -> float | None:
    """Memory one call allocates at its peak above what was live before (CUDA only)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated(device) - before) / 2**20


def measure_rates(dtype: torch.dtype, device: torch.device) -> MachineRates:
    """Large-matmul rate and device-to-device copy bandwidth, measured now."""
    n = 8192 if device.type == "cuda" else 1024
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    matmul_ms = median_ms(lambda: a @ b, device)
    copy_bytes = 2**30 if device.type == "cuda" else 2**26
    src = torch.empty(copy_bytes, dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    copy_ms = median_ms(lambda: dst.copy_(src), device)
    return MachineRates(
        matmul_tflops=2 * n**3 / (matmul_ms * 1e-3) / 1e12,
        copy_gbps=2 * copy_bytes / (copy_ms * 1e-3) / 1e9,  # read + write
    )


def check_impls(impls: tuple[str, ...] | list[str]) -> None:
    unknown = [impl for impl in impls if impl not in IMPLS]
    if unknown:
        raise ValueError(f"unknown implementation {unknown[0]!r}; choose from {', '.join(IMPLS)}")


def cuda_only_reason(impl: str, device: torch.device) -> str | None:
    """Why `impl` cannot be timed on `device`, or None when it can."""
    if impl == "triton":
        if not triton_available():
            return "triton is not installed"
        if device.type != "cuda" or INTERPRETING:
            return (
                "the Triton kernels need CUDA, TRITON_INTERPRET unset (the interpreter is untimed)"
            )
    if impl == "compile-cudagraphs" and device.type != "cuda":
        return "CUDA graphs need CUDA"
    return None


def run_workloads(
    name: str,
    height: int,
    width: int,
    dtype: torch.dtype,
    device: torch.device,
    builders: dict[str, Callable[[], Workload]],
    flops: float,
    floor_bytes: float,
) -> list[BenchRow]:
    """Time each built workload; an impl that cannot be built or run gets a skip reason."""
    rates = measure_rates(dtype, device)
    common = dict(
        workload=name,
        height=height,
        width=width,
        dtype=str(dtype).removeprefix("torch."),
        device=device_name(device),
        flop_floor_ms=flops / (rates.matmul_tflops * 1e12) * 1e3,
        byte_floor_ms=floor_bytes / (rates.copy_gbps * 1e9) * 1e3,
        matmul_tflops=rates.matmul_tflops,
        copy_gbps=rates.copy_gbps,
    )
    rows = []
    for impl, build in builders.items():
        reason = cuda_only_reason(impl, device)
        if reason is not None:
            rows.append(BenchRow(impl=impl, skipped=reason, **common))
            continue
        try:
            with torch.inference_mode():
                fn = build()
                elapsed = median_ms(fn, device)
                peak = peak_memory_mib(fn, device)
        except Exception as error:  # one failing impl must not hide the others' results
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            rows.append(
                BenchRow(impl=impl, skipped=f"failed: {type(error).__name__}: {message}", **common)
            )
            continue
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
        achieved = flops / (elapsed * 1e-3) / 1e12
        rows.append(
            BenchRow(
                impl=impl,
                median_ms=elapsed,
                tflops=achieved,
                percent_of_matmul=100 * achieved / rates.matmul_tflops,
                peak_memory_mib=peak,
                **common,
            )
        )
    eager = next((r.median_ms for r in rows if r.impl == "eager" and r.median_ms), None)
    return [
        BenchRow(**{**vars(r), "speedup_vs_eager": eager / r.median_ms})
        if eager and r.median_ms
        else r
        for r in rows
    ]


def compiled(fn: Callable[..., Tensor], impl: str) -> Callable[..., Tensor]:
    """torch.compile with max-autotune, with or without CUDA graphs, from a clean cache."""
    torch._dynamo.reset()
    return torch.compile(fn, mode=COMPILE_MODES[impl])


def bench_drdb(
    size: tuple[int, int] = (1000, 1500),
    dtype: torch.dtype = torch.bfloat16,
    impls: tuple[str, ...] | list[str] = IMPLS,
    device: torch.device | str = "cuda",
    config: TileConfig | None = None,
    seed: int = 0,
) -> list[BenchRow]:
    """One DRDB (64 channels in and out, batch 1) at size (height, width), per impl."""
    check_impls(impls)
    device = torch.device(device)
    height, width = size
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(seed))

    def params(memory_format: torch.memory_format) -> DRDBWeights:
        def move(t: Tensor) -> Tensor:
            t = t.to(device, dtype)
            return t.contiguous(memory_format=memory_format) if t.dim() == 4 else t

        return [(move(w), move(b)) for w, b in layers], move(fuse_weight), move(fuse_bias)

    x = torch.randn(1, 64, height, width, generator=torch.Generator().manual_seed(seed + 1))
    x = x.to(device, dtype)
    x_last = x.contiguous(memory_format=torch.channels_last)

    def eager() -> Workload:
        args = params(torch.contiguous_format)
        return lambda: drdb_reference(x, *args)

    def eager_channels_last() -> Workload:
        args = params(torch.channels_last)
        return lambda: drdb_reference(x_last, *args)

    def compile_impl(impl: str) -> Callable[[], Workload]:
        def build() -> Workload:
            args = params(torch.channels_last)
            fn = compiled(drdb_reference, impl)
            return lambda: fn(x_last, *args)

        return build

    def fused() -> Workload:
        packed = pack_drdb(*params(torch.contiguous_format), dtype)
        return lambda: drdb_forward_triton(x_last, packed, config=config)

    builders = {
        "eager": eager,
        "eager-channels-last": eager_channels_last,
        "compile": compile_impl("compile"),
        "compile-cudagraphs": compile_impl("compile-cudagraphs"),
        "triton": fused,
    }
    bytes_per_value = torch.finfo(dtype).bits // 8
    weight_values = sum(w.numel() + b.numel() for w, b in layers) + fuse_weight.numel()
    floor_bytes = bytes_per_value * (2 * 64 * height * width + weight_values)
    return run_workloads(
        "drdb",
        height,
        width,
        dtype,
        device,
        {impl: builders[impl] for impl in impls},
        flops=2 * DRDB_MACS_PER_PIXEL * height * width,
        floor_bytes=floor_bytes,
    )


def bench_model(
    build_model: Callable[[str], nn.Module],
    make_inputs: Callable[[int, int], tuple[Tensor, ...]],
    size: tuple[int, int] = (1000, 1500),
    dtype: torch.dtype = torch.bfloat16,
    impls: tuple[str, ...] | list[str] = IMPLS,
    device: torch.device | str = "cuda",
    macs_per_pixel: int = AHDRNET_MACS_PER_PIXEL,
    output_channels: int = 3,
) -> list[BenchRow]:
    """The full network per impl, without importing it.

    build_model(drdb_impl) returns the network with its DRDBs on "eager" or
    "triton"; the compile impls compile the eager network. make_inputs(height,
    width) returns the forward's positional arguments (float32, CPU); they are
    moved to `device` and `dtype` here.
    """
    check_impls(impls)
    device = torch.device(device)
    height, width = size
    inputs = tuple(t.to(device, dtype) for t in make_inputs(height, width))

    def network(drdb_impl: str, memory_format: torch.memory_format) -> nn.Module:
        return build_model(drdb_impl).to(device, dtype).to(memory_format=memory_format).eval()

    def builder(impl: str) -> Callable[[], Workload]:
        def build() -> Workload:
            if impl == "triton":
                model = network("triton", torch.channels_last)
            elif impl == "eager":
                model = network("eager", torch.contiguous_format)
            else:
                model = network("eager", torch.channels_last)
            fn = compiled(model, impl) if impl in COMPILE_MODES else model
            return lambda: fn(*inputs)

        return build

    model = build_model("eager")
    weight_values = sum(p.numel() for p in model.parameters())
    bytes_per_value = torch.finfo(dtype).bits // 8
    input_values = sum(t.numel() for t in inputs)
    output_values = output_channels * height * width * inputs[0].shape[0]
    return run_workloads(
        "model",
        height,
        width,
        dtype,
        device,
        {impl: builder(impl) for impl in impls},
        flops=2 * macs_per_pixel * height * width * inputs[0].shape[0],
        floor_bytes=bytes_per_value * (input_values + output_values + weight_values),
    )


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def environment(device: torch.device | str) -> dict[str, str]:
    """Versions to record beside every figure: device, driver, torch, triton."""
    device = torch.device(device)
    info = {"device": device_name(device), "torch": torch.__version__}
    if triton_available():
        import triton

        info["triton"] = triton.__version__
    if device.type == "cuda":
        info["cuda"] = str(torch.version.cuda)
        info["driver"] = _nvidia_driver()
    return info


def _nvidia_driver() -> str:
    import subprocess

    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (nvidia-smi failed)"
    return result.stdout.strip().splitlines()[0]


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(rows: list[BenchRow]) -> str:
    """Aligned text table: one line per impl, then the floors and rates they rest on."""
    if not rows:
        return "no results"
    header = ("impl", "median ms", "TFLOP/s", "% matmul", "peak MiB", "vs eager", "note")
    lines = [
        (
            r.impl,
            _fmt(r.median_ms, 3),
            _fmt(r.tflops, 2),
            _fmt(r.percent_of_matmul, 1),
            _fmt(r.peak_memory_mib, 0),
            "-" if r.speedup_vs_eager is None else f"{r.speedup_vs_eager:.2f}x",
            f"skipped: {r.skipped}" if r.skipped else "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    first = rows[0]
    title = (
        f"{first.workload} {first.width}x{first.height} {first.dtype} on {first.device}: "
        f"FLOP floor {first.flop_floor_ms:.3f} ms (matmul {first.matmul_tflops:.2f} TFLOP/s), "
        f"byte floor {first.byte_floor_ms:.3f} ms (copy {first.copy_gbps:.1f} GB/s)"
    )
    body = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    ]
    return "\n".join([title, *body])
