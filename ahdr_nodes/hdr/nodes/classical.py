"""Classical baselines: Debevec merge, Mertens fusion and the reference frame alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ahdr_nodes import Input, Node, NodeContext, Output, Param, ParamError
from ahdr_nodes.hdr.ops.classical import (
    debevec_merge,
    mertens_fusion,
    reference_only,
    weighted_merge,
)
from ahdr_nodes.hdr.ops.linearise import gamma_response
from ahdr_nodes.hdr.types import Bracket, HDRImage, LDRImage, LinearStack


class DebevecMerge(Node):
    """Debevec's radiance merge of Linearise's linear frames.

    ``method: weighted`` (default) averages the linear frames in float with
    weights that drop a frame wherever one of its channels clips; ``opencv`` is
    OpenCV's MergeDebevec (frames quantised to 8 bits, log-domain average), kept
    for comparison: 1.4 dB PSNR-mu below on held-out brackets (docs/results.md).
    ``deghost`` > 0 (weighted only) takes a frame out wherever it disagrees with the
    reference by more than about that much ln radiance: a classical deghosting merge.
    Output on the network's scale: radiance relative to the shortest exposure,
    where its white maps to 1.
    """

    stack = Input(LinearStack)
    hdr = Output(HDRImage)
    method = Param(str, "weighted", choices=("weighted", "opencv"), doc="merge implementation")
    deghost = Param(
        float, 0.0, minimum=0.0, maximum=10.0, doc="ln-radiance tolerance of frames (0: off)"
    )

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> None:
        super().check_params(values)
        if values["deghost"] > 0 and values["method"] != "weighted":
            raise ParamError("deghost needs method: weighted", "deghost")

    def run(self, ctx: NodeContext, stack: LinearStack, **inputs: Any) -> dict[str, Any]:
        if self.method == "weighted":
            tolerance = self.deghost if self.deghost > 0 else None
            merged = weighted_merge(stack.ldr, stack.linear, stack.reference, tolerance)
            return {"hdr": HDRImage(merged)}
        response = stack.response if stack.response is not None else gamma_response(stack.gamma)
        return {"hdr": HDRImage(debevec_merge(stack.ldr, stack.times, response))}


class MertensFusion(Node):
    """Exposure fusion (Mertens et al., OpenCV): a display image, no radiance."""

    bracket = Input(Bracket)
    image = Output(LDRImage)
    contrast_weight = Param(float, 1.0, minimum=0.0)
    saturation_weight = Param(float, 1.0, minimum=0.0)
    exposure_weight = Param(float, 1.0, minimum=0.0)

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        fused = mertens_fusion(
            bracket.frames, self.contrast_weight, self.saturation_weight, self.exposure_weight
        )
        return {"image": LDRImage(fused)}


class ReferenceOnly(Node):
    """The reference frame's linear radiance, on the same scale as DebevecMerge."""

    stack = Input(LinearStack)
    hdr = Output(HDRImage)

    def run(self, ctx: NodeContext, stack: LinearStack, **inputs: Any) -> dict[str, Any]:
        return {"hdr": HDRImage(reference_only(stack.linear, stack.reference))}
