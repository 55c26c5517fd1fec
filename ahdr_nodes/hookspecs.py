"""The hooks a plugin may implement. Pluggy project name: ``ahdr_nodes``.

Plugins import ``hookimpl`` from ``ahdr_nodes`` and decorate functions named
after these specs. Built-in plugins register through the same hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT_NAME = "ahdr_nodes"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_nodes(register: Callable[[type], None]) -> None:
    """Register node classes: call ``register(NodeClass)`` once per node."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``ahdr`` click group."""


@hookspec
def before_node(node_id: str, node_type: str, cache_key: str) -> None:
    """A node is about to run."""


@hookspec
def after_node(node_id: str, node_type: str, seconds: float) -> None:
    """A node finished; ``seconds`` is its wall time."""


@hookspec
def node_cached(node_id: str, node_type: str, cache_key: str) -> None:
    """A node's outputs came from the cache; it did not run."""


@hookspec
def node_error(node_id: str, node_type: str, error: BaseException) -> None:
    """A node raised; the run stops after this hook."""


@hookspec
def node_progress(node_id: str, done: int, total: int | None, desc: str) -> None:
    """A running node reported progress (tiles, batches, frames)."""


@hookspec
def node_message(node_id: str, level: str, message: str) -> None:
    """A running node emitted a warning or info message."""
