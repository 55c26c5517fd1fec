"""AHDRNet's Attention side: the shared encoder and the two attention modules.

For frames X_1, X_2 (reference), X_3, each (B, 6, H, W):

    Z_i  = LeakyReLU_0.01(conv3x3 6->64 (X_i))                      shared weights
    a_i  = sigmoid(conv3x3 128->64 (LeakyReLU_0.01(conv3x3 128->128 (concat(Z_i, Z_r)))))
    Z'_i = Z_i * a_i                                                 for i in {1, 3}

and the output is concat(Z'_1, Z_r, Z'_3). With ``attention=False`` (the paper's
DRDB-Net ablation) the attention modules are absent and Z'_i = Z_i.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional

from ahdr_nodes import UserError
from ahdr_nodes.hdr.model.config import AHDRNetConfig

LEAKY_SLOPE = 0.01
FRAMES = 3


class AttentionModule(nn.Module):
    """a_i = sigmoid(conv(LeakyReLU(conv(concat(Z_i, Z_r))))): where frame i may be trusted."""

    def __init__(self, features: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(2 * features, 2 * features, 3, padding=1)
        self.conv2 = nn.Conv2d(2 * features, features, 3, padding=1)

    def forward(self, features: Tensor, reference: Tensor) -> Tensor:
        hidden = functional.leaky_relu(self.conv1(torch.cat((features, reference), 1)), LEAKY_SLOPE)
        return torch.sigmoid(self.conv2(hidden))


class AttentionEncoder(nn.Module):
    """Encoder + attention: frames in, attended features concat(Z'_1, Z_r, Z'_3) out."""

    def __init__(self, in_channels: int = 6, features: int = 64, attention: bool = True) -> None:
        super().__init__()
        self.features = features
        self.encode = nn.Conv2d(in_channels, features, 3, padding=1)
        self.attention1 = AttentionModule(features) if attention else None
        self.attention3 = AttentionModule(features) if attention else None

    @classmethod
    def from_config(cls, config: AHDRNetConfig) -> AttentionEncoder:
        return cls(config.in_channels, config.features, config.attention)

    def forward(
        self, frames: Tensor | Sequence[Tensor], return_maps: bool = True
    ) -> tuple[Tensor, Tensor, list[Tensor]]:
        """Return (attended (B, 3F, H, W), Z_r (B, F, H, W), [a_1, a_3]).

        ``frames`` is (B, 3, C, H, W) or three (B, C, H, W) tensors, shortest
        exposure first. Z_r is a view into ``attended``, so it costs no memory.
        The maps list is empty without attention or with ``return_maps=False``
        (large images: the maps are as big as the features).
        """
        stacked = _stack_frames(frames)
        batch, _, channels, height, width = stacked.shape
        encoded = self.encode(stacked.reshape(batch * FRAMES, channels, height, width))
        encoded = functional.leaky_relu(encoded, LEAKY_SLOPE).reshape(
            batch, FRAMES, self.features, height, width
        )
        z1, reference, z3 = encoded.unbind(1)
        maps: list[Tensor] = []
        if self.attention1 is not None and self.attention3 is not None:
            a1 = self.attention1(z1, reference)
            a3 = self.attention3(z3, reference)
            z1, z3 = z1 * a1, z3 * a3
            if return_maps:
                maps = [a1, a3]
        attended = torch.cat((z1, reference, z3), 1)
        return attended, reference_features(attended), maps


def reference_features(attended: Tensor) -> Tensor:
    """Z_r as the middle third of concat(Z'_1, Z_r, Z'_3): a view, no copy."""
    features = attended.shape[1] // FRAMES
    return attended[:, features : 2 * features]


def _stack_frames(frames: Tensor | Sequence[Tensor]) -> Tensor:
    if isinstance(frames, Tensor):
        if frames.dim() != 5 or frames.shape[1] != FRAMES:
            raise UserError(
                f"AHDRNet needs frames shaped (B, 3, C, H, W), got {tuple(frames.shape)}"
            )
        return frames
    if len(frames) != FRAMES:
        raise UserError(f"AHDRNet needs exactly 3 frames, got {len(frames)}")
    shapes = {tuple(frame.shape) for frame in frames}
    if len(shapes) != 1 or len(next(iter(shapes))) != 4:
        raise UserError(f"AHDRNet needs three (B, C, H, W) frames of one shape, got {shapes}")
    return torch.stack(tuple(frames), 1)
