"""``ahdr train``: train AHDRNet on synthetic brackets cut from HDR images.

Run it plainly for one process, or under ``torchrun --nproc-per-node N -m
ahdr_nodes.cli.main train ...`` (or ``torchrun $(which ahdr) train ...``) for
torch DDP on several GPUs or nodes; the global batch stays ``--batch``.
"""

from __future__ import annotations

from pathlib import Path

import click
import torch

from ahdr_nodes import UserError, check_writable
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, find_hdr_files, split_train_validation
from ahdr_nodes.hdr.model import RUN_RECORD_NAME, AHDRNetConfig, resolve_weights
from ahdr_nodes.hdr.ops.linearise import DEFAULT_RESPONSE, RESPONSES
from ahdr_nodes.hdr.train import TrainConfig, train
from ahdr_nodes.hdr.train.checkpoint import STATE_FILE
from ahdr_nodes.hdr.train.config import AMP_CHOICES, DEVICE_CHOICES
from ahdr_nodes.hdr.train.loop import CURVES_FILE, WEIGHTS_FILE

BUNDLED = "bundled"


def split_sources(data: tuple[str, ...]) -> tuple[list[Path], list[Path]]:
    """(train, validation) images of ``--data``: whole images held out for validation."""
    if data == (BUNDLED,):
        files = bundled_hdri_files()
    elif len(data) == 1:
        files = find_hdr_files(data[0])
    else:
        files = find_hdr_files(data)
    train_files, validation_files = split_train_validation(files)
    if not validation_files:
        raise UserError(
            f"--data {' '.join(data)}: {len(files)} HDR image(s); training needs at least 2, "
            "so that whole images can be held out for validation"
        )
    return train_files, validation_files


def check_out_folder(out: Path, resume: bool) -> None:
    """Before training: --out must be a folder that can be written, and a fresh run
    must find none of the files it writes there (it replaces them as it goes: a
    user's curves.png, an earlier run's weights), so nothing is lost unasked."""
    check_writable(out / STATE_FILE, overwrite=True)
    if resume or not out.is_dir():
        return
    names = (STATE_FILE, RUN_RECORD_NAME, CURVES_FILE, WEIGHTS_FILE)
    taken = [out / name for name in names if (out / name).exists()]
    taken += sorted(out.glob("checkpoint-*.safetensors"))
    if taken:
        raise UserError(
            f"{taken[0]}: already exists; a fresh run would replace it "
            "(choose another --out, or pass --resume)"
        )


@click.command("train")
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    help="A folder of .exr/.hdr images, HDR files (repeat --data), or `bundled`.",
)
@click.option("--steps", type=click.IntRange(min=1), required=True, help="Total training steps.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--batch", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--crop", type=click.IntRange(min=8), default=256, show_default=True)
@click.option("--lr", type=float, default=1e-4, show_default=True, help="Adam learning rate.")
@click.option(
    "--lr-drop-at",
    type=float,
    default=0.8,
    show_default=True,
    help="Fraction of --steps after which the learning rate drops x0.1.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--amp", type=click.Choice(AMP_CHOICES), default="none", show_default=True)
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads for torch.")
@click.option("--val-every", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--val-examples", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--val-crop", type=click.IntRange(min=8), default=256, show_default=True)
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in --out.")
@click.option(
    "--stop-at", type=click.IntRange(min=1), help="End this session after this step (resumable)."
)
@click.option("--time-limit", type=float, help="End this session after so many seconds.")
@click.option(
    "--response",
    type=click.Choice(RESPONSES),
    default=DEFAULT_RESPONSE,
    show_default=True,
    help="How frames are linearised: match the Linearise node of the graphs served.",
)
@click.option(
    "--scenes",
    type=click.Path(path_type=Path),
    help="Train on crops of these scene folders (Kalantari layout with HDRImg.hdr, e.g. "
    "Kalantari's real training set) instead of brackets synthesised from --data; "
    "validation still synthesises from --data's held-out images.",
)
@click.option(
    "--init",
    help="Start from these weights (`builtin` or a .safetensors file) instead of a random "
    "initialisation: fine-tune shipped weights on another camera or dataset.",
)
@click.option(
    "--keep-checkpoints",
    is_flag=True,
    help="Keep every checkpoint-STEP.safetensors, not only the latest (to average the last "
    "ones with `ahdr weights average`).",
)
def train_command(
    data: tuple[str, ...],
    steps: int,
    out: Path,
    batch: int,
    crop: int,
    lr: float,
    lr_drop_at: float,
    seed: int,
    amp: str,
    device: str,
    workers: int,
    threads: int | None,
    val_every: int,
    val_examples: int,
    val_crop: int,
    checkpoint_every: int,
    resume: bool,
    stop_at: int | None,
    time_limit: float | None,
    response: str,
    scenes: Path | None,
    init: str | None,
    keep_checkpoints: bool,
) -> None:
    """Train AHDRNet: L1 on mu-law tonemapped output, Adam, checkpoints in OUT.

    OUT receives checkpoint.pt + checkpoint-STEP.safetensors (resume with
    --resume and the same settings for an exact continuation), training.json,
    curves.png and, when all --steps are done, ahdrnet.safetensors.
    """
    check_out_folder(out, resume)
    if threads is not None:
        torch.set_num_threads(threads)
    train_files, validation_files = split_sources(data)
    model = AHDRNetConfig() if init is None else resolve_weights(init).config
    config = TrainConfig(
        train_files=tuple(train_files),
        validation_files=tuple(validation_files),
        out=out,
        steps=steps,
        batch=batch,
        crop=crop,
        lr=lr,
        lr_drop_at=lr_drop_at,
        seed=seed,
        amp=amp,
        device=device,
        workers=workers,
        val_every=val_every,
        val_examples=val_examples,
        val_crop=val_crop,
        checkpoint_every=checkpoint_every,
        resume=resume,
        stop_at=stop_at,
        time_limit=time_limit,
        response=response,
        scenes=scenes,
        init=init,
        keep_checkpoints=keep_checkpoints,
        model=model,
    )
    result = train(config)
    if result.weights is not None:
        click.echo(
            f"trained {result.step} steps in {result.elapsed:.0f} s; weights: {result.weights}"
        )
    else:
        click.echo(
            f"stopped at step {result.step} of {steps} after {result.elapsed:.0f} s; "
            f"continue with --resume (checkpoint in {out})"
        )
