"""Synthetic brackets as a torch Dataset for training.

Example ``index`` is drawn from a generator seeded with (seed, index) alone
(synth.example_rng, as `ahdr data synth` uses for scene ``index``), so
the data do not depend on how many DataLoader workers or DDP ranks share the
work, nor on the order they ask in: worker-safe without any worker_init_fn, and
a run resumed at step k sees exactly the examples it would have seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.sources import HDRSource
from ahdr_nodes.hdr.data.synth import (
    DEFAULT_CONFIG,
    Example,
    SynthConfig,
    example_rng,
    synthesise_example,
)

NETWORK_GAMMA = 2.2


def network_inputs(
    frames: Sequence[np.ndarray], times: Sequence[float], gamma: float = NETWORK_GAMMA
) -> torch.Tensor:
    """AHDRNet's input: X_i = concat(I_i, I_i^gamma / t_i) per frame, as (N, 6, H, W) float32."""
    ldr = np.stack(frames).astype(np.float32, copy=False)
    count, height, width, _ = ldr.shape
    inputs = np.empty((count, 6, height, width), dtype=np.float32)
    inputs[:, :3] = ldr.transpose(0, 3, 1, 2)
    np.power(inputs[:, :3], np.float32(gamma), out=inputs[:, 3:])
    inputs[:, 3:] /= np.asarray(times, dtype=np.float32)[:, None, None, None]
    return torch.from_numpy(inputs)


class SyntheticBracketDataset(Dataset):
    """``length`` synthetic examples from ``sources``; item = (inputs, ground truth).

    inputs: (frames, 6, H, W) float32 (see network_inputs); ground truth: (3, H, W)
    float32. For training longer than one pass without repeating examples, make
    ``length`` steps x batch size.
    """

    def __init__(
        self,
        sources: Sequence[HDRSource],
        length: int,
        seed: int,
        config: SynthConfig = DEFAULT_CONFIG,
    ) -> None:
        if not sources:
            raise UserError("no source HDR images for the synthetic dataset")
        if seed < 0:
            raise UserError(f"synthetic dataset seed {seed} must not be negative")
        if length < 1:
            raise UserError(f"synthetic dataset length {length} must be at least 1")
        self.sources = list(sources)
        self.length = length
        self.seed = seed
        self.config = config

    def __len__(self) -> int:
        return self.length

    def example(self, index: int) -> Example:
        """The full example behind item ``index`` (frames, times, metadata)."""
        if not 0 <= index < self.length:
            raise IndexError(f"example {index} outside a dataset of {self.length}")
        return synthesise_example(self.sources, example_rng(self.seed, index), self.config)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if get_worker_info() is not None and cv2.getNumThreads() != 1:
            # a worker process is one of many: OpenCV's own thread pool per worker
            # oversubscribes the cores and cuts throughput several times over
            cv2.setNumThreads(1)
        example = self.example(index)
        inputs = network_inputs(example.frames, example.times)
        target = torch.from_numpy(example.ground_truth).permute(2, 0, 1).contiguous()
        return inputs, target
