"""Radiance RGBE (.hdr) files, with the header read the way Radiance's own tools read it.

Radiance does not insist on ``#?RADIANCE`` being the first line: the header is
every line up to the first blank one, in any order (``#?RGBE`` from other
writers, ``VIEW=`` or comments before the magic). The header is parsed here;
the pixels, run-length encoded or flat, are decoded by OpenCV from a copy with
a normalised header, so that one C decoder does the byte work.

Header fields that change values are applied as Radiance's ``pvalue -o`` does:
pixels are divided by every ``EXPOSURE=`` and ``COLORCORR=``, giving the
radiance before those adjustments. All eight resolution-line orientations are
turned to top-to-bottom, left-to-right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ahdr_nodes import UserError
from ahdr_nodes.hdr.io.native_output import native_output
from ahdr_nodes.hdr.io.pixel_limit import check_pixels

RGBE_FORMAT = "32-bit_rle_rgbe"
MAX_HEADER_BYTES = 1 << 16
_MAX_RESOLUTION_LINE = 64
_RESOLUTION = re.compile(rb"^([+-])([XY]) (\d+) ([+-])([XY]) (\d+)$")


@dataclass
class RadianceHeader:
    """What the header says about the pixels, and where they start."""

    exposure: float
    colour_correction: np.ndarray
    resolution: tuple[str, str, int, str, str, int]
    data_offset: int


def read_radiance(source: Path) -> np.ndarray:
    """An .hdr file as HxWx3 float32 RGB; UserError naming the file when unreadable.

    The header is read and the pixel limit checked first; then no more bytes
    are read than the largest encoding of that many pixels can take.
    """
    with source.open("rb") as handle:
        header = parse_header(handle.read(MAX_HEADER_BYTES + _MAX_RESOLUTION_LINE), source)
        sign1, axis1, count1, sign2, axis2, count2 = header.resolution
        check_pixels(source, (count2, count1, 3))
        handle.seek(header.data_offset)
        data = handle.read(count1 * _max_scanline_bytes(count2))
    standard = f"#?RADIANCE\nFORMAT={RGBE_FORMAT}\n\n-Y {count1} +X {count2}\n".encode() + data
    with native_output():
        try:
            pixels = cv2.imdecode(
                np.frombuffer(standard, np.uint8), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR
            )
        except cv2.error:
            pixels = None
    if pixels is None or pixels.dtype != np.float32 or pixels.shape[:2] != (count1, count2):
        raise UserError(f"{source}: not a readable Radiance .hdr file (corrupt or truncated)")
    rgb = pixels[..., ::-1] / (header.exposure * header.colour_correction)
    if (axis1 == "Y") == (sign1 == "+"):
        rgb = rgb[::-1]
    if (axis2 == "X") == (sign2 == "-"):
        rgb = rgb[:, ::-1]
    if axis1 == "X":
        rgb = rgb.swapaxes(0, 1)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _max_scanline_bytes(width: int) -> int:
    """The most bytes one scanline of ``width`` pixels can take: run-length encoded
    (a 4-byte marker, then per channel at worst every byte literal plus a count
    byte per 128) or flat (4 bytes a pixel), whichever is larger."""
    return 4 + 4 * (width + width // 128 + 1)


def write_radiance(temp: Path, image: np.ndarray) -> None:
    """HxWx3 RGB to RGBE through OpenCV (standard header, run-length encoded)."""
    bgr = np.ascontiguousarray(image[..., ::-1])
    try:
        written = cv2.imwrite(str(temp), bgr)
    except cv2.error as error:
        raise UserError(f"{temp}: cannot write Radiance .hdr ({error})") from None
    if not written:
        raise UserError(f"{temp}: cannot write Radiance .hdr")


def parse_header(data: bytes, source: Path) -> RadianceHeader:
    """The header lines up to the first blank one, then the resolution line.

    A file is taken as Radiance when its header has a ``#?`` identifier line
    or a ``FORMAT=`` line, wherever they are.
    """
    end = data.find(b"\n\n", 0, MAX_HEADER_BYTES)
    if end < 0:
        raise _unreadable(source, "no end of header")
    lines = data[:end].split(b"\n")
    if not any(line.startswith((b"#?", b"FORMAT=")) for line in lines):
        raise _unreadable(source, "no #? identifier or FORMAT= line")
    exposure, correction = 1.0, np.ones(3)
    for line in lines:
        field, _, value = line.decode("latin-1").strip().partition("=")
        if field == "FORMAT" and value.strip() != RGBE_FORMAT:
            raise _unreadable(source, f"pixel format {value.strip()!r} (only {RGBE_FORMAT})")
        if field == "EXPOSURE":
            exposure *= _positive_numbers(value, 1, source, field)[0]
        if field == "COLORCORR":
            correction = correction * _positive_numbers(value, 3, source, field)
    line_end = data.find(b"\n", end + 2)
    match = _RESOLUTION.match(data[end + 2 : line_end].strip()) if line_end > 0 else None
    if match is None or match.group(2) == match.group(5):
        raise _unreadable(source, "no valid resolution line")
    sign1, axis1, count1, sign2, axis2, count2 = (part.decode() for part in match.groups())
    resolution = (sign1, axis1, int(count1), sign2, axis2, int(count2))
    return RadianceHeader(exposure, correction, resolution, line_end + 1)


def _positive_numbers(value: str, count: int, source: Path, field: str) -> np.ndarray:
    try:
        numbers = np.array([float(part) for part in value.split()], dtype=np.float64)
    except ValueError:
        numbers = np.array([])
    if numbers.size != count or not np.all(np.isfinite(numbers) & (numbers > 0)):
        raise _unreadable(source, f"{field}={value.strip()} is not {count} positive number(s)")
    return numbers


def _unreadable(source: Path, reason: str) -> UserError:
    return UserError(f"{source}: not a readable Radiance .hdr file ({reason})")
