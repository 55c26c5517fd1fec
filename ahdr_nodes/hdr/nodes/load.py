"""Source nodes: a bracket from frame files, or a whole Kalantari scene folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ahdr_nodes import Node, NodeContext, Output, Param
from ahdr_nodes.hdr.bracket import load_bracket
from ahdr_nodes.hdr.scene_folder import read_scene_folder
from ahdr_nodes.hdr.types import Bracket, HDRImage


def record_bracket(ctx: NodeContext, bracket: Bracket) -> None:
    """Provenance for the writers: which files, at which exposures, from where."""
    ctx.record("sources", list(bracket.sources))
    ctx.record("relative_times", [float(t) for t in bracket.times])
    ctx.record("reference", bracket.reference)
    if "exposure_source" in bracket.metadata:
        ctx.record("exposure_source", str(bracket.metadata["exposure_source"]))


class LoadBracket(Node):
    """Differently exposed frames (PNG, JPEG, TIFF; 8 or 16 bits) as a Bracket.

    Exposures come from the first source given: times (seconds), ev (stops),
    exposure_file (one EV per line), else the frames' EXIF. Frames are sorted
    by exposure; grayscale and RGBA frames are converted with a warning.
    """

    bracket = Output(Bracket, "frames sorted by exposure, times relative to the shortest")
    paths = Param(list, item=Path, input_file=True, doc="frame files, any order")
    times = Param(list, None, item=float, nullable=True, doc="exposure times in seconds")
    ev = Param(list, None, item=float, nullable=True, doc="exposure values in stops")
    exposure_file = Param(
        Path, None, nullable=True, input_file=True, doc="a Kalantari exposure.txt"
    )
    reference = Param(
        int, None, nullable=True, minimum=0, doc="index of the reference among the sorted frames"
    )

    def run(self, ctx: NodeContext, **inputs: Any) -> dict[str, Any]:
        bracket = load_bracket(
            self.paths,
            times=self.times,
            ev=self.ev,
            exposure_file=self.exposure_file,
            reference=self.reference,
            warn=ctx.warn,
        )
        record_bracket(ctx, bracket)
        return {"bracket": bracket}


class LoadScene(Node):
    """A Kalantari scene folder: its .tif frames, exposure.txt and HDRImg.hdr.

    ``ground_truth`` is None when the folder has no HDRImg.hdr (a scene
    without ground truth can still be merged).
    """

    bracket = Output(Bracket, "the scene's frames sorted by exposure")
    ground_truth = Output(HDRImage, "HDRImg.hdr, or None when the scene has none")
    folder = Param(Path, doc="the scene folder")
    reference = Param(
        int, None, nullable=True, minimum=0, doc="index of the reference among the sorted frames"
    )

    def run(self, ctx: NodeContext, **inputs: Any) -> dict[str, Any]:
        bracket, truth = read_scene_folder(Path(self.folder), self.reference, ctx.warn)
        record_bracket(ctx, bracket)
        return {"bracket": bracket, "ground_truth": HDRImage(truth) if truth is not None else None}

    def fingerprint(self) -> str:
        """Size and mtime of every file in the folder: an edited frame reruns the scene."""
        folder = Path(self.folder)
        try:
            entries = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError:
            return f"{folder}:missing"
        parts = []
        for entry in entries:
            stat = entry.stat()
            parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
        return "|".join(parts)
