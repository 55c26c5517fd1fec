"""Source HDR images for synthesis: finding, loading and splitting them.

The split is by whole image, never by crop: crops of one panorama share light,
colours and objects, so a validation crop from a training panorama would flatter
the network.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.data.projection import is_equirectangular
from ahdr_nodes.hdr.io.hdr_files import HDR_SUFFIXES, read_hdr

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class HDRSource:
    """One source radiance map, clamped to be non-negative.

    ``equirectangular``: a 360 x 180 degree panorama, from which the synthesiser
    may render perspective views instead of plain crops.
    """

    name: str
    radiance: np.ndarray
    equirectangular: bool

    @classmethod
    def from_array(cls, name: str, radiance: np.ndarray) -> HDRSource:
        """Check an HxWx3 radiance map and make a source of it."""
        image = np.asarray(radiance, dtype=np.float32)
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 2:
            raise UserError(f"{name}: expected an HxWx3 HDR image, got shape {image.shape}")
        if not np.isfinite(image).all():
            raise UserError(f"{name}: HDR image holds NaN or infinite values")
        # compressed EXRs carry small negative values; radiance cannot be negative
        image = np.ascontiguousarray(np.maximum(image, 0.0))
        if not image.any():
            raise UserError(f"{name}: HDR image is black everywhere")
        return cls(name=name, radiance=image, equirectangular=is_equirectangular(image))


def bundled_hdri_files() -> list[Path]:
    """The small CC0 panoramas shipped with the package (see assets/HDRI_LICENSE.txt)."""
    return sorted(ASSETS.glob("*.exr"))


def find_hdr_files(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The .exr/.hdr files of a folder (sorted by name), or the given files checked.

    Raises UserError naming the folder when it holds no HDR file, or naming a
    listed file that is missing or not HDR.
    """
    if isinstance(source, (str, os.PathLike)):
        folder = Path(source)
        if folder.is_dir():
            files = sorted(
                p
                for p in folder.iterdir()
                if p.suffix.lower() in HDR_SUFFIXES and not p.name.startswith(".")
            )
            if not files:
                raise UserError(f"{folder}: no .exr or .hdr files in this folder")
            return files
        source = [folder]
    files = [Path(p) for p in source]
    if not files:
        raise UserError("no source HDR files given")
    for path in files:
        if path.suffix.lower() not in HDR_SUFFIXES:
            raise UserError(f"{path}: not an HDR file (use .exr or .hdr)")
        if not path.is_file():
            raise UserError(f"{path}: file not found")
    return files


def load_sources(files: Sequence[str | os.PathLike[str]]) -> list[HDRSource]:
    """Read each file once; synthesis then cuts many examples from memory."""
    return [HDRSource.from_array(Path(p).name, read_hdr(p)) for p in files]


SOURCES_TABLE = "SOURCES.tsv"


def source_kinds(files: Sequence[str | os.PathLike[str]]) -> dict[str, str]:
    """File name -> kind ("panorama", "photo", ...) from the SOURCES.tsv tables beside
    the files (columns ``short_name`` and ``kind``); files without an entry are absent."""
    kinds: dict[str, str] = {}
    for folder in sorted({Path(p).parent for p in files}):
        table = folder / SOURCES_TABLE
        if not table.is_file():
            continue
        rows = csv.DictReader(table.read_text(encoding="utf-8").splitlines(), delimiter="\t")
        for row in rows:
            if row.get("short_name") and row.get("kind"):
                kinds[row["short_name"]] = row["kind"]
    return {Path(p).name: kinds[Path(p).stem] for p in files if Path(p).stem in kinds}


def split_train_validation(
    files: Sequence[str | os.PathLike[str]], validation_fraction: float = 0.2
) -> tuple[list[Path], list[Path]]:
    """Split source images into (train, validation) by whole image, decided by name.

    Files are ranked by a hash of their file name, so the split does not depend on
    the folder they sit in or the order they are listed in. The split is stratified
    by kind where a SOURCES.tsv says it (see source_kinds), so photographs and
    panoramas both reach both sides: of each kind, the first ceil(fraction * n) go
    to validation, at least one while the kind has two or more files, and training
    keeps at least one. Both lists come back sorted by name.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise UserError(f"validation fraction {validation_fraction} is not in [0, 1)")
    paths = [Path(p) for p in files]
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise UserError("source HDR files must have distinct names to be split by name")
    kinds = source_kinds(paths)
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(kinds.get(path.name, ""), []).append(path)
    train: list[Path] = []
    validation: list[Path] = []
    for group in groups.values():
        count = math.ceil(validation_fraction * len(group))
        if validation_fraction > 0:
            count = max(count, 1)
        count = max(min(count, len(group) - 1), 0)
        ranked = sorted(group, key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
        validation += ranked[:count]
        train += ranked[count:]
    return sorted(train, key=lambda p: p.name), sorted(validation, key=lambda p: p.name)
