"""The eager DRDB, the one reference for the kernels and the model's eager path.

Functional (weights passed in), so it serves the float64 reference of the tests,
the benchmarks' eager rows and the model's modules alike.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from ahdr_kernels.support import DILATION, GROWTH

Layers = list[tuple[torch.Tensor, torch.Tensor]]


def drdb_reference(
    x: torch.Tensor,
    layers: Layers,
    fuse_weight: torch.Tensor,
    fuse_bias: torch.Tensor,
    dilation: int = DILATION,
) -> torch.Tensor:
    """Eager DRDB as in AHDRNet: [conv3x3 dilated + ReLU, concat] per layer, conv1x1, + x."""
    features = x
    for weight, bias in layers:
        grown = F.relu(F.conv2d(features, weight, bias, padding=dilation, dilation=dilation))
        features = torch.cat((features, grown), dim=1)
    return F.conv2d(features, fuse_weight, fuse_bias) + x


def random_drdb_weights(
    generator: torch.Generator, in_channels: int = 64, n_layers: int = 6
) -> tuple[Layers, torch.Tensor, torch.Tensor]:
    """Random DRDB weights scaled like Kaiming init (activations keep unit size),
    for tests and benchmarks: (layers, fuse_weight, fuse_bias) as `pack_drdb` takes them."""
    layers = []
    for k in range(n_layers):
        c_in = in_channels + GROWTH * k
        weight = torch.randn(GROWTH, c_in, 3, 3, generator=generator) * (2 / (9 * c_in)) ** 0.5
        layers.append((weight, torch.randn(GROWTH, generator=generator) * 0.1))
    c_total = in_channels + GROWTH * n_layers
    fuse_weight = torch.randn(in_channels, c_total, 1, 1, generator=generator) * c_total**-0.5
    return layers, fuse_weight, torch.randn(in_channels, generator=generator) * 0.1
