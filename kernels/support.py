"""What the fused kernels cover, readable without importing triton.

The model asks here once, when it is built, whether its blocks can run fused;
nothing else in the project restates these limits.
"""

from __future__ import annotations

import importlib.util

GROWTH = 32  # output channels of every DRDB layer
DILATION = 2  # the dilated 3x3 convs' dilation (and padding)


def supports(channels: int, growth: int, dilation: int) -> bool:
    """True when a DRDB of this shape runs on the fused kernels (width a multiple of 32)."""
    return growth == GROWTH and dilation == DILATION and channels > 0 and channels % GROWTH == 0


def triton_available() -> bool:
    """True when the triton package can be imported (it is an optional dependency)."""
    return importlib.util.find_spec("triton") is not None


# How a network may run its DRDBs: the eager reference, the fused kernels, or the
# kernels where they cover the blocks and the input is on CUDA (decided once, when
# the network is built).
DRDB_IMPLS = ("eager", "triton", "auto")
