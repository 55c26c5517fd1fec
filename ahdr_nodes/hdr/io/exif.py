"""The one EXIF reader: a frame's tags, the main IFD and the Exif sub-IFD merged.

Pillow reads the Exif sub-IFD of a TIFF lazily, by seeking in the open file,
so both IFDs are read while the file is still open; reading the sub-IFD after
closing it fails with "seek of closed file" on TIFFs (JPEGs keep EXIF in memory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

EXIF_IFD = 0x8769
ORIENTATION_TAG = 0x0112
EXPOSURE_TIME_TAG = 0x829A
F_NUMBER_TAG = 0x829D
ISO_TAG = 0x8827


class ExifUnreadable(Exception):
    """The file exists but Pillow cannot open it as an image."""


def read_exif(path: Path) -> dict[int, Any]:
    """All tags of the main IFD and the Exif sub-IFD (the sub-IFD wins on clashes).

    Raises FileNotFoundError for a missing file and ExifUnreadable for one that
    is not a readable image.
    """
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            return {**dict(exif), **dict(exif.get_ifd(EXIF_IFD))}
    except FileNotFoundError:
        raise
    except Exception as error:  # Pillow's parsers on a hostile file may raise anything
        raise ExifUnreadable(str(error)) from None
