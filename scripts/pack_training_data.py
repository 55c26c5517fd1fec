#!/usr/bin/env python3
"""Pack the HDR training sources into a compact folder that can travel to a lent GPU.

Why: a GPU call carries the repository's tracked files plus a few ignored paths,
64 MiB in all, and the shared data folder (about 90 MB) is not there. This writes
a copy that fits: every image downscaled so its longer side is at most --max-side
(a 2:1 panorama stays exactly 2:1, so the synthesiser still treats it as
equirectangular), written as half-float EXR through the project's own
``write_hdr`` with a lossy compression (DWAB by default), beside unchanged copies
of SOURCES.tsv and the licence files (the OpenEXR sample images are BSD-3: their
notice must travel with anything derived from them). File names are kept, so the
train/validation split (a hash of the name, stratified by SOURCES.tsv's kind
column) is the same as on the originals.

When the images at --max-side exceed --budget-mb, the longer-side limit shrinks
(to a multiple of 32 px, guessed from the area the budget allows, then step by
step) until they fit; images already smaller keep their size.
The folder is written under a temporary name and swapped in at the end, so a
reader sees the old copy or the complete new one.

Usage (from the repository root; the default output .whl/hdri is git-ignored):

    .venv/bin/python scripts/pack_training_data.py ../shared/data/hdri
    .venv/bin/python scripts/pack_training_data.py ../shared/data/hdri --out .whl/hdri \
        --max-side 1024 --budget-mb 30 --compression dwab

It prints the number of images, the size of the packed folder and of the working
tree a GPU call would carry (tracked + untracked-not-ignored files + .whl/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from ahdr_nodes.core.errors import UserError  # noqa: E402
from ahdr_nodes.hdr.data.sources import SOURCES_TABLE, find_hdr_files  # noqa: E402
from ahdr_nodes.hdr.io.hdr_files import EXR_COMPRESSIONS, read_hdr, write_hdr  # noqa: E402

MIB = 1024 * 1024
MB = 1000 * 1000
SIDE_STEP = 32
MIN_SIDE = 128
TRAVEL_LIMIT = 64 * MIB  # what one GPU call may carry in all
NOTE_FILE = "PACKING.txt"


@dataclass(frozen=True)
class PackResult:
    """What ``pack`` wrote: image count, bytes of the images, longer-side limit used."""

    out: Path
    images: int
    image_bytes: int
    total_bytes: int
    max_side: int


def target_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(height, width) with the longer side at most ``max_side``; 2:1 stays exactly 2:1."""
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return height, width
    if width == 2 * height:
        new_height = max(1, round(height * scale))
        return new_height, 2 * new_height
    return max(1, round(height * scale)), max(1, round(width * scale))


