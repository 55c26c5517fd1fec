"""`ahdr bench` machinery on the CPU: real timings of what runs here, reasons for the rest."""

from __future__ import annotations

import pytest
import torch
from ahdr_kernels.bench import (
    DRDB_MACS_PER_PIXEL,
    bench_drdb,
    bench_model,
    environment,
    format_table,
    parse_size,
)

from ahdr_nodes.hdr.model import AHDRNet

CPU = torch.device("cpu")


def test_drdb_bench_times_eager_and_says_why_gpu_impls_are_skipped() -> None:
    rows = bench_drdb(
        (6, 10),
        torch.float32,
        impls=["eager", "eager-channels-last", "compile-cudagraphs", "triton"],
        device=CPU,
    )

    by_impl = {row.impl: row for row in rows}
    assert list(by_impl) == ["eager", "eager-channels-last", "compile-cudagraphs", "triton"]
    for impl in ("eager", "eager-channels-last"):
        row = by_impl[impl]
        assert row.skipped is None
        assert row.median_ms > 0
        assert row.tflops == pytest.approx(2 * DRDB_MACS_PER_PIXEL * 60 / row.median_ms / 1e9)
        assert row.peak_memory_mib is None  # only measured on CUDA
    assert by_impl["eager"].speedup_vs_eager == 1.0
    assert "CUDA graphs" in by_impl["compile-cudagraphs"].skipped
    assert "CUDA" in by_impl["triton"].skipped
    assert by_impl["triton"].median_ms is None
    first = rows[0]
    assert first.flop_floor_ms > 0 and first.byte_floor_ms > 0
    assert first.flop_floor_ms == pytest.approx(
        2 * DRDB_MACS_PER_PIXEL * 60 / (first.matmul_tflops * 1e12) * 1e3
    )

    table = format_table(rows)
    assert "drdb 10x6 float32 on cpu" in table
    assert "skipped: CUDA graphs need CUDA" in table
    assert len(table.splitlines()) == 2 + len(rows)


def test_model_bench_runs_the_network_from_a_factory() -> None:
    built = []

    def build(impl: str) -> AHDRNet:
        built.append(impl)
        return AHDRNet(impl=impl)

    rows = bench_model(
        build, lambda h, w: (torch.rand(1, 3, 6, h, w),), (8, 8), torch.float32, ["eager"], CPU
    )

    assert [row.impl for row in rows] == ["eager"]
    assert rows[0].median_ms > 0 and rows[0].workload == "model"
    assert built == ["eager", "eager"]  # once for the parameter count, once to run


def test_unknown_impl_is_named() -> None:
    with pytest.raises(ValueError, match="'tensorrt'"):
        bench_drdb((4, 4), torch.float32, impls=["eager", "tensorrt"], device=CPU)


@pytest.mark.parametrize(
    ("text", "expected"), [("1500x1000", (1000, 1500)), ("3840X2160", (2160, 3840))]
)
def test_size_is_width_by_height(text: str, expected: tuple[int, int]) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["1500", "x1000", "0x5", "15a0x1000", "-1x4"])
def test_bad_size_is_named(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text)):
        parse_size(text)


def test_environment_names_the_versions() -> None:
    info = environment(CPU)
    assert info["torch"] == torch.__version__
    assert info["device"].startswith("cpu")
