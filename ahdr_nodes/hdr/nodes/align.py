"""Aligners: each takes a Bracket and returns it moved onto its reference frame.

They sit before Linearise, so swapping one for another in a graph is a change
of node type on one line.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ahdr_nodes.core.node import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.align import flow_to_reference, mtb_shifts, shift_frame, warp_by_flow
from ahdr_nodes.hdr.types import Bracket


def _with_frames(bracket: Bracket, frames: list, alignment: dict[str, Any]) -> Bracket:
    metadata = {**bracket.metadata, "alignment": alignment}
    return dataclasses.replace(bracket, frames=frames, metadata=metadata)


class NoAlign(Node):
    """Pass the bracket through unchanged (for tripod shots, or AHDRNet's own attention)."""

    bracket = Input(Bracket)
    aligned = Output(Bracket)

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        return {"aligned": _with_frames(bracket, list(bracket.frames), {"method": "none"})}


class MTBAlign(Node):
    """Global whole-pixel shift per frame from median threshold bitmaps (OpenCV AlignMTB)."""

    bracket = Input(Bracket)
    aligned = Output(Bracket)
    max_bits = Param(int, 6, minimum=1, maximum=8, doc="search shifts up to 2^max_bits - 1 px")
    exclude_range = Param(int, 4, minimum=0, maximum=64, doc="grey levels near the median ignored")

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        shifts = mtb_shifts(bracket.frames, bracket.reference, self.max_bits, self.exclude_range)
        frames = [shift_frame(f, s) for f, s in zip(bracket.frames, shifts, strict=True)]
        return {"aligned": _with_frames(bracket, frames, {"method": "mtb", "shifts": shifts})}


class FlowAlign(Node):
    """Dense DIS optical flow on exposure-matched luminance; frames warped to the reference.

    The paper's "AHDRNet + OF" variant. Flow fails where the reference is
    clipped or the motion uncovers background; the merge must cope there.
    """

    bracket = Input(Bracket)
    aligned = Output(Bracket)
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc="used to match exposures")

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        ref = bracket.reference
        frames = []
        for index in ctx.track(range(len(bracket.frames)), desc="optical flow"):
            frame = bracket.frames[index]
            if index == ref:
                frames.append(frame)
                continue
            flow = flow_to_reference(
                bracket.frames[ref], bracket.times[ref], frame, bracket.times[index], self.gamma
            )
            frames.append(warp_by_flow(frame, flow))
        return {"aligned": _with_frames(bracket, frames, {"method": "flow"})}
