"""`ahdr bench` machinery on the CPU: real timings of what runs here, reasons for the rest."""

from __future__ import annotations

import pytest
import torch
from ahdr_kernels.bench import (
    DRDB_MACS_PER_PIXEL,
    bench_drdb,
    bench_layers,
    bench_model,
    reference_dtype,
)
from ahdr_kernels.bench_table import format_table
from ahdr_kernels.environment import environment
from ahdr_kernels.timing import MachineRates

from ahdr_nodes.hdr.model import AHDRNet

CPU = torch.device("cpu")
RATES = MachineRates(matmul_tflops=1.0, copy_gbps=10.0, idle=False)


def test_drdb_bench_times_eager_checks_outputs_and_says_why_gpu_impls_are_skipped() -> None:
    impls = ["eager", "eager-channels-last", "eager-cudnn-benchmark", "compile-cudagraphs"]
    rows = bench_drdb((6, 10), torch.float32, impls=[*impls, "triton"], device=CPU)

    by_impl = {row.impl: row for row in rows}
    assert list(by_impl) == [*impls, "triton"]
    for impl in impls[:3]:
        row = by_impl[impl]
        assert row.skipped is None
        assert row.median_ms > 0
        assert row.tflops == pytest.approx(2 * DRDB_MACS_PER_PIXEL * 60 / row.median_ms / 1e9)
        assert row.peak_memory_mib is None  # only measured on CUDA
        assert row.max_error < 1e-5  # same weights and input as the float64 reference
        assert row.percent_of_matmul is None  # a shared CPU is no floor
    assert by_impl["eager"].speedup_vs_eager == 1.0
    assert by_impl["compile-cudagraphs"].skipped == "CUDA graphs need CUDA"
    # the test suite runs the kernels under the interpreter: the reason says so
    assert by_impl["triton"].skipped == "TRITON_INTERPRET=1: the interpreter is not timed"
    assert by_impl["triton"].median_ms is None
    first = rows[0]
    assert first.flop_floor_ms > 0 and first.byte_floor_ms > 0 and not first.rates_idle
    assert first.flop_floor_ms == pytest.approx(
        2 * DRDB_MACS_PER_PIXEL * 60 / (first.matmul_tflops * 1e12) * 1e3
    )

    table = format_table(rows)
    assert "10x6 float32 on cpu" in table and "no % of matmul" in table
    assert "skipped: CUDA graphs need CUDA" in table
    assert len(table.splitlines()) == 2 + len(rows)


def test_model_bench_gives_every_impl_the_same_weights() -> None:
    built = []

    def build(impl: str) -> AHDRNet:
        built.append(impl)
        return AHDRNet(impl=impl)

    rows = bench_model(
        build,
        lambda h, w: (torch.rand(1, 3, 6, h, w),),
        (8, 8),
        torch.float32,
        ["eager", "eager-channels-last"],
        CPU,
        rates=RATES,
    )

    assert [row.impl for row in rows] == ["eager", "eager-channels-last"]
    assert rows[0].median_ms > 0 and rows[0].workload == "model"
    # freshly built networks have different random weights: only shared ones agree
    assert all(row.max_error < 1e-5 for row in rows)
    assert built == ["eager", "eager", "eager"]  # the weights' source, then one per impl


def test_layer_bench_has_a_row_per_layer_and_impl() -> None:
    rows = bench_layers((5, 7), torch.float32, CPU, rates=RATES)

    assert [row.workload for row in rows] == [f"layer {k}" for k in range(1, 7) for _ in "ab"]
    cudnn = [row for row in rows if row.impl == "eager-channels-last"]
    assert all(row.median_ms > 0 and row.max_error < 1e-5 for row in cudnn)
    assert all(row.skipped for row in rows if row.impl == "triton")
    assert cudnn[-1].flop_floor_ms > cudnn[-2].flop_floor_ms  # the last adds the 1x1


def test_the_reference_is_float64_up_to_full_hd_then_float32() -> None:
    assert reference_dtype((1000, 1500)) == torch.float64
    assert reference_dtype((2160, 3840)) == torch.float32


def test_unknown_impl_is_named() -> None:
    with pytest.raises(ValueError, match="'tensorrt'"):
        bench_drdb((4, 4), torch.float32, impls=["eager", "tensorrt"], device=CPU)


def test_environment_names_the_versions() -> None:
    info = environment(CPU)
    assert info["torch"] == torch.__version__
    assert info["device"].startswith("cpu")
