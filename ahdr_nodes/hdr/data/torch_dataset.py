"""Training data as torch Datasets: synthetic brackets, and crops of scene folders.

Both yield (inputs, ground truth): inputs (frames, 6, H, W) as network_inputs
builds them, ground truth (3, H, W), float32. Item ``index`` is drawn from a
generator seeded with (seed, index) alone (synth.example_rng, which `ahdr data
synth` also uses for scene ``index``), so the data do not depend on how many
DataLoader workers or DDP ranks share the work, nor on the order they ask in:
worker-safe without any worker_init_fn, and a run resumed at step k sees exactly
the examples it would have seen."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import Dataset

from ahdr_nodes import UserError
from ahdr_nodes.hdr.data.kalantari import list_scenes, read_scene
from ahdr_nodes.hdr.data.sources import HDRSource
from ahdr_nodes.hdr.data.synth import (
    DEFAULT_CONFIG,
    Example,
    SynthConfig,
    example_rng,
    orient,
    synthesise_example,
)
from ahdr_nodes.hdr.model.inputs import network_inputs as stacked_inputs
from ahdr_nodes.hdr.ops.linearise import DEFAULT_RESPONSE, linearise_bracket
from ahdr_nodes.hdr.scene_folder import GROUND_TRUTH_FILE

NETWORK_GAMMA = 2.2


def network_inputs(
    frames: Sequence[np.ndarray],
    times: Sequence[float],
    response: str = DEFAULT_RESPONSE,
    gamma: float = NETWORK_GAMMA,
) -> torch.Tensor:
    """AHDRNet's input X_i = concat(I_i, H_i), (N, 6, H, W) float32, linearised with
    ``response`` as the Linearise node does (the same function), so training sees what
    inference sees."""
    result = linearise_bracket(list(frames), np.asarray(times), response, gamma)
    return stacked_inputs(result.network_ldr, result.linear)


def single_threaded_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: one BLAS thread in each worker.

    The response fit solves least squares through numpy's BLAS, which otherwise
    starts a spinning thread per core in every forked worker: 12 workers on a
    16-core GPU host then synthesised 3.2 examples/s, 14 single-threaded ones 36."""
    threadpool_limits(1)


class SyntheticBracketDataset(Dataset):
    """``length`` synthetic examples from ``sources``; item = (inputs, ground truth).

    inputs: (frames, 6, H, W) float32 (see network_inputs); ground truth: (3, H, W)
    float32. For training longer than one pass without repeating examples, make
    ``length`` steps x batch size. ``response``: how the frames are linearised
    (ops.linearise.RESPONSES), as the Linearise node of the graphs it will serve.

    With several DataLoader workers, call cv2.setNumThreads(1) in the main process
    before they start: each worker then runs OpenCV on one thread instead of
    starting a pool as large as the machine (calling it inside a forked worker can
    deadlock OpenCV); and pass ``worker_init_fn=single_threaded_worker``.
    """

    def __init__(
        self,
        sources: Sequence[HDRSource],
        length: int,
        seed: int,
        config: SynthConfig = DEFAULT_CONFIG,
        response: str = DEFAULT_RESPONSE,
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
        self.response = response

    def __len__(self) -> int:
        return self.length

    def example(self, index: int) -> Example:
        """The full example behind item ``index`` (frames, times, metadata)."""
        if not 0 <= index < self.length:
            raise IndexError(f"example {index} outside a dataset of {self.length}")
        return synthesise_example(self.sources, example_rng(self.seed, index), self.config)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        example = self.example(index)
        inputs = network_inputs(example.frames, example.times, self.response)
        target = torch.from_numpy(example.ground_truth).permute(2, 0, 1).contiguous()
        return inputs, target


class SceneCropDataset(Dataset):
    """``length`` random crops of the scene folders under ``root`` (Kalantari layout).

    For the real Kalantari training set or scenes written by `ahdr data synth`
    (``ahdr train --scenes``). ``response``: how frames are linearised.
    Item ``index`` picks its scene, crop and (with ``augment``) flips and quarter
    turns from (seed, index) alone. Scenes are read from disk per item: a real
    scene is about 70 MB as float32, too many to hold, so use DataLoader workers.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        length: int,
        seed: int,
        crop: int = 256,
        augment: bool = True,
        response: str = DEFAULT_RESPONSE,
    ) -> None:
        self.scenes = list_scenes(root)
        for folder in self.scenes:
            if not (folder / GROUND_TRUTH_FILE).is_file():
                raise UserError(f"{folder}: no {GROUND_TRUTH_FILE} ground truth to train on")
        if length < 1 or crop < 1:
            raise UserError(f"crop dataset length {length} and crop {crop} must be at least 1")
        if seed < 0:
            raise UserError(f"crop dataset seed {seed} must not be negative")
        self.length = length
        self.seed = seed
        self.crop = crop
        self.augment = augment
        self.response = response

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(f"item {index} outside a dataset of {self.length}")
        rng = example_rng(self.seed, index)
        scene = read_scene(self.scenes[rng.integers(len(self.scenes))])
        if scene.ground_truth is None:
            raise UserError(f"{scene.path}: no {GROUND_TRUTH_FILE} ground truth to train on")
        height, width = scene.bracket.shape
        if min(height, width) < self.crop:
            raise UserError(f"{scene.path}: {width}x{height} is smaller than the crop {self.crop}")
        top = rng.integers(height - self.crop + 1)
        left = rng.integers(width - self.crop + 1)
        window = (slice(top, top + self.crop), slice(left, left + self.crop))
        frames = np.stack([frame[window] for frame in scene.bracket.frames])
        truth = scene.ground_truth[window][None]
        if self.augment:
            turns, mirror = int(rng.integers(4)), bool(rng.random() < 0.5)
            frames, truth = orient(frames, turns, mirror), orient(truth, turns, mirror)
        target = torch.from_numpy(np.ascontiguousarray(truth[0])).permute(2, 0, 1).contiguous()
        return network_inputs(list(frames), scene.bracket.times, self.response), target
