"""MotionBlend: a deghosting merge where things moved, a classical merge elsewhere."""

from __future__ import annotations

from typing import Any

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.linearise import shoulder_seen, shoulder_slope
from ahdr_nodes.hdr.ops.motion import (
    SOFTNESS,
    SPREAD,
    TOLERANCE,
    blend_by_motion,
    clip_levels,
    floor_at_reference_clip,
    match_scale,
    motion_mask,
    share_with_static,
    spread_into_blind,
    well_exposed,
)
from ahdr_nodes.hdr.types import HDRImage, LinearStack

# chosen on the tuning brackets (docs/results.md): the fitted curves of gamma and sRGB
# cameras stay below 3.45 there, S-curves with a shoulder reach 3.6-6
SHOULDER_SLOPE = 3.5


class MotionBlend(Node):
    """``dynamic`` (e.g. AHDRNet) where the aligned frames disagree with the reference,
    ``static`` (e.g. Debevec) where they agree.

    A classical merge is the better estimate wherever the frames agree: it keeps the
    full range of every exposure (on held-out brackets AHDRNet compresses the
    highlights of 4-stop brackets) and adds no network error. Where something moved it
    ghosts, and the network's attention does not. Where the reference frame clips,
    the result is kept at least as bright as the reference saw (``floor_at_reference_clip``).
    Where the fitted camera curve has a steep highlight shoulder (``shoulder_slope``) that
    some frame shows (``shoulder_seen``), its scale is the part of the fit the bracket
    shows least, and a network trained on such fits places the radiance better: the
    static merge takes the dynamic merge's scale.
    With a deghosting static merge, ``static_share`` lets it take part in the moving
    regions where the reference is well exposed (``share_with_static``). The node reports
    the share of the image taken from the dynamic merge.

    Motion is measured against the reference, so it is found only where the reference
    is well exposed; the mask reaches ``spread`` of the image into the reference's dark
    and clipped regions around it (``spread_into_blind``), where a moved frame would
    otherwise leave its ghost in the static merge.
    """

    version = "3"

    stack = Input(LinearStack, "the aligned, linearised frames both merges used")
    static = Input(HDRImage, "the merge to trust where nothing moved")
    dynamic = Input(HDRImage, "the merge to trust where something moved")
    hdr = Output(HDRImage)
    mask = Output(HDRImage, "the dynamic merge's weight (grey, 1 = moved), if read")
    tolerance = Param(
        float, TOLERANCE, minimum=0.01, maximum=10.0, doc="disagreement in ln radiance"
    )
    softness = Param(float, SOFTNESS, minimum=0.0, maximum=100.0, doc="mask blur, pixels")
    spread = Param(
        float,
        SPREAD,
        minimum=0.0,
        maximum=1.0,
        doc="how far motion reaches into the reference's dark and clipped regions, as a "
        "share of the image's longer side; 0 = not at all",
    )
    static_share = Param(
        float,
        0.0,
        minimum=0.0,
        maximum=1.0,
        doc="share of the static merge in moving regions where the reference is well "
        "exposed; only for a deghosting static merge (DebevecMerge deghost), 0 = dynamic alone",
    )
    shoulder_slope = Param(
        float,
        SHOULDER_SLOPE,
        minimum=0.0,
        maximum=100.0,
        doc="above this log-log slope of the fitted curve near white, the static merge takes "
        "the dynamic merge's scale; 100 = never",
    )

    def run(
        self,
        ctx: NodeContext,
        stack: LinearStack,
        static: HDRImage,
        dynamic: HDRImage,
        **inputs: Any,
    ) -> dict[str, Any]:
        reference = stack.reference
        levels = clip_levels(stack.ldr)
        moved = motion_mask(
            stack.ldr, stack.linear, reference, self.tolerance, self.softness, levels
        )
        exposed = well_exposed(stack.ldr[reference], levels)
        moved = spread_into_blind(moved, exposed, self.spread)
        mask = share_with_static(moved, exposed, self.static_share, self.softness)
        ctx.info(f"{mask.mean():.0%} of the image taken from the dynamic merge")
        ctx.record("moving_share", round(float(mask.mean()), 4))
        static_data = static.data
        slope = shoulder_slope(stack.response, stack.gamma)
        if slope > self.shoulder_slope:
            if shoulder_seen(stack.ldr):
                static_data, factor = match_scale(static_data, dynamic.data, mask)
                ctx.record("static_scaled_by", round(factor, 4))
                ctx.info(
                    f"the fitted curve has a highlight shoulder (slope {slope:.1f}): "
                    f"static merge scaled by {factor:.2f} to the dynamic merge"
                )
            else:
                ctx.info(
                    f"the fitted curve bends near white (slope {slope:.1f}), but no frame "
                    "shows those codes: the static merge keeps its scale"
                )
        merged = blend_by_motion(static_data, dynamic.data, mask)
        merged = floor_at_reference_clip(merged, stack.ldr[reference], stack.linear[reference])
        grey = mask[..., None].repeat(3, axis=2) if ctx.wants("mask") else None
        return {"hdr": HDRImage(merged), "mask": HDRImage(grey) if grey is not None else None}
