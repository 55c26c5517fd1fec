"""``ahdr weights``: convert and inspect AHDRNet weights files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ahdr_nodes.hdr.model import average_weights, import_official, resolve_weights, write_weights
from ahdr_nodes.hdr.ops.linearise import DEFAULT_RESPONSE, RESPONSES


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


@weights.command(name="validate")
@click.argument("specs", nargs=-1, required=True)
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    help="The images `ahdr train --data` was given: only its held-out images are used.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--examples", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--crop", type=click.IntRange(min=8), default=256, show_default=True)
@click.option(
    "--response", type=click.Choice(RESPONSES), default=DEFAULT_RESPONSE, show_default=True
)
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads for torch.")
def validate_command(
    specs: tuple[str, ...],
    data: tuple[str, ...],
    seed: int,
    examples: int,
    crop: int,
    response: str,
    threads: int | None,
) -> None:
    """Score SPECS (builtin or weights files) on a training run's validation brackets:
    PSNR-mu of the network alone on EXAMPLES brackets synthesised from the images that
    `ahdr train --data` holds out, as its own validation does (same --seed, --examples and
    --crop give the same brackets). Compares checkpoints, averages and shipped weights."""
    import torch

    from ahdr_nodes.hdr.commands.train import split_sources
    from ahdr_nodes.hdr.model import AHDRNet, load_weights
    from ahdr_nodes.hdr.train.validation import ValidationSet

    resolved = [resolve_weights(spec) for spec in specs]
    if threads:
        torch.set_num_threads(threads)
    _, held_out = split_sources(data)
    brackets = ValidationSet(held_out, seed, examples, crop, response)
    click.echo(
        f"{examples} brackets of {crop} px from {len(held_out)} held-out image(s), seed {seed}"
    )
    click.echo(f"{brackets.reference_only_psnr_mu():7.3f} dB  the reference frame alone")
    for spec, weights_file in zip(specs, resolved, strict=True):
        model = AHDRNet(weights_file.config)
        load_weights(model, weights_file)
        click.echo(f"{brackets.psnr_mu(model, torch.device('cpu')):7.3f} dB  {spec}")


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
