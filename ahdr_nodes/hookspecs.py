"""The hooks a plugin may implement. Pluggy project name: ``ahdr_nodes``.

Plugins import ``hookimpl`` from ``ahdr_nodes`` and decorate functions named
after these specs. Built-in plugins register through the same hooks.

``register_commands`` is historic: the CLI calls it once, and a plugin that
registers later still gets the call (at its registration, so one failing plugin
is recorded without stopping the others). ``run_context`` collects every
plugin's answer; the observer hooks return nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pluggy

PROJECT_NAME = "ahdr_nodes"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_nodes(register: Callable[[type], None]) -> None:
    """Register node classes: call ``register(NodeClass)`` once per node."""


@hookspec(historic=True)
def register_commands(cli: Any) -> None:
    """Add commands to the ``ahdr`` click group (``cli.add_lazy_command`` keeps
    ``ahdr --help`` from importing the command's module)."""


@hookspec
def run_context() -> AbstractContextManager[Any] | None:
    """A context manager the executor enters around a whole run (for example
    ``torch.inference_mode``), or None. The core itself needs none."""


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
