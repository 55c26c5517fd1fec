"""How the benchmarks time a call, and the device's own ceilings they compare against.

Times are medians: on CUDA from triton.testing.do_bench after a warm-up call (so
compilation is not timed), with enough repetitions for at least MIN_SAMPLES runs
even when one call takes 100 ms (4K); on the CPU from time.perf_counter.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

Workload = Callable[[], object]
MIN_SAMPLES = 20
BUSY_PERCENT = 10  # GPU utilisation above which another process is using the card


@dataclass(frozen=True)
class MachineRates:
    """Measured ceilings of this device in one dtype. `idle` is False where the
    device was shared while they were measured (the CPU box, or a busy GPU), so
    they are no floor to state a percentage against."""

    matmul_tflops: float
    copy_gbps: float
    idle: bool


def median_ms(fn: Workload, device: torch.device, rep_ms: float = 100.0) -> float:
    """Median time of one call, after a warm-up call that absorbs compilation."""
    fn()
    if device.type == "cuda":
        from triton.testing import do_bench

        torch.cuda.synchronize()
        start = time.perf_counter()  # one compiled call sizes the repetitions
        fn()
        torch.cuda.synchronize()
        rep = max(rep_ms, MIN_SAMPLES * (time.perf_counter() - start) * 1000)
        return float(do_bench(fn, warmup=25, rep=rep, return_mode="median"))
    times: list[float] = []
    deadline = time.perf_counter() + rep_ms / 1000
    while len(times) < 5 or time.perf_counter() < deadline:
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


def gpu_busy_percent() -> int | None:
    """The card's utilisation from nvidia-smi, or None where it cannot be read."""
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return int(result.stdout.split()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def measure_rates(dtype: torch.dtype, device: torch.device) -> MachineRates:
    """Large-matmul rate and device-to-device copy bandwidth, measured now."""
    busy = gpu_busy_percent() if device.type == "cuda" else None
    n = 8192 if device.type == "cuda" else 256  # CPU bf16 matmuls run near 1 GFLOP/s
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
        idle=device.type == "cuda" and busy is not None and busy <= BUSY_PERCENT,
    )
