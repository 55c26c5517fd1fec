"""The HDR plugin's CLI commands; ``register_commands`` adds them to ``ahdr``."""

from __future__ import annotations

from typing import Any

from ahdr_nodes.hdr.commands.batch import batch


def add_commands(cli: Any) -> None:
    """Add the top-level commands, and the HDR benchmarks to ``ahdr bench``."""
    for command in (batch,):
        cli.add_command(command)
