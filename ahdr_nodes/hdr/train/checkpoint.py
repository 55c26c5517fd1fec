"""Checkpoints that resume exactly: model weights, optimizer, RNG states and data position.

A checkpoint is two files in the output folder: ``checkpoint-STEP.safetensors``
(the model, loadable by ``resolve_weights``) and ``checkpoint.pt`` (our own
state: step, examples seen, Adam moments, RNG states, history), which names the
weights file. ``checkpoint.pt`` is replaced last and atomically, so it always
points at a complete pair; older weights files are removed after it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ahdr_nodes import UserError, atomic_output
from ahdr_nodes.hdr.model import AHDRNet, load_weights
from ahdr_nodes.hdr.model.torch_load import load_pickle_safely
from ahdr_nodes.hdr.model.weights import write_weights

STATE_FILE = "checkpoint.pt"
WEIGHTS_PATTERN = "checkpoint-{step:07d}.safetensors"
OWN_WEIGHTS = re.compile(r"checkpoint-\d{7}\.safetensors")


@dataclass
class TrainingState:
    """Everything besides the weights that a resumed run needs to continue identically.

    ``losses``: mean training loss of every step so far. ``validation``: (step,
    PSNR-mu) pairs. ``elapsed``: training seconds summed over all sessions.
    """

    step: int = 0
    examples_seen: int = 0
    elapsed: float = 0.0
    losses: list[float] = field(default_factory=list)
    validation: list[tuple[int, float]] = field(default_factory=list)


def save_checkpoint(
    out: Path,
    model: AHDRNet,
    optimizer: torch.optim.Optimizer,
    state: TrainingState,
    settings: dict[str, Any],
    keep_earlier: bool = False,
) -> Path:
    """Write the checkpoint of ``state.step``; return the weights file's path. Earlier
    ``checkpoint-STEP.safetensors`` files are removed unless ``keep_earlier`` (to average
    the last ones afterwards: ``ahdr weights average``)."""
    weights = out / WEIGHTS_PATTERN.format(step=state.step)
    write_weights(model.state_dict(), model.config, weights, overwrite=True)
    payload = {
        "weights": weights.name,
        "step": state.step,
        "examples_seen": state.examples_seen,
        "elapsed": state.elapsed,
        "losses": list(state.losses),
        "validation": [list(item) for item in state.validation],
        "optimizer": optimizer.state_dict(),
        "rng": _rng_states(),
        "settings": settings,
    }
    with atomic_output(out / STATE_FILE, overwrite=True) as temp:
        torch.save(payload, temp)
    if not keep_earlier:
        for stale in out.glob("checkpoint-*.safetensors"):
            # only the files this function names: a user's checkpoint-best stays
            if stale != weights and OWN_WEIGHTS.fullmatch(stale.name):
                stale.unlink(missing_ok=True)
    return weights


def load_checkpoint(
    out: Path, model: AHDRNet, optimizer: torch.optim.Optimizer
) -> tuple[TrainingState, dict[str, Any]]:
    """Restore model, optimizer and RNG states from ``out``; return the state and settings."""
    path = out / STATE_FILE
    if not path.is_file():
        raise UserError(f"{out}: no {STATE_FILE} to resume from")
    payload = load_pickle_safely(path)
    try:
        load_weights(model, out / payload["weights"])
        optimizer.load_state_dict(payload["optimizer"])
        _restore_rng(payload["rng"])
        state = TrainingState(
            step=payload["step"],
            examples_seen=payload["examples_seen"],
            elapsed=payload["elapsed"],
            losses=list(payload["losses"]),
            validation=[(int(step), float(value)) for step, value in payload["validation"]],
        )
        return state, payload["settings"]
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise UserError(f"{path}: not a checkpoint of this tool ({error!r})") from None


def _rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _restore_rng(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    cuda = states.get("cuda")
    # a checkpoint moved to a machine with other GPUs keeps that machine's seeding
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
