"""Benchmark rows and how they print: one row per implementation and workload."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchRow:
    """One implementation on one workload; time fields are None when `skipped`.

    max_error: max |out - ref| / max |ref| against an eager run of the same weights
    and inputs in float64 (float32 without TF32 above 2 MP: `bench.reference_dtype`).
    percent_of_matmul is None unless the matmul rate was measured on an idle GPU (a
    shared CPU gives no floor to state a percentage against).
    """

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
    rates_idle: bool
    median_ms: float | None = None
    tflops: float | None = None
    percent_of_matmul: float | None = None
    peak_memory_mib: float | None = None
    speedup_vs_eager: float | None = None
    max_error: float | None = None
    skipped: str | None = None


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(rows: list[BenchRow]) -> str:
    """Aligned text table: one line per row, under a title with the floors they rest on."""
    if not rows:
        return "no results"
    header = (
        "workload",
        "impl",
        "median ms",
        "TFLOP/s",
        "% matmul",
        "peak MiB",
        "vs eager",
        "max err",
        "note",
    )
    lines = [
        (
            r.workload,
            r.impl,
            _fmt(r.median_ms, ".3f"),
            _fmt(r.tflops, ".2f"),
            _fmt(r.percent_of_matmul, ".1f"),
            _fmt(r.peak_memory_mib, ".0f"),
            "-" if r.speedup_vs_eager is None else f"{r.speedup_vs_eager:.2f}x",
            _fmt(r.max_error, ".1e"),
            f"skipped: {r.skipped}" if r.skipped else "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    first = rows[0]
    shared = "" if first.rates_idle else "; rates on a shared device, no % of matmul"
    workloads = list(dict.fromkeys(r.workload for r in rows))
    name = workloads[0] if len(workloads) == 1 else f"{len(workloads)} workloads"
    title = (
        f"{name} {first.width}x{first.height} {first.dtype} on {first.device}: "
        f"FLOP floor {first.flop_floor_ms:.3f} ms (matmul {first.matmul_tflops:.2f} TFLOP/s), "
        f"byte floor {first.byte_floor_ms:.3f} ms (copy {first.copy_gbps:.1f} GB/s){shared}"
    )
    body = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    ]
    return "\n".join([title, *body])
