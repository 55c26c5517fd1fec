"""Where and in what precision the network runs.

The choices are names (torch's own dtype names, two layouts), so node params can
offer them without importing torch; torch loads when a value is picked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ahdr_nodes import UserError

if TYPE_CHECKING:
    import torch

DTYPE_NAMES = ("float32", "bfloat16", "float16")
# layout name -> torch memory format: nhwc = channels-last (1.4x faster on CPU)
LAYOUTS = {"nchw": "contiguous_format", "nhwc": "channels_last"}


def pick_device(choice: str) -> torch.device:
    """``auto`` is CUDA when available, else the CPU; ``cuda`` without a GPU is an error."""
    import torch

    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' requested but no CUDA GPU is available; use device: cpu")
    return torch.device(choice)


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """The dtype named ``name``; half types run on CUDA only."""
    import torch

    if name != "float32" and device.type != "cuda":
        raise UserError(f"dtype {name!r} runs on CUDA only; on the CPU use dtype: float32")
    return getattr(torch, name)


def memory_format(layout: str) -> torch.memory_format:
    import torch

    return getattr(torch, LAYOUTS[layout])
