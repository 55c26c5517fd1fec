"""``ahdr data synth``: synthetic scenes in the Kalantari layout, cut from real HDR images.

The scenes can be read by any tool that reads the Kalantari dataset, so a peer's
merger can be evaluated on exactly the brackets ours is.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from tqdm import tqdm

from ahdr_nodes import UserError
from ahdr_nodes.hdr.commands.size import parse_size
from ahdr_nodes.hdr.data.kalantari import synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, find_hdr_files, split_train_validation
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.scene_folder import SYNTHETIC_FILE

BUNDLED = "bundled"
SPLITS = ("all", "train", "validation")


def source_files(src: str, split: str) -> list[Path]:
    """The HDR images of ``src`` (a folder, one file, or ``bundled``) in the chosen split.

    The split is by whole image (see sources.split_train_validation), so scenes
    synthesised from the validation split never share a panorama with training.
    """
    files = bundled_hdri_files() if src == BUNDLED else find_hdr_files(src)
    if split == "all":
        return files
    train, validation = split_train_validation(files)
    chosen = train if split == "train" else validation
    if not chosen:
        raise UserError(f"{src}: {len(files)} source image(s) leave nothing for the {split} split")
    return chosen


@click.group()
def data() -> None:
    """Datasets: synthetic brackets with known ground truth."""


@data.command()
@click.argument("src")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--scenes", type=click.IntRange(min=1), required=True, help="Scenes to write.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--size", default="256x256", show_default=True, help="WIDTHxHEIGHT of each scene.")
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    default="all",
    show_default=True,
    help="Which source images to cut from: the training or the held-out validation split.",
)
@click.option("--overwrite", is_flag=True, help="Replace scene folders that already exist.")
def synth(
    src: str, out_dir: Path, scenes: int, seed: int, size: str, split: str, overwrite: bool
) -> None:
    """Write synthetic scenes 001, 002, ... into OUT_DIR, cut from the HDR images of SRC.

    SRC is a folder of .exr/.hdr images, one such file, or `bundled` for the two
    small panoramas shipped with the package (write ./bundled for a folder of that
    name). Each scene folder holds 16-bit .tif frames, exposure.txt, the ground
    truth HDRImg.hdr and synthetic.json (seed, index, whether anything moves).
    The same SRC, seed, size and split give the same scenes.
    """
    config = SynthConfig(size=parse_size(size))
    files = source_files(src, split)
    bar = tqdm(total=scenes, unit="scene", desc="synth", disable=not sys.stderr.isatty())
    start = time.perf_counter()
    try:
        folders = synthesise_dataset(
            files,
            out_dir,
            scenes,
            seed,
            lambda done, total: bar.update(done - bar.n),
            config=config,
            overwrite=overwrite,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    dynamic = sum(json.loads((f / SYNTHETIC_FILE).read_text())["dynamic"] for f in folders)
    click.echo(
        f"wrote {len(folders)} scenes ({len(folders) - dynamic} static, {dynamic} dynamic) "
        f"from {len(files)} source image(s) to {out_dir} in {elapsed:.1f} s "
        f"({len(folders) / elapsed:.2f} scenes/s)"
    )
