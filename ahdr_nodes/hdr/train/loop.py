"""The training loop: L1 on mu-law tonemapped HDR, Adam, a late learning-rate drop.

Follows the paper and official code (Yan et al., CVPR 2019): mu = 5000, Xavier
initialisation, learning rate x0.1 after ``lr_drop_at`` of the steps. Examples
depend on (seed, index) alone and the position in the stream is checkpointed, so
a resumed run equals an uninterrupted one, and any number of DDP processes
trains on the same global batches.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ahdr_nodes import UserError, atomic_output
from ahdr_nodes.hdr.data.sources import load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.data.torch_dataset import (
    SceneCropDataset,
    SyntheticBracketDataset,
    single_threaded_worker,
)
from ahdr_nodes.hdr.metrics import MU
from ahdr_nodes.hdr.model import (
    RUN_RECORD_NAME,
    AHDRNet,
    load_weights,
    resolve_weights,
    save_weights,
    training_record,
)
from ahdr_nodes.hdr.train.checkpoint import (
    STATE_FILE,
    TrainingState,
    load_checkpoint,
    save_checkpoint,
)
from ahdr_nodes.hdr.train.config import TrainConfig
from ahdr_nodes.hdr.train.curves import write_curves
from ahdr_nodes.hdr.train.distributed import Distributed, StepBatches, start_distributed
from ahdr_nodes.hdr.train.validation import ValidationSet

WEIGHTS_FILE = "ahdrnet.safetensors"
CURVES_FILE = "curves.png"
THROUGHPUT_WINDOW = 20


@dataclass(frozen=True)
class TrainResult:
    """Where a training session ended. ``weights``: the exported final weights, if finished."""

    step: int
    examples_seen: int
    elapsed: float
    losses: list[float]
    validation: list[tuple[int, float]]
    weights: Path | None


def mu_law_l1(prediction: Tensor, target: Tensor, mu: float = MU) -> Tensor:
    """Mean absolute difference of the mu-law tonemapped images (the paper's loss)."""
    scale = math.log1p(mu)
    return (torch.log1p(mu * prediction) / scale - torch.log1p(mu * target) / scale).abs().mean()


def xavier_init(model: nn.Module) -> None:
    """Xavier-uniform convolution weights and zero biases, as in the paper."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def train(config: TrainConfig, progress: bool = True) -> TrainResult:
    """Train (or resume) the run ``config`` describes; under torchrun, on every rank with DDP."""
    dist_ = start_distributed(config.device)
    try:
        return _train(config, dist_, progress)
    finally:
        dist_.close()


def _train(config: TrainConfig, dist_: Distributed, progress: bool) -> TrainResult:
    state_path = config.out / STATE_FILE
    if state_path.exists() and not config.resume:
        raise UserError(f"{config.out}: holds a checkpoint; pass --resume or choose another --out")
    torch.manual_seed(config.seed)
    model = AHDRNet(config.model)
    if config.init is None:
        xavier_init(model)
    else:
        load_weights(model, resolve_weights(config.init))
    # channels-last: 1.5x faster training steps on this project's CPU (docs/training.md)
    model.to(dist_.device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    state = TrainingState()
    if config.resume:
        state, _ = load_checkpoint(config.out, model, optimizer)
        if state.step > config.steps:
            raise UserError(
                f"{state_path}: checkpoint is at step {state.step}, past --steps {config.steps}"
            )
    end_step = config.stop_at or config.steps
    session = _Session(config, dist_, model, optimizer, state)
    session.run(end_step, progress)
    weights = None
    if dist_.is_main:
        if state.step == config.steps:
            weights = config.out / WEIGHTS_FILE
            save_weights(model, weights, overwrite=True)
        session.write_reports()
    return TrainResult(
        state.step, state.examples_seen, state.elapsed, state.losses, state.validation, weights
    )


class _Session:
    """One process's part of a training session, from the current step to ``end_step``."""

    def __init__(
        self,
        config: TrainConfig,
        dist_: Distributed,
        model: AHDRNet,
        optimizer: torch.optim.Optimizer,
        state: TrainingState,
    ) -> None:
        self.config = config
        self.dist = dist_
        self.model = model
        self.optimizer = optimizer
        self.state = state
        self.validation = (
            ValidationSet(
                config.validation_files,
                config.seed,
                config.val_examples,
                config.val_crop,
                config.response,
            )
            if dist_.is_main
            else None
        )
        self.reference_only = (
            self.validation.reference_only_psnr_mu() if self.validation is not None else None
        )
        self.last_checkpoint = state.step
        self.initialised_from = self._initialised_from()

    def run(self, end_step: int, progress: bool) -> None:
        config, state, device = self.config, self.state, self.dist.device
        if state.step >= end_step:
            return
        network: nn.Module = self.model
        if self.dist.active:
            ids = [device.index] if device.type == "cuda" else None
            network = DistributedDataParallel(self.model, device_ids=ids)
        loader = self._loader(end_step)
        bar = tqdm(
            total=config.steps,
            initial=state.step,
            unit="step",
            desc="train",
            disable=not (progress and self.dist.is_main),
        )
        bf16 = config.amp == "bf16"
        session_start = tick = time.perf_counter()
        recent: list[float] = []
        try:
            for inputs, target in loader:
                for group in self.optimizer.param_groups:
                    group["lr"] = config.learning_rate(state.step)
                inputs = inputs.to(device, non_blocking=True)
                target = target.to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    prediction = network(inputs)
                loss = mu_law_l1(prediction.float(), target)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                state.losses.append(self.dist.mean(loss.item()))
                state.step += 1
                state.examples_seen += config.batch
                now = time.perf_counter()
                state.elapsed += now - tick
                recent = (recent + [now - tick])[-THROUGHPUT_WINDOW:]
                bar.update(1)
                bar.set_postfix(
                    {
                        "loss": f"{state.losses[-1]:.4f}",
                        "ex/s": f"{config.batch * len(recent) / sum(recent):.1f}",
                    }
                )
                self._validate_and_checkpoint(bf16)
                if self._out_of_time(session_start):
                    break
                tick = time.perf_counter()
        finally:
            bar.close()
        if self.dist.is_main and self.last_checkpoint != state.step:
            self._checkpoint()

    def _loader(self, end_step: int) -> DataLoader:
        config, state = self.config, self.state
        remaining = config.steps - state.step
        length = state.examples_seen + remaining * config.batch
        dataset: Dataset = (
            SceneCropDataset(
                config.scenes, length, config.seed, config.crop, response=config.response
            )
            if config.scenes is not None
            else SyntheticBracketDataset(
                load_sources(config.train_files),
                length,
                config.seed,
                SynthConfig(size=(config.crop, config.crop)),
                config.response,
            )
        )
        if config.workers:
            # one OpenCV thread per worker, set before they fork (see SyntheticBracketDataset)
            cv2.setNumThreads(1)
        sampler = StepBatches(state.step, end_step, state.examples_seen, config.batch, self.dist)
        return DataLoader(
            dataset,
            batch_sampler=sampler,
            num_workers=config.workers,
            worker_init_fn=single_threaded_worker,
            pin_memory=self.dist.device.type == "cuda",
        )

    def _validate_and_checkpoint(self, bf16: bool) -> None:
        """Rank 0 (the only one holding the validation set) scores and saves on schedule."""
        config, state = self.config, self.state
        if self.validation is None:
            return
        if state.step % config.val_every == 0 or state.step == config.steps:
            score = self.validation.psnr_mu(self.model, self.dist.device, bf16)
            state.validation.append((state.step, score))
            tqdm.write(f"step {state.step}: validation PSNR-mu {score:.2f} dB")
        if state.step % config.checkpoint_every == 0:
            self._checkpoint()

    def _out_of_time(self, session_start: float) -> bool:
        """Whether the time limit has passed; all ranks agree (rank 0's clock decides)."""
        if self.config.time_limit is None:
            return False
        over = time.perf_counter() - session_start > self.config.time_limit
        return self.dist.mean(1.0 if over and self.dist.is_main else 0.0) > 0

    def _checkpoint(self) -> None:
        save_checkpoint(
            self.config.out,
            self.model,
            self.optimizer,
            self.state,
            self.config.record(),
            keep_earlier=self.config.keep_checkpoints,
        )
        self.last_checkpoint = self.state.step
        self.write_reports()

    def write_reports(self) -> None:
        """The human-readable training log and the curves PNG (rank 0)."""
        write_curves(self.config.out / CURVES_FILE, self.state.losses, self.state.validation)
        with atomic_output(self.config.out / RUN_RECORD_NAME, overwrite=True) as temp:
            temp.write_text(json.dumps(self._log(), indent=2) + "\n")

    def _initialised_from(self) -> dict[str, Any] | None:
        """The --init weights and their own training record, so a fine-tune's log keeps
        the whole budget; read when the run began (a resumed run keeps what it logged)."""
        if self.config.init is None:
            return None
        logged = self.config.out / RUN_RECORD_NAME
        if self.state.step > 0 and logged.is_file():
            return json.loads(logged.read_text()).get("initialised_from")
        record = training_record(resolve_weights(self.config.init)) or {}
        return {"weights": self.config.init, **record}

    def _log(self) -> dict[str, Any]:
        state, device = self.state, self.dist.device
        tail = state.losses[-100:]
        return {
            "settings": self.config.record(),
            "step": state.step,
            "examples_seen": state.examples_seen,
            "training_seconds": round(state.elapsed, 1),
            "device": _device_name(device),
            "processes": self.dist.world_size,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "mean_loss_last_100_steps": sum(tail) / len(tail) if tail else None,
            "validation_psnr_mu": [[step, round(score, 3)] for step, score in state.validation],
            "final_validation_psnr_mu": state.validation[-1][1] if state.validation else None,
            "validation_reference_only_psnr_mu": self.reference_only,
            "initialised_from": self.initialised_from,
        }


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()})"
