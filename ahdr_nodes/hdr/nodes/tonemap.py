"""Tonemap: linear radiance to a display image."""

from __future__ import annotations

from typing import Any

from ahdr_nodes import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hdr.ops.tonemap import drago, exposure_gamma, mantiuk, mu_law, reinhard
from ahdr_nodes.hdr.types import HDRImage, LDRImage


class Tonemap(Node):
    """mu-law (the paper's, mu = 5000), Reinhard, Drago, Mantiuk, or exposure + gamma."""

    hdr = Input(HDRImage)
    image = Output(LDRImage)
    method = Param(
        str, "mu_law", choices=("mu_law", "reinhard", "drago", "mantiuk", "exposure_gamma")
    )
    # bounded so that the curve stays finite: mu = 1e308 made every pixel NaN
    mu = Param(float, 5000.0, minimum=1e-6, maximum=1e9, doc="mu_law compression")
    gamma = Param(float, 2.2, minimum=0.1, maximum=10.0, doc="display gamma (all but mu_law)")
    exposure = Param(
        float,
        0.0,
        minimum=-60.0,
        maximum=60.0,
        doc="stops added before display (exposure_gamma only)",
    )

    def run(self, ctx: NodeContext, hdr: HDRImage, **inputs: Any) -> dict[str, Any]:
        radiance = hdr.data
        if self.method == "mu_law":
            display = mu_law(radiance, self.mu)
        elif self.method == "exposure_gamma":
            display = exposure_gamma(radiance, self.exposure, self.gamma)
        else:
            operator = {"reinhard": reinhard, "drago": drago, "mantiuk": mantiuk}[self.method]
            display = operator(radiance, self.gamma)
        return {"image": LDRImage(display)}
