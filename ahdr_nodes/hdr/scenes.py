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

import yaml
from PIL import Image, UnidentifiedImageError

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.io.ldr_files import LDR_SUFFIXES

EXIF_IFD = 0x8769
DATETIME_ORIGINAL_TAG = 0x9003
DEFAULT_PATTERN = "*"
MANIFEST_SUFFIXES = (".csv", ".yaml", ".yml")


@dataclass
class Scene:
    """One bracket to merge. At most one exposure source is set; none means EXIF."""

    name: str
    frames: list[Path]
    ev: list[float] | None = None
    times: list[float] | None = None
    exposure_file: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def overrides(self) -> list[str]:
        """``--set`` overrides that point a graph's declared inputs at this scene."""
        items = [f"frames={_yaml_list(str(p) for p in self.frames)}"]
        if self.ev is not None:
            items.append(f"ev={_yaml_list(str(v) for v in self.ev)}")
        if self.times is not None:
            items.append(f"times={_yaml_list(str(v) for v in self.times)}")
        if self.exposure_file is not None:
            items.append(f"exposure_file={yaml.safe_dump(str(self.exposure_file)).strip()}")
        return items


def _yaml_list(items) -> str:  # type: ignore[no-untyped-def]
    return yaml.safe_dump([*items], default_flow_style=True).strip()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "scene"


def _frames_in(folder: Path, pattern: str) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in LDR_SUFFIXES and fnmatch.fnmatch(p.name, pattern)
    )


def discover_scenes(
    source: Path,
    pattern: str = DEFAULT_PATTERN,
    group_size: int | None = None,
    max_gap_seconds: float = 2.0,
) -> list[Scene]:
    """Scenes from a manifest file, a folder of scene folders, or loose frames."""
    if not source.exists():
        raise UserError(f"{source}: no such file or folder")
    if source.is_file():
        if source.suffix.lower() not in MANIFEST_SUFFIXES:
            raise UserError(f"{source}: a manifest must be .csv or .yaml")
        return read_manifest(source)
    folders = sorted(p for p in source.iterdir() if p.is_dir() and _frames_in(p, pattern))
    if folders:
        return [_scene_folder(folder, pattern) for folder in folders]
    frames = _frames_in(source, pattern)
    if not frames:
        raise UserError(f"{source}: no scene folders and no frames matching {pattern!r}")
    return group_loose_frames(frames, group_size, max_gap_seconds)


def _scene_folder(folder: Path, pattern: str) -> Scene:
    exposure = folder / "exposure.txt"
    return Scene(
        folder.name,
        _frames_in(folder, pattern),
        exposure_file=exposure if exposure.is_file() else None,
    )


def capture_time(path: Path) -> datetime | None:
    """EXIF DateTimeOriginal, or None when the file has none."""
    try:
        with Image.open(path) as image:
            raw = image.getexif().get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL_TAG)
    except (OSError, UnidentifiedImageError):
        return None
    try:
        return datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def group_loose_frames(
    frames: list[Path], group_size: int | None, max_gap_seconds: float
) -> list[Scene]:
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
    return [Scene(_safe_name(group[0].stem), group) for group in groups]


def read_manifest(path: Path) -> list[Scene]:
    """Scenes listed in a CSV (columns scene, frame, and ev or time) or YAML file.

    YAML: ``scenes: [{name: s1, frames: [a.jpg, b.jpg, c.jpg], ev: [-2, 0, 2]}]``.
    Relative frame paths are relative to the manifest's folder.
    """
    base = path.parent
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                entries = _csv_entries(list(csv.DictReader(handle)), path)
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            entries = data.get("scenes") if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise UserError(f"{path}: a YAML manifest needs a 'scenes' list")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as exc:
        raise UserError(f"{path}: cannot read manifest ({exc})") from None
    scenes = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("frames"):
            raise UserError(f"{path}: scene {index + 1} needs 'name' and 'frames'")
        scenes.append(
            Scene(
                _safe_name(str(entry.get("name", f"scene{index + 1:03d}"))),
                [base / str(frame) for frame in entry["frames"]],
                ev=_floats(entry.get("ev"), path),
                times=_floats(entry.get("times"), path),
                exposure_file=base / entry["exposure_file"] if entry.get("exposure_file") else None,
            )
        )
    names = [scene.name for scene in scenes]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UserError(f"{path}: scene name {duplicates[0]!r} appears more than once")
    return scenes


def _floats(values: object, path: Path) -> list[float] | None:
    if values is None:
        return None
    try:
        return [float(v) for v in values]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise UserError(f"{path}: exposures must be numbers, got {values!r}") from None


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
