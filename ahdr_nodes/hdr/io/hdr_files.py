"""Reading and writing linear HDR images: OpenEXR (.exr) and Radiance (.hdr).

Arrays are HxWx3 float32, RGB order. EXR goes through the OpenEXR package;
Radiance RGBE through ``radiance.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import OpenEXR

from ahdr_nodes import UserError, atomic_output
from ahdr_nodes.hdr.io.native_output import complaint, native_output
from ahdr_nodes.hdr.io.pixel_limit import check_pixels
from ahdr_nodes.hdr.io.radiance import read_radiance, write_radiance

HDR_SUFFIXES = (".exr", ".hdr")

EXR_COMPRESSIONS = {
    "none": OpenEXR.NO_COMPRESSION,
    "rle": OpenEXR.RLE_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "zip": OpenEXR.ZIP_COMPRESSION,
    "piz": OpenEXR.PIZ_COMPRESSION,
    "pxr24": OpenEXR.PXR24_COMPRESSION,
    "b44": OpenEXR.B44_COMPRESSION,
    "b44a": OpenEXR.B44A_COMPRESSION,
    "dwaa": OpenEXR.DWAA_COMPRESSION,
    "dwab": OpenEXR.DWAB_COMPRESSION,
}

# The largest finite half float. Brighter values are clipped to it rather than
# written as infinity.
HALF_MAX = float(np.finfo(np.float16).max)


def read_hdr(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an .exr or .hdr file as HxWx3 float32 RGB.

    A single-channel EXR (Y) is repeated into RGB. Raises UserError naming the
    file when it is missing, corrupt, truncated or of another format.
    """
    source = Path(path)
    suffix = _hdr_suffix(source)
    if not source.is_file():
        raise UserError(f"{source}: file not found")
    return _read_exr(source) if suffix == ".exr" else read_radiance(source)


def write_hdr(
    path: str | os.PathLike[str],
    data: np.ndarray,
    *,
    half: bool = True,
    compression: str = "zip",
    overwrite: bool = False,
    attributes: Mapping[str, str] | None = None,
) -> Path:
    """Write HxWx3 linear RGB atomically to an .exr or .hdr file; return the path.

    EXR: half floats by default (values above 65504 are clipped to it), full
    floats with ``half=False``; ``compression`` is one of EXR_COMPRESSIONS;
    ``attributes`` become string attributes of the header (provenance).
    ``half``, ``compression`` and ``attributes`` do not apply to .hdr (RGBE,
    ~1 % precision, no negative values).
    """
    target = Path(path)
    suffix = _hdr_suffix(target)
    if compression not in EXR_COMPRESSIONS:
        options = ", ".join(EXR_COMPRESSIONS)
        raise UserError(f"EXR compression {compression!r} is not one of: {options}")
    image = _as_rgb_float(data)
    with atomic_output(target, overwrite) as temp:
        if suffix == ".exr":
            _write_exr(temp, image, half, EXR_COMPRESSIONS[compression], attributes or {})
        else:
            write_radiance(temp, image)
    return target


def _hdr_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in HDR_SUFFIXES:
        raise UserError(f"{path}: unsupported HDR format {suffix or '(none)'!r} (use .exr or .hdr)")
    return suffix


def _read_exr(source: Path) -> np.ndarray:
    """Header first (the pixel limit, over every part), then the pixels.

    OpenEXR reports some corrupt pixel data only by printing it and returning
    what it could read: that printed complaint refuses the file too.
    """
    with native_output():
        try:
            with OpenEXR.File(str(source), header_only=True) as exr:
                sizes = [_part_size(part.header) for part in exr.parts]
        except Exception as error:  # the header parser on a hostile file
            raise UserError(f"{source}: not a readable EXR file ({_first_line(error)})") from None
    check_pixels(source, *sizes)
    with native_output() as captured:
        try:
            with OpenEXR.File(str(source), separate_channels=True) as exr:
                channels = {name: channel.pixels for name, channel in exr.channels().items()}
        except Exception as error:
            raise UserError(f"{source}: not a readable EXR file ({_first_line(error)})") from None
    said = complaint(captured)
    if said is not None:
        raise UserError(f"{source}: not a readable EXR file ({said})")
    if all(name in channels for name in "RGB"):
        planes = [channels[name] for name in "RGB"]
    elif "Y" in channels:
        planes = [channels["Y"]] * 3
    else:
        found = ", ".join(sorted(channels)) or "none"
        raise UserError(f"{source}: EXR has no R, G, B or Y channels (found: {found})")
    if len({plane.shape for plane in planes}) != 1:
        raise UserError(f"{source}: EXR channels are subsampled differently; not supported")
    return np.stack([plane.astype(np.float32) for plane in planes], axis=-1)


def _part_size(header: dict) -> tuple[int, int, int]:
    """Width, height and channel count of one part, from its data window."""
    (x0, y0), (x1, y1) = header["dataWindow"]
    return int(x1) - int(x0) + 1, int(y1) - int(y0) + 1, len(header.get("channels", ()))


def _write_exr(
    temp: Path,
    image: np.ndarray,
    half: bool,
    compression: OpenEXR.Compression,
    attributes: Mapping[str, str],
) -> None:
    if half:
        image = np.clip(image, -HALF_MAX, HALF_MAX).astype(np.float16)
    planes = {name: np.ascontiguousarray(image[..., index]) for index, name in enumerate("RGB")}
    header = {**attributes, "compression": compression, "type": OpenEXR.scanlineimage}
    try:
        with OpenEXR.File(header, planes) as exr:
            exr.write(str(temp))
    except (RuntimeError, ValueError, OSError) as error:
        raise UserError(f"{temp}: cannot write EXR ({_first_line(error)})") from None


def _as_rgb_float(data: np.ndarray) -> np.ndarray:
    image = np.asarray(data)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    return image.astype(np.float32, copy=False)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
