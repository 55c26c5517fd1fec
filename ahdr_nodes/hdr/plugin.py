"""The HDR plugin: registers the HDR nodes and commands like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable
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
