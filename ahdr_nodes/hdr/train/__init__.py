"""Training AHDRNet on synthetic brackets: the loop, checkpoints, DDP and curves.

``train(TrainConfig(...))`` is what ``ahdr train`` runs; under ``torchrun`` the
same call trains on every rank with torch DDP.
"""

from ahdr_nodes.hdr.train.config import TrainConfig
from ahdr_nodes.hdr.train.loop import TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train"]
