"""torch DDP under torchrun: process-group set-up from the environment, and data sharding.

Without torchrun's variables (WORLD_SIZE, RANK, LOCAL_RANK) the run is one
process and no process group is made. The synthetic stream is sharded by
example index: each global step takes the next ``batch`` indices, and rank r
takes its contiguous slice of them, so every process count sees the same
global batch (examples depend on (seed, index) alone).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from ahdr_nodes import UserError


@dataclass(frozen=True)
class Distributed:
    """This process's place in the run: rank, world size and the device it trains on."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes files and shows progress."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def mean(self, value: float) -> float:
        """The mean of ``value`` over all ranks (every rank must call it)."""
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return float(tensor.item()) / self.world_size

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()


def start_distributed(device_choice: str) -> Distributed:
    """Join the torchrun process group if there is one; pick the device.

    ``device_choice`` is auto, cpu or cuda. Backend: nccl on CUDA, gloo on CPU.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_choice == "cuda" or (device_choice == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device is available")
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", init_method="env://")
    return Distributed(rank=rank, world_size=world_size, device=device)


class StepBatches(Sampler[list[int]]):
    """This rank's example indices for each step from ``start_step`` on.

    Step s of a run that has seen ``examples_seen`` examples at ``start_step``
    takes global indices examples_seen + (s - start_step) * batch + [0, batch);
    rank r takes [r * per_rank, (r + 1) * per_rank) of those.
    """

    def __init__(
        self, start_step: int, end_step: int, examples_seen: int, batch: int, dist_: Distributed
    ) -> None:
        if batch % dist_.world_size:
            raise UserError(
                f"global batch {batch} does not split evenly over {dist_.world_size} processes"
            )
        self.start_step = start_step
        self.end_step = end_step
        self.examples_seen = examples_seen
        self.batch = batch
        self.per_rank = batch // dist_.world_size
        self.rank = dist_.rank

    def __len__(self) -> int:
        return max(self.end_step - self.start_step, 0)

    def __iter__(self) -> Iterator[list[int]]:
        for offset in range(len(self)):
            first = self.examples_seen + offset * self.batch + self.rank * self.per_rank
            yield list(range(first, first + self.per_rank))
