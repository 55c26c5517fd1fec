"""A regular subsample of an image, for statistics that need no more pixels."""

from __future__ import annotations

import math


def subsample_stride(height: int, width: int, samples: int) -> int:
    """The step in both directions that leaves at most ``samples`` of ``height`` x
    ``width`` pixels (1 for smaller images)."""
    return max(1, math.ceil(math.sqrt(height * width / samples)))
