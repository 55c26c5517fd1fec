"""Executor benchmarks: per-node overhead and peak memory of long chains.

Both use nodes defined here and registered in-process, so the figures measure
the framework alone, not any plugin's work.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from ahdr_nodes.core.executor import Executor
from ahdr_nodes.core.graph_file import GraphSpec, NodeSpec
from ahdr_nodes.core.node import Input, Node, NodeContext, Output, Param
from ahdr_nodes.core.plugins import Plugins
from ahdr_nodes.core.validate import validate
from ahdr_nodes.hookspecs import hookimpl


class Trivial(Node):
    """Passes its input through: the cost of running it is pure executor overhead."""

    src = Input(object, optional=True)
    out = Output(object)

    def run(self, ctx: NodeContext, src: object) -> dict[str, object]:
        return {"out": src}


class Allocate(Node):
    """Returns a fresh array of ``megabytes`` MB, derived from its input."""

    src = Input(np.ndarray, optional=True)
    out = Output(np.ndarray)
    megabytes = Param(float, 64.0, minimum=0.001)

    def run(self, ctx: NodeContext, src: np.ndarray | None) -> dict[str, np.ndarray]:
        size = int(self.megabytes * 2**20 // 8)
        return {"out": np.ones(size) if src is None else src + 1.0}


class _BenchNodes:
    @hookimpl
    def register_nodes(self, register):  # type: ignore[no-untyped-def]
        register(Trivial)
        register(Allocate)


def _bench_plugins() -> Plugins:
    plugins = Plugins()
    plugins.add(_BenchNodes(), "bench-nodes", None, builtin=True)
    return plugins


def _chain(node_type: str, count: int, params: dict | None = None) -> GraphSpec:
    nodes = [NodeSpec("n0", node_type, dict(params or {}))]
    nodes += [
        NodeSpec(f"n{i}", node_type, dict(params or {}), {"src": f"n{i - 1}.out"})
        for i in range(1, count)
    ]
    return GraphSpec(nodes)


@dataclass
class OverheadResult:
    nodes: int
    validate_us_per_node: float
    run_us_per_node: float


def executor_overhead(nodes: int = 1000, repeats: int = 5) -> OverheadResult:
    """Median microseconds per node to validate and to run a chain of trivial nodes."""
    plugins = _bench_plugins()
    spec = _chain("Trivial", nodes)
    executor = Executor(plugins.hook)
    validate_times, run_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        graph = validate(spec, plugins.registry)
        validate_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        executor.run(graph)
        run_times.append(time.perf_counter() - start)
    return OverheadResult(
        nodes,
        1e6 * statistics.median(validate_times) / nodes,
        1e6 * statistics.median(run_times) / nodes,
    )


@dataclass
class MemoryResult:
    nodes: int
    intermediate_mb: float
    peak_mb: float

    @property
    def intermediates_held(self) -> float:
        return self.peak_mb / self.intermediate_mb


def chain_peak_memory(nodes: int = 20, megabytes: float = 64.0) -> MemoryResult:
    """Peak traced memory while running a chain of large intermediates."""
    plugins = _bench_plugins()
    graph = validate(_chain("Allocate", nodes, {"megabytes": megabytes}), plugins.registry)
    gc.collect()
    tracemalloc.start()
    try:
        result = Executor(plugins.hook).run(graph)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return MemoryResult(nodes, megabytes, peak / 2**20)
