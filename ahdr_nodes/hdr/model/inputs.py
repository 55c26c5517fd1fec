"""What AHDRNet takes: X_i = concat(I_i, H_i) per frame, built in one place for
the nodes, training and the benchmarks alike."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def network_inputs(ldr: Sequence[np.ndarray], linear: Sequence[np.ndarray]) -> torch.Tensor:
    """X_i = concat(I_i, H_i) for every frame, as one (N, 6, H, W) float32 tensor."""
    stacked = np.stack(
        [np.concatenate([i, h], axis=2) for i, h in zip(ldr, linear, strict=True)], axis=0
    )
    return torch.from_numpy(np.ascontiguousarray(stacked.transpose(0, 3, 1, 2), np.float32))
