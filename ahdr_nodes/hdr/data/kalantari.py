"""Datasets of scene folders in the Kalantari and Ramamoorthi (2017) layout
(hdr/scene_folder.py): listing, reading and writing them.

Synthetic scenes add ``synthetic.json`` with what the synthesiser drew, among it
whether anything moves, so evaluations can report static and dynamic scenes
apart. Reading normalises exposure times so that the shortest is 1.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.data.sources import find_hdr_files, load_sources
from ahdr_nodes.hdr.data.synth import (
    DEFAULT_CONFIG,
    Example,
    SynthConfig,
    example_rng,
    synthesise_example,
)
from ahdr_nodes.hdr.io.hdr_files import write_hdr
from ahdr_nodes.hdr.io.ldr_files import write_ldr
from ahdr_nodes.hdr.scene_folder import (
    EXPOSURE_FILE,
    GROUND_TRUTH_FILE,
    SYNTHETIC_FILE,
    read_scene_folder,
)
from ahdr_nodes.hdr.types import Bracket


@dataclass
class Scene:
    """One scene folder read back: the bracket, and the ground truth where there is one.

    ``dynamic``: whether anything moves, as recorded by the synthesiser; None for
    scenes that do not say (the real dataset).
    """

    name: str
    path: Path
    bracket: Bracket
    ground_truth: np.ndarray | None
    dynamic: bool | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def list_scenes(root: str | os.PathLike[str]) -> list[Path]:
    """The scene folders (those with an exposure.txt) in ``root``, sorted by name.

    ``root`` may itself be a scene folder. Raises UserError naming ``root`` when it
    holds no scene.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise UserError(f"{folder}: folder not found")
    if (folder / EXPOSURE_FILE).is_file():
        return [folder]
    scenes = sorted(p for p in folder.iterdir() if (p / EXPOSURE_FILE).is_file())
    if not scenes:
        raise UserError(f"{folder}: no scene folders (with {EXPOSURE_FILE}) in this folder")
    return scenes


def read_scene(folder: str | os.PathLike[str]) -> Scene:
    """Read a scene folder; frames come back sorted by exposure, shortest first."""
    path = Path(folder)
    bracket, ground_truth = read_scene_folder(path)
    metadata = _read_synthetic(path / SYNTHETIC_FILE)
    dynamic = metadata.get("dynamic")
    return Scene(
        name=path.name,
        path=path,
        bracket=bracket,
        ground_truth=ground_truth,
        dynamic=bool(dynamic) if dynamic is not None else None,
        metadata=metadata,
    )


def write_scene(
    folder: str | os.PathLike[str], example: Example, *, overwrite: bool = False, **info: Any
) -> Path:
    """Write an example as a scene folder, atomically: complete or absent.

    Frames go to IMG_0001.tif, IMG_0002.tif, ... (16-bit, shortest exposure first),
    their EVs relative to the shortest to exposure.txt, the ground truth to
    HDRImg.hdr, and the dynamic flag, the example's metadata and ``info`` to
    synthetic.json. Raises UserError when ``folder`` exists, unless ``overwrite``.
    """
    target = Path(folder)
    if target.exists() and not overwrite:
        raise UserError(f"{target}: already exists (choose an empty output folder)")
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex}.partial"
    try:
        staging.mkdir(parents=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UserError(f"{target}: cannot create scene folder ({reason})") from None
    try:
        for number, frame in enumerate(example.frames, start=1):
            write_ldr(staging / f"IMG_{number:04d}.tif", frame, bits=16)
        evs = np.log2(np.asarray(example.times, dtype=np.float64) / np.min(example.times))
        (staging / EXPOSURE_FILE).write_text("".join(f"{ev:g}\n" for ev in evs))
        write_hdr(staging / GROUND_TRUTH_FILE, example.ground_truth)
        record = {"dynamic": example.dynamic, **example.metadata, **info}
        (staging / SYNTHETIC_FILE).write_text(json.dumps(record, indent=2) + "\n")
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def synthesise_dataset(
    src_dir_or_files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    scenes: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    config: SynthConfig = DEFAULT_CONFIG,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``scenes`` synthetic scenes (folders 001, 002, ...) into ``out_dir``.

    Scene k holds example k of the seeded series (synth.example_rng(seed, k)), the
    same example SyntheticBracketDataset(sources, n, seed, config) yields at index
    k. ``progress(done, total)`` is called after each scene. Returns the folders.
    """
    if scenes < 1:
        raise UserError(f"number of scenes {scenes} must be at least 1")
    sources = load_sources(find_hdr_files(src_dir_or_files))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file, not a folder")
    width = max(3, len(str(scenes)))
    folders = [out / f"{index + 1:0{width}d}" for index in range(scenes)]
    taken = [folder for folder in folders if folder.exists()]
    if taken and not overwrite:
        raise UserError(f"{taken[0]}: already exists (choose an empty output folder)")
    written = []
    for index, folder in enumerate(folders):
        example = synthesise_example(sources, example_rng(seed, index), config)
        written.append(write_scene(folder, example, overwrite=overwrite, seed=seed, index=index))
        if progress is not None:
            progress(index + 1, scenes)
    return written


def _read_synthetic(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(record, dict):
        raise UserError(f"{path}: expected a JSON object")
    return record


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished folder to ``target``; an old ``target`` goes only after."""
    if not target.exists():
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.replace(target, retired / target.name)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
