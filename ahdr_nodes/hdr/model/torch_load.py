"""The one way a PyTorch pickle from outside is read: ``torch.load(weights_only=True)``,
with every failure in our own words.

torch's refusal of a pickle that names Python objects ends in advice to retry with
``weights_only=False``, which would run the file's code: that advice never reaches a
user. Any other failure of the unpickler on hostile bytes (it may raise anything)
means the file is no checkpoint.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from ahdr_nodes import UserError

# How torch.load(weights_only=True) says it met a Python object it will not build
# (a class or function the pickle names), as opposed to bytes that are no pickle.
_CODE_REFUSALS = ("was not an allowed global", "Unsupported global")


def load_pickle_safely(path: Path) -> Any:
    """The tensors, numbers and containers in ``path``; UserError naming it otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's own warnings advise loading unsafely
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        if isinstance(error, pickle.UnpicklingError) and any(
            refusal in str(error) for refusal in _CODE_REFUSALS
        ):
            raise UserError(
                f"{path}: holds Python objects besides tensors; refused, since loading them "
                "could run code"
            ) from None
        raise UserError(f"{path}: not a PyTorch checkpoint (corrupt or another format)") from None
