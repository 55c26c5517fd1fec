"""Linearise: a bracket to linear radiance and the network's 6-channel inputs."""

from __future__ import annotations

from typing import Any

from ahdr_nodes.core.node import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.linearise import (
    calibrate_response,
    gamma_linearise,
    network_inputs,
    response_linearise,
)
from ahdr_nodes.hdr.types import Bracket, LinearStack


class Linearise(Node):
    """H_i = I_i^gamma / t_i (the paper's), or a response calibrated from the bracket.

    ``response: calibrated`` recovers the camera curve with OpenCV's Debevec
    calibration, scaled to agree with the gamma curve at mid grey. Outputs the
    linear frames and X_i = concat(I_i, H_i) as an (N, 6, H, W) tensor.
    """

    bracket = Input(Bracket)
    stack = Output(LinearStack)
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc="inverse CRF exponent")
    response = Param(str, "gamma", choices=("gamma", "calibrated"), doc="camera response model")

    def run(self, ctx: NodeContext, bracket: Bracket, **inputs: Any) -> dict[str, Any]:
        frames, times = bracket.frames, bracket.times
        if self.response == "calibrated":
            curve = calibrate_response(frames, times, self.gamma)
            linear = [response_linearise(f, t, curve) for f, t in zip(frames, times, strict=True)]
        else:
            curve = None
            linear = [gamma_linearise(f, t, self.gamma) for f, t in zip(frames, times, strict=True)]
        stack = LinearStack(
            ldr=list(frames),
            linear=linear,
            times=times,
            reference=bracket.reference,
            network_inputs=network_inputs(frames, linear),
            gamma=self.gamma,
            response=curve,
        )
        return {"stack": stack}
