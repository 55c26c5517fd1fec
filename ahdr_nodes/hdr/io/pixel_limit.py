"""The largest image a reader decodes, checked from the file's header before decoding.

A 656 KB PNG can decode to 15000x15000 pixels: gigabytes once it is a float
frame. Every reader (PNG, JPEG, TIFF, EXR, .hdr) reads the dimensions from the
header first and refuses an image over the limit, so memory is bounded by the
limit, not by what a file claims. The limit is a setting, not a constant: the
environment variable ``AHDR_MAX_PIXELS`` (which batch workers inherit) raises it
for genuinely large images.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from ahdr_nodes import UserError

MAX_PIXELS_ENV = "AHDR_MAX_PIXELS"
# 100 megapixels: above the largest camera sensors in common use, about 1.2 GB as
# one float32 RGB frame.
DEFAULT_MAX_PIXELS = 100_000_000
# Samples per pixel the limit allows before channels count against it (RGBA).
_CHANNELS_INCLUDED = 4

# This check replaces Pillow's own decompression-bomb guard, which would
# otherwise raise (exit 1) or warn while EXIF is read, before the check runs.
Image.MAX_IMAGE_PIXELS = None


def max_pixels() -> int:
    """The limit in force: AHDR_MAX_PIXELS when set, else DEFAULT_MAX_PIXELS."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        limit = int(text.replace("_", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise UserError(f"{MAX_PIXELS_ENV}={text[:40]!r}: expected a whole number of pixels >= 1")
    return limit


def check_pixels(source: Path, *sizes: tuple[int, int, int]) -> None:
    """Refuse an image whose header claims more than the limit, before any decoding.

    ``sizes``: (width, height, channels) of each image the decoder will read
    (an EXR may hold several parts). Channels beyond four count against the
    limit, so a file with many channels of a modest size is bounded too.
    """
    limit = max_pixels()
    total = 0
    for width, height, channels in sizes:
        if width < 1 or height < 1:
            raise UserError(f"{source}: the header claims an empty image ({width}x{height})")
        total += width * height * max(channels, _CHANNELS_INCLUDED) // _CHANNELS_INCLUDED
    if total > limit:
        width, height, channels = sizes[0]
        extra = f" in {channels} channels" if channels > _CHANNELS_INCLUDED else ""
        extra += f" (and {len(sizes) - 1} more parts)" if len(sizes) > 1 else ""
        raise UserError(
            f"{source}: {width}x{height} pixels{extra} is over the limit of {limit:,} pixels; "
            f"set {MAX_PIXELS_ENV} to raise it"
        )
