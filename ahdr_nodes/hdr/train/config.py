"""One training run's settings, as data: what the CLI parses and the checkpoint records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ahdr_nodes import UserError
from ahdr_nodes.hdr.model import AHDRNetConfig
from ahdr_nodes.hdr.ops.linearise import DEFAULT_RESPONSE, RESPONSES

AMP_CHOICES = ("none", "bf16")
DEVICE_CHOICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of ``ahdr train``.

    ``batch`` is the global batch: under DDP each of the ``world_size`` ranks
    takes ``batch / world_size`` examples per step, so the run computes the same
    gradients whatever the number of processes. ``lr_drop_at``: fraction of
    ``steps`` after which the learning rate is multiplied by 0.1 (official code).
    ``response``: how frames are linearised (the Linearise node's choices).
    ``stop_at`` / ``time_limit``: end early (checkpoint written) so that a later
    ``resume`` continues the same schedule. ``scenes``: train on crops of these scene
    folders (Kalantari layout with ground truth, e.g. Kalantari's real training set)
    instead of brackets synthesised from ``train_files``; validation still synthesises
    from ``validation_files``. ``init``: weights to start from (``builtin`` or a
    .safetensors path) instead of Xavier initialisation, to fine-tune shipped weights on
    another camera or dataset; their architecture becomes ``model``. ``keep_checkpoints``:
    keep every ``checkpoint-STEP.safetensors`` instead of the latest only.
    """

    train_files: tuple[Path, ...]
    validation_files: tuple[Path, ...]
    out: Path
    steps: int
    batch: int = 8
    crop: int = 256
    lr: float = 1e-4
    lr_drop_at: float = 0.8
    seed: int = 0
    amp: str = "none"
    device: str = "auto"
    workers: int = 0
    val_every: int = 500
    val_examples: int = 16
    val_crop: int = 256
    checkpoint_every: int = 500
    resume: bool = False
    stop_at: int | None = None
    time_limit: float | None = None
    response: str = DEFAULT_RESPONSE
    scenes: Path | None = None
    init: str | None = None
    keep_checkpoints: bool = False
    model: AHDRNetConfig = field(default_factory=AHDRNetConfig)

    def __post_init__(self) -> None:
        positive = {
            "steps": self.steps,
            "batch": self.batch,
            "crop": self.crop,
            "val_every": self.val_every,
            "val_examples": self.val_examples,
            "val_crop": self.val_crop,
            "checkpoint_every": self.checkpoint_every,
        }
        for name, value in positive.items():
            if value < 1:
                raise UserError(f"training {name} must be at least 1, got {value}")
        if self.crop < 8 or self.val_crop < 8:
            raise UserError(f"training crops must be at least 8 pixels, got {self.crop}")
        if not self.lr > 0:
            raise UserError(f"learning rate must be positive, got {self.lr}")
        if not 0.0 < self.lr_drop_at <= 1.0:
            raise UserError(f"learning-rate drop point {self.lr_drop_at} is not in (0, 1]")
        if self.seed < 0 or self.workers < 0:
            raise UserError(f"seed {self.seed} and workers {self.workers} must not be negative")
        if self.scenes is not None and not self.scenes.is_dir():
            raise UserError(f"--scenes {self.scenes}: not a folder of scene folders")
        if self.amp not in AMP_CHOICES:
            raise UserError(f"--amp {self.amp!r}: choose one of {', '.join(AMP_CHOICES)}")
        if self.device not in DEVICE_CHOICES:
            raise UserError(f"--device {self.device!r}: choose one of {', '.join(DEVICE_CHOICES)}")
        if self.stop_at is not None and not 0 < self.stop_at <= self.steps:
            raise UserError(f"--stop-at {self.stop_at} must lie in 1..{self.steps}")
        if self.response not in RESPONSES:
            raise UserError(f"--response {self.response!r}: choose one of {', '.join(RESPONSES)}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise UserError(f"--time-limit {self.time_limit} must be positive")
        if not self.train_files:
            raise UserError("no training HDR images")
        if not self.validation_files:
            raise UserError("no held-out validation HDR images")

    def learning_rate(self, step: int) -> float:
        """The step's learning rate: ``lr``, then a tenth of it from ``lr_drop_at``."""
        return self.lr if step < self.lr_drop_at * self.steps else 0.1 * self.lr

    def record(self) -> dict[str, Any]:
        """JSON-ready settings for the training log and checkpoint."""
        values = asdict(self)
        values["train_files"] = [p.name for p in self.train_files]
        values["validation_files"] = [p.name for p in self.validation_files]
        values["out"] = str(self.out)
        values["scenes"] = None if self.scenes is None else str(self.scenes)
        values["model"] = asdict(self.model)
        return values
