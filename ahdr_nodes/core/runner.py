"""Running a graph from Python or the CLI: find it, set its inputs, validate, execute."""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from ahdr_nodes.core.executor import Executor, registered
from ahdr_nodes.core.graph_file import GraphSpec, apply_inputs, load_graph_file
from ahdr_nodes.core.observers import Profiler, ProgressBars
from ahdr_nodes.core.plugins import Plugins, get_plugins
from ahdr_nodes.core.validate import ValidGraph, validate


def resolve_graph_path(graph: str) -> Path:
    """A graph path, or the name of a bundled graph (``ahdrnet`` -> graphs/ahdrnet.yaml)."""
    path = Path(graph)
    if path.exists() or path.suffix in {".yaml", ".yml"}:
        return path
    from ahdr_nodes.graphs import bundled_graph

    return bundled_graph(graph)


def load_graph(graph: str | Path) -> GraphSpec:
    """Read a graph file, or a bundled graph by name."""
    return load_graph_file(resolve_graph_path(str(graph)))


def prepare(
    graph: str | Path | GraphSpec,
    inputs: Mapping[str, Any] | None = None,
    plugins: Plugins | None = None,
) -> ValidGraph:
    """Load (if a path or bundled name), set ``inputs`` and validate a graph.

    ``inputs`` maps a declared graph input ``NAME`` or a ``NODE.PARAM`` to a
    value, e.g. ``{"ev": [-2, 0, 2], "frames": ["a.tif", "b.tif"]}``.
    """
    plugins = plugins or get_plugins()
    spec = graph if isinstance(graph, GraphSpec) else load_graph(graph)
    apply_inputs(spec, inputs or {})
    return validate(spec, plugins.registry)


def run_graph(
    graph: str | Path | GraphSpec,
    inputs: Mapping[str, Any] | None = None,
    *,
    plugins: Plugins | None = None,
    targets: list[str] | None = None,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    observers: Sequence[object] = (),
) -> dict[str, Any]:
    """Validate then run a graph; ``observers`` are hook implementations
    (progress bars, profilers) registered for this run only."""
    plugins = plugins or get_plugins()
    valid = prepare(graph, inputs, plugins)
    with registered(plugins, *observers):
        return Executor(plugins.hook, cache=cache).run(valid, targets)


def execute(
    valid: ValidGraph, targets: list[str] | None = None, quiet: bool = False
) -> tuple[dict[str, Any], Profiler]:
    """Run a validated graph with progress bars (on a terminal), node warnings on
    stderr, and per-node timing; for every command that runs a graph."""
    plugins = get_plugins()
    executor = Executor(plugins.hook)
    plan = executor.needed(valid, targets)
    bars = ProgressBars(len(plan), enabled=not quiet and sys.stderr.isatty())
    profiler = Profiler()
    try:
        with registered(plugins, bars, profiler):
            results = executor.run(valid, targets)
    finally:
        bars.close()
    return results, profiler
