"""The `ahdr bench` subcommands run on the CPU, print their tables and write JSON."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_bench_drdb_and_model_tables(tmp_path, ahdr):
    out = tmp_path / "drdb.json"
    result = ahdr("bench", "drdb", "--size", "24x16", "--impl", "eager,triton", "--json", str(out))
    assert result.code == 0, result.err
    assert "eager" in result.out and "skipped" in result.out  # triton needs CUDA
    rows = json.loads(out.read_text())["rows"]
    eager = next(row for row in rows if row["impl"] == "eager")
    assert eager["median_ms"] > 0 and eager["speedup_vs_eager"] == 1.0
    model = ahdr("bench", "model", "--size", "24x16", "--impl", "eager")
    assert model.code == 0 and "model 24x16 float32" in model.out


def test_bench_rejects_unknown_impl_and_size(ahdr):
    bad_impl = ahdr("bench", "drdb", "--impl", "magic")
    assert bad_impl.code == 2 and "--impl 'magic'" in bad_impl.err
    bad_size = ahdr("bench", "model", "--size", "big")
    assert bad_size.code == 2 and "--size" in bad_size.err


@pytest.mark.slow
def test_bench_pipeline_compares_graph_and_bare(tmp_path, ahdr):
    out = tmp_path / "pipeline.json"
    result = ahdr("bench", "pipeline", "--size", "40x32", "--layout", "nhwc", "--json", str(out))
    assert result.code == 0, result.err
    bare, graph = json.loads(out.read_text())
    assert (bare["variant"], graph["variant"]) == ("bare", "graph")
    assert bare["seconds"] > 0 and graph["peak_rss_mib"] > 0
    assert "graph/bare" in result.out


def test_bench_synth_reports_a_rate(ahdr):
    result = ahdr("bench", "synth", "--size", "32x32", "--examples", "8", "--workers", "0")
    assert result.code == 0, result.err
    assert result.out.startswith("32x32, 0 workers:") and "examples/s" in result.out
