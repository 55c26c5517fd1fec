"""Finding the scenes of a batch: scene folders, loose frames, or a manifest.

A scene is a bracket's frames plus where its exposures come from. Scenes turn
into batch jobs by setting a graph's declared inputs (``frames``, ``ev``,
``times``, ``exposure_file``, ``output``, ``preview``, ``overwrite``).
"""

from __future__ import annotations

import csv
import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ahdr_nodes import UserError, load_yaml, shown
from ahdr_nodes.hdr.io.exif import ExifUnreadable, read_exif
from ahdr_nodes.hdr.io.ldr_files import LDR_SUFFIXES
from ahdr_nodes.hdr.scene_folder import EXPOSURE_FILE

DATETIME_ORIGINAL_TAG = 0x9003
DEFAULT_PATTERN = "*"
MANIFEST_SUFFIXES = (".csv", ".yaml", ".yml")


@dataclass
class BracketFiles:
    """The files of one bracket to merge (a batch scene). At most one exposure source
    is set; none means EXIF. Not to be confused with a loaded ``kalantari.Scene``."""

    name: str
    frames: list[Path]
    ev: list[float] | None = None
    times: list[float] | None = None
    exposure_file: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        """Values for a graph's declared inputs that point it at this scene."""
        values: dict[str, Any] = {"frames": [str(p) for p in self.frames]}
        if self.ev is not None:
            values["ev"] = self.ev
        if self.times is not None:
            values["times"] = self.times
        if self.exposure_file is not None:
            values["exposure_file"] = str(self.exposure_file)
        return values


def _safe_name(text: str) -> str:
    """A file-name-safe scene name; never hidden, since outputs are named after it."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).lstrip(".").strip("_") or "scene"


def _visible(folder: Path) -> list[Path]:
    """Entries of ``folder`` not hidden: temporaries of atomic writes start with a dot."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _frames_in(folder: Path, pattern: str) -> list[Path]:
    return [
        p
        for p in _visible(folder)
        if p.is_file() and p.suffix.lower() in LDR_SUFFIXES and fnmatch.fnmatch(p.name, pattern)
    ]


def discover_scenes(
    source: Path,
    pattern: str = DEFAULT_PATTERN,
    group_size: int | None = None,
    max_gap_seconds: float = 2.0,
) -> list[BracketFiles]:
    """Scenes from a manifest file, a folder of scene folders, or loose frames.

    Raises UserError when there are none, or when two scenes would share a name
    (and so write the same output files).
    """
    scenes = _find_scenes(source, pattern, group_size, max_gap_seconds)
    if not scenes:
        raise UserError(f"{source}: lists no scenes")
    _refuse_shared_names(scenes, source)
    return scenes


def _find_scenes(
    source: Path, pattern: str, group_size: int | None, max_gap_seconds: float
) -> list[BracketFiles]:
    if not source.exists():
        raise UserError(f"{source}: no such file or folder")
    if source.is_file():
        if source.suffix.lower() not in MANIFEST_SUFFIXES:
            raise UserError(f"{source}: a manifest must be .csv or .yaml")
        return read_manifest(source)
    folders = [p for p in _visible(source) if p.is_dir() and _frames_in(p, pattern)]
    if folders:
        return [scene_from_folder(folder, pattern) for folder in folders]
    frames = _frames_in(source, pattern)
    if not frames:
        raise UserError(f"{source}: no scene folders and no frames matching {pattern!r}")
    return group_loose_frames(frames, group_size, max_gap_seconds)


def _refuse_shared_names(scenes: list[BracketFiles], source: Path) -> None:
    """Two scenes with one name would write one output: refuse, naming both."""
    first: dict[str, BracketFiles] = {}
    for scene in scenes:
        other = first.setdefault(scene.name, scene)
        if other is not scene:
            raise UserError(
                f"{source}: scenes starting at {other.frames[0].name} and "
                f"{scene.frames[0].name} would both be named {scene.name!r}; rename one"
            )


def scene_from_folder(folder: Path, pattern: str = DEFAULT_PATTERN) -> BracketFiles:
    """A scene folder: its frames matching ``pattern``, and its exposure.txt if any."""
    if not folder.is_dir():
        raise UserError(f"{folder}: scene folder not found")
    frames = _frames_in(folder, pattern)
    if not frames:
        raise UserError(f"{folder}: no frames matching {pattern!r} in the scene folder")
    exposure = folder / EXPOSURE_FILE
    if exposure.exists() and not exposure.is_file():  # never silently fall back to EXIF
        raise UserError(f"{exposure}: is not a file (a scene's exposures, one EV a line)")
    return BracketFiles(folder.name, frames, exposure_file=exposure if exposure.is_file() else None)


