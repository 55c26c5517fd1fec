"""``ahdr weights``: convert and inspect AHDRNet weights files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ahdr_nodes.hdr.model import average_weights, import_official, resolve_weights, write_weights


def _output_options(command: Callable[..., None]) -> Callable[..., None]:
    """-o/--output (the .safetensors file to write) and --overwrite, for commands that write
    weights."""
    command = click.option("--overwrite", is_flag=True)(command)
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        required=True,
        help="The .safetensors file to write.",
    )(command)


@click.group()
def weights() -> None:
    """Convert and inspect AHDRNet weights (safetensors only at load time)."""


@weights.command(name="import")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@_output_options
def import_command(checkpoint: Path, output: Path, overwrite: bool) -> None:
    """Convert a checkpoint of the official AHDRNet code (.pt state dict).

    Read with torch.load(weights_only=True): no arbitrary code runs. The unused
    attConv1/attConv3 layers of the official model are dropped.
    """
    import_official(checkpoint, output, overwrite=overwrite)
    click.echo(f"wrote {output}")


@weights.command(name="average")
@click.argument("sources", nargs=-1, required=True)
@_output_options
def average_command(sources: tuple[str, ...], output: Path, overwrite: bool) -> None:
    """Average SOURCES (weights files of one architecture, e.g. a run's last checkpoints
    kept with `ahdr train --keep-checkpoints`) into one weights file."""
    state, config = average_weights(list(sources))
    write_weights(state, config, output, overwrite)
    click.echo(f"wrote {output}: the mean of {len(sources)} weights files")


@weights.command(name="info")
@click.argument("spec")
def info(spec: str) -> None:
    """Show the architecture and tensor count of SPEC (builtin, random or a path)."""
    resolved = resolve_weights(spec)
    tensors = resolved.tensors
    count = len(tensors) if not isinstance(tensors, Path) else len(_names(tensors))
    click.echo(f"{resolved.label}: {count} tensors, architecture {resolved.config.to_json()}")


def _names(path: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return list(handle.keys())
