"""Reading and writing display-referred (LDR) images: PNG, JPEG, TIFF.

Frames are decoded by OpenCV (8- and 16-bit, alpha kept so that it can be
reported) and returned as HxWx3 float32 RGB in [0, 1]. EXIF orientation is
read with Pillow and applied here, because OpenCV ignores it when asked for the
unchanged bit depth.

Grayscale and RGBA frames are converted, not refused: gray is repeated into
RGB and alpha is dropped; each conversion adds a line to ``LDRInfo.warnings``
so the calling node can show it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, TiffImagePlugin, UnidentifiedImageError

from ahdr_nodes import UserError, atomic_output
from ahdr_nodes.hdr.io.exif import ORIENTATION_TAG, ExifUnreadable, read_exif
from ahdr_nodes.hdr.io.native_output import complaint, native_output
from ahdr_nodes.hdr.io.pixel_limit import check_pixels

LDR_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
_FULL_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


@dataclass
class LDRInfo:
    """What decoding found out about a frame besides its pixels."""

    path: Path
    bit_depth: int
    orientation: int = 1
    warnings: list[str] = field(default_factory=list)


def read_ldr(path: str | os.PathLike[str]) -> tuple[np.ndarray, LDRInfo]:
    """Read a PNG, JPEG or TIFF frame as HxWx3 float32 RGB in [0, 1].

    Raises UserError naming the file when it is missing, corrupt, truncated,
    over the pixel limit, of an unsupported format, or of a sample type other
    than 8/16-bit integer. What the C decoders print is captured, never shown.
    """
    source = Path(path)
    _check_ldr_suffix(source)
    if not source.is_file():
        raise UserError(f"{source}: file not found")
    check_pixels(source, _header_size(source))
    with native_output() as captured:
        try:
            raw = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
        except cv2.error:
            raw = None
    said = complaint(captured)
    if raw is None or said is not None or not _jpeg_complete(source):
        reason = f": {said}" if said else ""
        raise UserError(
            f"{source}: cannot decode image (corrupt, truncated or not a real image{reason})"
        )
    if raw.dtype not in _FULL_SCALE:
        raise UserError(f"{source}: unsupported sample type {raw.dtype} (use 8- or 16-bit images)")
    info = LDRInfo(path=source, bit_depth=8 * raw.dtype.itemsize)
    rgb = _to_rgb(raw, info)
    info.orientation = read_orientation(source)
    rgb = apply_orientation(rgb, info.orientation)
    frame = rgb.astype(np.float32) / np.float32(_FULL_SCALE[raw.dtype])
    return np.ascontiguousarray(frame), info


def write_ldr(
    path: str | os.PathLike[str],
    data: np.ndarray,
    bits: int = 8,
    *,
    jpeg_quality: int = 95,
    overwrite: bool = False,
) -> Path:
    """Write HxWx3 RGB in [0, 1] atomically as PNG (8/16), TIFF (8/16) or JPEG (8).

    Values outside [0, 1] are clipped; the path's extension picks the format.
    """
    target = Path(path)
    _check_ldr_suffix(target)
    if bits not in (8, 16):
        raise UserError(f"{target}: bit depth {bits} is not 8 or 16")
    if bits == 16 and target.suffix.lower() in (".jpg", ".jpeg"):
        raise UserError(f"{target}: JPEG holds 8 bits only; use .png or .tif for 16-bit output")
    image = np.asarray(data, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    dtype = np.uint8 if bits == 8 else np.uint16
    scale = _FULL_SCALE[np.dtype(dtype)]
    quantised = np.rint(np.clip(np.nan_to_num(image), 0.0, 1.0) * scale).astype(dtype)
    bgr = np.ascontiguousarray(quantised[..., ::-1])
    is_jpeg = target.suffix.lower() in (".jpg", ".jpeg")
    options = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if is_jpeg else []
    with atomic_output(target, overwrite) as temp:
        try:
            written = cv2.imwrite(str(temp), bgr, options)
        except cv2.error:
            written = False
        if not written:
            raise UserError(f"{target}: cannot write image")
    return target


def read_orientation(path: Path) -> int:
    """The EXIF orientation (1..8) of an image file; 1 when absent or unreadable."""
    try:
        value = read_exif(path).get(ORIENTATION_TAG, 1)
    except (FileNotFoundError, ExifUnreadable):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright according to an EXIF orientation value.

    Same result as Pillow's ``ImageOps.exif_transpose``; works for any dtype
    and channel count.
    """
    if orientation == 2:
        return image[:, ::-1]
    if orientation == 3:
        return image[::-1, ::-1]
    if orientation == 4:
        return image[::-1]
    if orientation == 5:
        return image.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(image, k=-1)
    if orientation == 7:
        return np.rot90(image, k=2).swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(image, k=1)
    return image


def _header_size(source: Path) -> tuple[int, int, int]:
    """Width, height and channel count from the header alone (Pillow opens lazily).

    A TIFF of a sample type Pillow has no mode for (float) is measured from its
    first directory. Any failure of a header parser on a hostile file means the
    file cannot be read, whatever exception the parser raises.
    """
    try:
        with Image.open(source) as image:
            return image.size[0], image.size[1], len(image.getbands())
    except Exception:
        pass
    try:
        return _tiff_directory_size(source)
    except Exception:
        raise UserError(
            f"{source}: cannot decode image (corrupt, truncated or not a real image)"
        ) from None


def _tiff_directory_size(source: Path) -> tuple[int, int, int]:
    """ImageWidth, ImageLength and SamplesPerPixel of a TIFF's first directory."""
    with source.open("rb") as handle:
        directory = TiffImagePlugin.ImageFileDirectory_v2(handle.read(8))
        handle.seek(directory.next)
        directory.load(handle)
    return int(directory[256]), int(directory[257]), int(directory.get(277, 1))


def _jpeg_complete(source: Path) -> bool:
    """False for a truncated JPEG, which OpenCV decodes with a grey tail.

    Pillow refuses to finish decoding a JPEG that ends early, so it is the
    judge; other formats are left to OpenCV, which refuses truncated ones.
    """
    if source.suffix.lower() not in (".jpg", ".jpeg"):
        return True
    try:
        with Image.open(source) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def _to_rgb(raw: np.ndarray, info: LDRInfo) -> np.ndarray:
    """OpenCV's gray, BGR or BGRA layout to RGB, noting each conversion."""
    if raw.ndim == 2 or raw.shape[2] == 1:
        info.warnings.append(f"{info.path}: grayscale frame repeated into RGB")
        gray = raw.reshape(raw.shape[0], raw.shape[1], 1)
        return np.repeat(gray, 3, axis=2)
    if raw.shape[2] == 4:
        info.warnings.append(f"{info.path}: alpha channel dropped")
        return raw[..., 2::-1]
    if raw.shape[2] == 3:
        return raw[..., ::-1]
    raise UserError(f"{info.path}: unsupported channel count {raw.shape[2]}")


def _check_ldr_suffix(path: Path) -> None:
    if path.suffix.lower() not in LDR_SUFFIXES:
        options = ", ".join(LDR_SUFFIXES)
        raise UserError(f"{path}: unsupported image format {path.suffix or '(none)'!r} ({options})")
