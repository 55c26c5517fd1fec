"""The HDR plugin: registers the HDR nodes and commands like any third-party plugin.

It registers through its own entry point (``hdr`` in pyproject.toml) and uses
only the public ``ahdr_nodes`` API. Nothing heavy is imported here: nodes load
when a graph needs them, commands when they run, torch when a node runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ahdr_nodes import hookimpl


@hookimpl
def register_nodes(register: Callable[[type], None]) -> None:
    from ahdr_nodes.hdr.nodes import NODES

    for node_class in NODES:
        register(node_class)


@hookimpl
def register_commands(cli: Any) -> None:
    from ahdr_nodes.hdr.commands import add_commands

    add_commands(cli)


@hookimpl
def run_context() -> AbstractContextManager[Any]:
    """Graphs run under ``torch.inference_mode``: no autograd bookkeeping."""
    import torch

    return torch.inference_mode()
