"""The node graph versus the bare model: time and peak memory for one bracket.

Each variant runs in a fresh process so its peak resident memory is its own.
``bare`` is a plain ``AHDRNet`` forward on network inputs; ``graph`` runs the
same inputs through the executor (source -> Attention -> Merge), timed from the
first network node's start to the end of the run, so the ratio shows what the
node split and the framework add (goal: at most 2 %).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from ahdr_nodes import (
    GraphSpec,
    Node,
    NodeContext,
    NodeSpec,
    Output,
    Param,
    hookimpl,
    load_plugins,
    run_graph,
)
from ahdr_nodes.hdr.model import AHDRNet, load_weights, random_weights
from ahdr_nodes.hdr.nodes.device import memory_format
from ahdr_nodes.hdr.types import LinearStack

VARIANTS = ("bare", "graph")
TIMES = (1.0, 4.0, 16.0)


@dataclass
class PipelineResult:
    variant: str
    layout: str
    height: int
    width: int
    seconds: float
    peak_rss_mib: float


def random_stack(height: int, width: int, seed: int = 0) -> LinearStack:
    """Deterministic random frames, gamma-linearised, as a stack for AHDRNet."""
    generator = np.random.default_rng(seed)
    ldr = [generator.random((height, width, 3), dtype=np.float32) for _ in TIMES]
    linear = [frame**2.2 / time for frame, time in zip(ldr, TIMES, strict=True)]
    return LinearStack(ldr=ldr, linear=linear, times=np.array(TIMES), reference=1)


def network_inputs(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """The inputs of ``random_stack`` as AHDRNet takes them: (3, 6, H, W)."""
    return random_stack(height, width, seed).network_inputs()


class RandomStack(Node):
    """Benchmark source: the same inputs as the bare model gets, without file IO."""

    stack = Output(LinearStack)
    height = Param(int, 64, minimum=1)
    width = Param(int, 64, minimum=1)

    def run(self, ctx: NodeContext) -> dict[str, Any]:
        return {"stack": random_stack(self.height, self.width)}


class _Timer:
    """Marks when the first network node starts."""

    started: float | None = None

    @hookimpl
    def before_node(self, node_id: str, node_type: str, cache_key: str) -> None:
        if node_type == "Attention":
            self.started = time.perf_counter()


class _BenchNodes:
    @hookimpl
    def register_nodes(self, register):  # type: ignore[no-untyped-def]
        register(RandomStack)


def measure(variant: str, height: int, width: int, layout: str, memory_mb: float) -> PipelineResult:
    """Run one variant in this process and return its time and peak RSS."""
    layout_format = memory_format(layout)
    with torch.inference_mode():
        warm = AHDRNet().to(memory_format=layout_format).eval()
        warm(network_inputs(32, 32).unsqueeze(0))  # library start-up, not timed
        del warm
        if variant == "bare":
            model = AHDRNet().to(memory_format=layout_format).eval()
            load_weights(model, random_weights())
            inputs = network_inputs(height, width).unsqueeze(0)
            start = time.perf_counter()
            model(inputs)
            seconds = time.perf_counter() - start
        else:
            seconds = _graph_seconds(height, width, layout, memory_mb)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return PipelineResult(variant, layout, height, width, seconds, peak)


def _graph_seconds(height: int, width: int, layout: str, memory_mb: float) -> float:
    plugins = load_plugins()
    plugins.add(_BenchNodes(), "bench-nodes", None, builtin=True)
    params = {"weights": "random", "device": "cpu", "layout": layout, "memory_mb": memory_mb}
    spec = GraphSpec(
        [
            NodeSpec("source", "RandomStack", {"height": height, "width": width}),
            NodeSpec("attention", "Attention", dict(params), {"stack": "source.stack"}),
            NodeSpec(
                "merge", "Merge", {**params, "impl": "eager"}, {"features": "attention.features"}
            ),
        ]
    )
    timer = _Timer()
    run_graph(spec, plugins=plugins, observers=[timer])
    assert timer.started is not None
    return time.perf_counter() - timer.started


def run_isolated(
    variant: str, height: int, width: int, layout: str, memory_mb: float
) -> PipelineResult:
    """``measure`` in a fresh Python process."""
    command = [
        sys.executable,
        "-m",
        "ahdr_nodes.hdr.bench_pipeline",
        variant,
        str(height),
        str(width),
        layout,
        str(memory_mb),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return PipelineResult(**json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    name, rows, cols, fmt, budget = sys.argv[1:6]
    print(json.dumps(asdict(measure(name, int(rows), int(cols), fmt, float(budget)))))