def downscale(image: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average down to ``max_side`` (no ringing, unlike cubic: HDR has hot pixels)."""
    height, width = image.shape[:2]
    new_height, new_width = target_size(height, width, max_side)
    if (new_height, new_width) == (height, width):
        return image
    return cv2.resize(image, (new_width, new_height), interpolation=cv2.INTER_AREA)


def next_side(side: int, written: int, budget: int) -> int:
    """A smaller longer-side limit to try: bytes grow about with area, so scale by the
    square root of budget/written (2 % under, since small images do not shrink), rounded
    down to a multiple of SIDE_STEP and at least one step below ``side``."""
    guess = int(side * (budget / written) ** 0.5 * 0.98) // SIDE_STEP * SIDE_STEP
    return min(guess, side - SIDE_STEP)


def _side_files(source: Path) -> list[Path]:
    """SOURCES.tsv and every licence file beside the images: they must travel with them."""
    return sorted(
        p
        for p in source.iterdir()
        if p.is_file() and (p.name == SOURCES_TABLE or "license" in p.name.lower())
    )


def _write_images(
    images: dict[str, np.ndarray], folder: Path, max_side: int, compression: str, jobs: int
) -> int:
    def one(item: tuple[str, np.ndarray]) -> int:
        name, image = item
        # radiance is never negative; the loader clamps anyway, and zeros compress better
        small = np.maximum(downscale(image.astype(np.float32), max_side), 0.0)
        path = write_hdr(folder / name, small, half=True, compression=compression, overwrite=True)
        return path.stat().st_size

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return sum(pool.map(one, images.items()))


def pack(
    source: Path,
    out: Path,
    *,
    max_side: int = 1024,
    budget_bytes: int = 30 * MB,
    compression: str = "dwab",
    jobs: int | None = None,
    log=print,
) -> PackResult:
    """Write the compact copy of ``source`` to ``out`` (replacing it); see the module doc."""
    if compression not in EXR_COMPRESSIONS:
        raise UserError(f"compression {compression!r} is not one of {', '.join(EXR_COMPRESSIONS)}")
    source, out = Path(source), Path(out)
    if source.resolve() == out.resolve():
        raise UserError(f"{out}: the output folder must differ from the source folder")
    files = find_hdr_files(source)
    side_files = _side_files(source)
    # half floats hold every value the writer keeps, at half the memory of float32
    images = {p.name: read_hdr(p).astype(np.float16) for p in files}
    jobs = jobs or min(8, os.cpu_count() or 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    staging.chmod(0o755)
    try:
        # no image above this shrinks, so a smaller start saves passes that change nothing
        side = min(max_side, max(max(image.shape[:2]) for image in images.values()))
        while True:
            image_bytes = _write_images(images, staging, side, compression, jobs)
            log(f"longer side <= {side}: {len(images)} images, {image_bytes / MB:.2f} MB")
            if image_bytes <= budget_bytes:
                break
            side = next_side(side, image_bytes, budget_bytes)
            if side < MIN_SIDE:
                raise UserError(
                    f"{source}: {len(images)} images do not fit {budget_bytes / MB:.1f} MB even "
                    f"with the longer side at {MIN_SIDE} px; raise --budget-mb"
                )
        for extra in side_files:
            shutil.copyfile(extra, staging / extra.name)
        (staging / NOTE_FILE).write_text(
            f"Derived from {source.name}/ by scripts/pack_training_data.py: each image "
            f"area-downscaled to a longer side of at most {side} px and written as half-float "
            f"EXR with {compression.upper()} compression (lossy). File names are unchanged; "
            "SOURCES.tsv and the licence files are copied unchanged and apply to these "
            "derived images as to the originals.\n",
            encoding="utf-8",
        )
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    return PackResult(out, len(images), image_bytes, total, side)


def _swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames; the old copy is removed after."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def travelling_bytes(root: Path = ROOT) -> int | None:
    """Bytes a GPU call would carry with .whl/: tracked and untracked-not-ignored files."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    total = 0
    for name in listed.decode().split("\0"):
        path = root / name
        if name and path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    wheels = root / ".whl"
    if wheels.is_dir():
        total += sum(p.stat().st_size for p in wheels.rglob("*") if p.is_file())
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of .exr/.hdr training sources")
    parser.add_argument("--out", type=Path, default=ROOT / ".whl" / "hdri")
    parser.add_argument("--max-side", type=int, default=1024, help="longest side, pixels")
    parser.add_argument("--budget-mb", type=float, default=30.0, help="images, in MB (1e6 B)")
    parser.add_argument("--compression", default="dwab", choices=sorted(EXR_COMPRESSIONS))
    parser.add_argument("--jobs", type=int, help="writer threads (default: min(8, CPUs))")
    args = parser.parse_args(argv)
    try:
        result = pack(
            args.source,
            args.out,
            max_side=args.max_side,
            budget_bytes=int(args.budget_mb * MB),
            compression=args.compression,
            jobs=args.jobs,
        )
    except UserError as error:
        print(f"pack_training_data: {error}", file=sys.stderr)
        return 2
    print(
        f"packed {result.images} images into {result.out}: {result.image_bytes / MB:.2f} MB of "
        f"images, {result.total_bytes / MB:.2f} MB with the tables "
        f"(longer side <= {result.max_side} px, {args.compression})"
    )
    carried = travelling_bytes()
    if carried is not None:
        verdict = "fits" if carried <= TRAVEL_LIMIT else "EXCEEDS"
        print(
            f"a GPU call carrying .whl/ would send {carried / MIB:.1f} MiB "
            f"({verdict} the 64 MiB limit)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
