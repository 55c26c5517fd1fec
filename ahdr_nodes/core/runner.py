"""One entry point for running a graph file from Python or the CLI."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

from ahdr_nodes.core.executor import Executor, registered
from ahdr_nodes.core.graph_file import GraphSpec, apply_overrides, load_graph_file
from ahdr_nodes.core.plugins import Plugins, get_plugins
from ahdr_nodes.core.validate import ValidGraph, validate


def prepare(
    graph: str | Path | GraphSpec, overrides: Sequence[str] = (), plugins: Plugins | None = None
) -> ValidGraph:
    """Load (if a path), apply ``--set`` overrides and validate a graph."""
    plugins = plugins or get_plugins()
    spec = graph if isinstance(graph, GraphSpec) else load_graph_file(graph)
    apply_overrides(spec, list(overrides))
    return validate(spec, plugins.registry)


def run_graph(
    graph: str | Path | GraphSpec,
    overrides: Sequence[str] = (),
    *,
    plugins: Plugins | None = None,
    targets: list[str] | None = None,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    observers: Sequence[object] = (),
) -> dict[str, Any]:
    """Validate then run a graph; ``observers`` are hook implementations
    (progress bars, profilers) registered for this run only."""
    plugins = plugins or get_plugins()
    valid = prepare(graph, overrides, plugins)
    with registered(plugins, *observers):
        return Executor(plugins.hook, cache=cache).run(valid, targets)
