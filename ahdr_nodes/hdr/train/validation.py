"""Validation on held-out panoramas: a fixed set of synthetic brackets, scored by PSNR-mu.

The set is cut from the validation split (whole images the training never
sees) with the run's seed, so every evaluation of a run, and every run with the
same seed and sources, scores the same brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ahdr_nodes.hdr.data.sources import load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.data.torch_dataset import SyntheticBracketDataset
from ahdr_nodes.hdr.metrics import psnr_mu
from ahdr_nodes.hdr.ops.linearise import DEFAULT_RESPONSE

LINEAR_CHANNELS = slice(3, 6)


class ValidationSet:
    """``count`` synthetic brackets of ``crop`` x ``crop`` pixels from ``files``, held in memory."""

    def __init__(
        self,
        files: Sequence[Path],
        seed: int,
        count: int,
        crop: int,
        response: str = DEFAULT_RESPONSE,
    ) -> None:
        dataset = SyntheticBracketDataset(
            load_sources(files), count, seed, SynthConfig(size=(crop, crop)), response
        )
        self.items: list[tuple[Tensor, Tensor]] = [dataset[i] for i in range(count)]

    def reference_only_psnr_mu(self) -> float:
        """Mean PSNR-mu of the linearised reference frame alone: the bar to clear."""
        scores = [
            psnr_mu(_hwc(inputs[len(inputs) // 2, LINEAR_CHANNELS]), _hwc(target))
            for inputs, target in self.items
        ]
        return float(np.mean(scores))

    def psnr_mu(self, model: nn.Module, device: torch.device, bf16: bool = False) -> float:
        """Mean PSNR-mu of ``model`` over the set (one bracket at a time)."""
        was_training = model.training
        model.eval()
        scores = []
        with torch.no_grad():
            for inputs, target in self.items:
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    prediction = model(inputs[None].to(device))
                scores.append(psnr_mu(_hwc(prediction[0].float().cpu()), _hwc(target)))
        model.train(was_training)
        return float(np.mean(scores))


def _hwc(image: Tensor) -> np.ndarray:
    return image.permute(1, 2, 0).numpy()
