"""Kernel tests run on the CPU through the Triton interpreter, or compiled on a GPU.

With TRITON_INTERPRET=0 on a machine with CUDA (scripts/gpu_check.sh), the same
tests check the compiled kernels on the GPU.
"""

import os

import pytest
import torch


@pytest.fixture(scope="session")
def device() -> torch.device:
    interpreting = os.environ.get("TRITON_INTERPRET") == "1"
    if not interpreting and not torch.cuda.is_available():
        pytest.skip("compiled Triton kernels need CUDA; set TRITON_INTERPRET=1 on the CPU")
    return torch.device("cpu" if interpreting else "cuda")
