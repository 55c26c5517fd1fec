"""The HDR plugin's CLI commands; ``register_commands`` adds them to ``ahdr``."""

from __future__ import annotations

from typing import Any

from ahdr_nodes.hdr.commands.batch import batch
from ahdr_nodes.hdr.commands.bench import BENCH_COMMANDS
from ahdr_nodes.hdr.commands.data import data
from ahdr_nodes.hdr.commands.demo import demo
from ahdr_nodes.hdr.commands.evaluate import eval_command
from ahdr_nodes.hdr.commands.merge import merge
from ahdr_nodes.hdr.commands.train import train_command
from ahdr_nodes.hdr.commands.weights import weights


def add_commands(cli: Any) -> None:
    """Add the top-level commands, and the HDR benchmarks to ``ahdr bench``."""
    for command in (batch, data, demo, eval_command, merge, train_command, weights):
        cli.add_command(command)
    for command in BENCH_COMMANDS:
        cli.commands["bench"].add_command(command)