def capture_time(path: Path) -> datetime | None:
    """EXIF DateTimeOriginal, or None when the file has none."""
    try:
        raw = read_exif(path).get(DATETIME_ORIGINAL_TAG)
    except (FileNotFoundError, ExifUnreadable):
        return None
    try:
        return datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def group_loose_frames(
    frames: list[Path], group_size: int | None, max_gap_seconds: float
) -> list[BracketFiles]:
    """Group loose frames into brackets.

    With ``group_size``, consecutive files (by name) form each bracket. Otherwise
    frames are ordered by EXIF capture time and a new bracket starts wherever
    the gap between shots exceeds ``max_gap_seconds``.
    """
    if group_size is not None:
        if group_size < 2:
            raise UserError(f"--group-size {group_size}: a bracket needs at least 2 frames")
        if len(frames) % group_size:
            raise UserError(f"{len(frames)} frames do not split into brackets of {group_size}")
        groups = [frames[i : i + group_size] for i in range(0, len(frames), group_size)]
    else:
        stamped = [(capture_time(frame), frame) for frame in frames]
        missing = [frame.name for stamp, frame in stamped if stamp is None]
        if missing:
            raise UserError(f"{missing[0]}: no EXIF capture time to group by; pass --group-size")
        stamped.sort(key=lambda item: (item[0], item[1].name))
        groups, last = [], None
        for stamp, frame in stamped:
            if last is None or (stamp - last).total_seconds() > max_gap_seconds:
                groups.append([])
            groups[-1].append(frame)
            last = stamp
    return [BracketFiles(_safe_name(group[0].stem), group) for group in groups]


def read_manifest(path: Path) -> list[BracketFiles]:
    """Scenes listed in a CSV (columns scene, frame, and ev or time) or YAML file.

    YAML: ``scenes: [{name: s1, frames: [a.jpg, b.jpg, c.jpg], ev: [-2, 0, 2]}]``.
    Relative frame paths are relative to the manifest's folder.
    """
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                entries = _csv_entries(list(csv.DictReader(handle)), path)
        else:
            data = load_yaml(path.read_text(encoding="utf-8"), str(path))
            entries = data.get("scenes") if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise UserError(f"{path}: a YAML manifest needs a 'scenes' list")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as exc:
        raise UserError(f"{path}: cannot read manifest ({exc})") from None
    return [_manifest_scene(entry, index, path) for index, entry in enumerate(entries)]


def _manifest_scene(entry: object, index: int, path: Path) -> BracketFiles:
    """One manifest entry checked: a list of at least 2 frames, exposures one per frame."""
    label = f"{path}: scene {index + 1}"
    if not isinstance(entry, dict):
        raise UserError(f"{label}: expected a mapping with 'name' and 'frames'")
    frames = entry.get("frames")
    if not isinstance(frames, list) or len(frames) < 2:
        raise UserError(f"{label}: 'frames' must list at least 2 files, got {shown(frames)}")
    name = _safe_name(str(entry.get("name", f"scene{index + 1:03d}")))
    ev = _floats(entry.get("ev"), f"{label} ({name}) ev", len(frames))
    times = _floats(entry.get("times"), f"{label} ({name}) times", len(frames))
    exposure_file = entry.get("exposure_file")
    return BracketFiles(
        name,
        [path.parent / str(frame) for frame in frames],
        ev=ev,
        times=times,
        exposure_file=path.parent / str(exposure_file) if exposure_file else None,
    )


def _floats(values: object, label: str, count: int) -> list[float] | None:
    if values is None:
        return None
    try:
        if not isinstance(values, list):
            raise TypeError
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(
            f"{label}: exposures must be a list of numbers, got {shown(values)}"
        ) from None
    if len(numbers) != count:
        raise UserError(f"{label}: {len(numbers)} exposures for {count} frames")
    return numbers


def _csv_entries(rows: list[dict[str, str]], path: Path) -> list[dict]:
    if not rows or not {"scene", "frame"} <= set(rows[0]):
        raise UserError(f"{path}: CSV manifest needs columns scene, frame and ev or time")
    kind = "ev" if "ev" in rows[0] else "times" if "time" in rows[0] else None
    grouped: dict[str, dict] = {}
    for row in rows:
        entry = grouped.setdefault(row["scene"], {"name": row["scene"], "frames": []})
        entry["frames"].append(row["frame"])
        if kind is not None:
            entry.setdefault(kind, []).append(row["ev" if kind == "ev" else "time"])
    return list(grouped.values())
