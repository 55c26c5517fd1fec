"""Linearise: a bracket to linear radiance and the network's 6-channel inputs."""

from __future__ import annotations

from typing import Any

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.linearise import (
    DEFAULT_RESPONSE,
    RESPONSES,
    linearise_bracket,
)
from ahdr_nodes.hdr.types import Bracket, LinearStack


class Linearise(Node):
    """H_i = I_i^gamma / t_i (the paper's), or a response calibrated from the bracket.

    ``response: fitted`` fits the camera's curve to the bracket itself (robust to
    motion; keeps the gamma curve where no fit explains the bracket better, and says
    which curve it used);
    ``calibrated`` uses OpenCV's Debevec calibration, scaled to agree with the
    gamma curve at mid grey. With a fitted or calibrated response the network sees
    the frames re-encoded with the gamma curve, the camera it was trained on.
    Outputs the linear frames and the frames the network sees.
    """

    version = "2"

    bracket = Input(Bracket)
    stack = Output(LinearStack)
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc="inverse CRF exponent")
    response = Param(str, DEFAULT_RESPONSE, choices=RESPONSES, doc="camera response model")

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        result = linearise_bracket(bracket.frames, bracket.times, self.response, self.gamma)
        if self.response == "fitted":
            ctx.info(result.note)
        stack = LinearStack(
            ldr=list(bracket.frames),
            linear=result.linear,
            times=bracket.times,
            reference=bracket.reference,
            gamma=self.gamma,
            response=result.response,
        )
        return {"stack": stack}
