"""Aligners: each takes a Bracket and returns it moved onto its reference frame.

They sit before Linearise, so swapping one for another in a graph is a change
of node type on one line. Every aligner checks each frame it moves against
the reference (ops/agreement.py) and leaves the frame where it was, saying so,
when the move does not make them agree better: an aligner must never make an
already registered bracket worse.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.agreement import judge
from ahdr_nodes.hdr.ops.align import (
    flow_coverage,
    flow_to_reference,
    mtb_shifts,
    shift_coverage,
    shift_frame,
    warp_by_flow,
)
from ahdr_nodes.hdr.ops.homography import homography_to_reference, warp_by_homography
from ahdr_nodes.hdr.types import Bracket

GAMMA_PARAM_DOC = "used to compare frames at a common exposure"


def _with_frames(bracket: Bracket, frames: list, alignment: dict[str, Any]) -> Bracket:
    metadata = {**bracket.metadata, "alignment": alignment}
    return dataclasses.replace(bracket, frames=frames, metadata=metadata)


def _frame_name(bracket: Bracket, index: int) -> str:
    return bracket.sources[index] if index < len(bracket.sources) else f"frame {index}"


def _keep_if_better(
    ctx: NodeContext,
    bracket: Bracket,
    index: int,
    aligned: np.ndarray,
    coverage: np.ndarray,
    method: str,
    gamma: float,
) -> bool:
    """Whether the aligned frame agrees better with the reference; a message when not."""
    ref = bracket.reference
    verdict = judge(
        bracket.frames[ref],
        bracket.times[ref],
        bracket.frames[index],
        aligned,
        bracket.times[index],
        coverage,
        gamma,
    )
    if not verdict.keep:
        ctx.info(
            f"{_frame_name(bracket, index)}: {method} does not improve agreement with the "
            f"reference ({verdict.before:.3f} -> {verdict.after:.3f}); frame left in place"
        )
    return verdict.keep


class NoAlign(Node):
    """Pass the bracket through unchanged (for tripod shots, or AHDRNet's own attention)."""

    bracket = Input(Bracket)
    aligned = Output(Bracket)

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        return {"aligned": _with_frames(bracket, list(bracket.frames), {"method": "none"})}


class MTBAlign(Node):
    """Global whole-pixel shift per frame from median threshold bitmaps (OpenCV AlignMTB).

    A shift that does not improve agreement with the reference is not applied.
    """

    version = "2"
    bracket = Input(Bracket)
    aligned = Output(Bracket)
    max_bits = Param(int, 6, minimum=1, maximum=8, doc="search shifts up to 2^max_bits - 1 px")
    exclude_range = Param(int, 4, minimum=0, maximum=64, doc="grey levels near the median ignored")
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc=GAMMA_PARAM_DOC)

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        found = mtb_shifts(bracket.frames, bracket.reference, self.max_bits, self.exclude_range)
        frames, shifts = [], []
        for index, (frame, shift) in enumerate(zip(bracket.frames, found, strict=True)):
            moved = shift_frame(frame, shift)
            coverage = shift_coverage(bracket.shape, shift)
            if shift != (0, 0) and _keep_if_better(
                ctx, bracket, index, moved, coverage, f"MTB shift {shift}", self.gamma
            ):
                frames.append(moved)
                shifts.append(shift)
            else:
                frames.append(frame)
                shifts.append((0, 0))
        alignment = {"method": "mtb", "shifts": shifts, "found": found}
        return {"aligned": _with_frames(bracket, frames, alignment)}


class HomographyAlign(Node):
    """Global camera motion per frame: a homography from SIFT features on exposure-matched
    luminance, outliers rejected by RANSAC; for hand-held brackets up to 4 stops apart.

    A frame is left in place when no homography is found or it does not improve
    agreement with the reference. Chain FlowAlign after it for local motion.
    """

    bracket = Input(Bracket)
    aligned = Output(Bracket)
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc=GAMMA_PARAM_DOC)

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        frames, matrices = [], []
        for index in ctx.track(range(len(bracket.frames)), desc="homography"):
            frame = bracket.frames[index]
            found = None if index == bracket.reference else self._kept(ctx, bracket, index)
            frames.append(frame if found is None else found[0])
            matrices.append(None if found is None else found[1].tolist())
        alignment = {"method": "homography", "homographies": matrices}
        return {"aligned": _with_frames(bracket, frames, alignment)}

    def _kept(
        self, ctx: NodeContext, bracket: Bracket, index: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The warped frame and its homography, or None when either is not worth using."""
        ref = bracket.reference
        matrix = homography_to_reference(
            bracket.frames[ref], bracket.times[ref], bracket.frames[index], bracket.times[index],
            self.gamma,
        )  # fmt: skip
        if matrix is None:
            name = _frame_name(bracket, index)
            ctx.info(
                f"{name}: no homography found (too few matching features); frame left in place"
            )
            return None
        warped, coverage = warp_by_homography(bracket.frames[index], matrix)
        if not _keep_if_better(ctx, bracket, index, warped, coverage, "the homography", self.gamma):
            return None
        return warped, matrix


class FlowAlign(Node):
    """Dense DIS optical flow on exposure-matched luminance; frames warped to the reference.

    The paper's "AHDRNet + OF" variant. Flow fails where the reference is
    clipped or the motion uncovers background; the merge must cope there. A
    warp that does not improve agreement with the reference is not applied.
    """

    version = "2"
    bracket = Input(Bracket)
    aligned = Output(Bracket)
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc="used to match exposures")

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        ref = bracket.reference
        frames, warped_frames = [], []
        for index in ctx.track(range(len(bracket.frames)), desc="optical flow"):
            frame = bracket.frames[index]
            if index == ref:
                frames.append(frame)
                continue
            flow = flow_to_reference(
                bracket.frames[ref], bracket.times[ref], frame, bracket.times[index], self.gamma
            )
            warped = warp_by_flow(frame, flow)
            keep = _keep_if_better(
                ctx, bracket, index, warped, flow_coverage(flow), "optical flow", self.gamma
            )
            frames.append(warped if keep else frame)
            if keep:
                warped_frames.append(index)
        alignment = {"method": "flow", "warped": warped_frames}
        return {"aligned": _with_frames(bracket, frames, alignment)}
