"""The HDR plugin's CLI commands; ``register_commands`` adds them to ``ahdr``."""

from __future__ import annotations

from typing import Any

from ahdr_nodes.hdr.commands.batch import batch
from ahdr_nodes.hdr.commands.data import data
from ahdr_nodes.hdr.commands.evaluate import eval_command
from ahdr_nodes.hdr.commands.merge import merge


def add_commands(cli: Any) -> None:
    """Add the top-level commands, and the HDR benchmarks to ``ahdr bench``."""
    for command in (batch, data, eval_command, merge):
        cli.add_command(command)
