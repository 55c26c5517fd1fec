"""Classes 4 and 10: every image reader checks the pixel limit from the header before
decoding, and what the C decoders print is captured: a bad file prints one line."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hostile_support import assert_refused, snapshot, write_frames
from PIL import Image

from ahdr_nodes.hdr.io import write_hdr
from ahdr_nodes.hdr.io.pixel_limit import MAX_PIXELS_ENV


def _png_bomb(path: Path, side: int = 15000) -> Path:
    """A real PNG of ``side`` x ``side`` black gray pixels: a few hundred KB on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    compressor = zlib.compressobj(1)
    row = b"\0" * (side + 1)  # filter byte, then the row
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def _merge(ahdr, first: Path, frames: list[Path]):
    out = frames[0].parent.parent / "o.exr"
    paths = [first, *frames[1:]]
    return ahdr("merge", *map(str, paths), "--ev", "-2,0,2", "--graph", "debevec", "-o", str(out))


def test_a_png_bomb_is_refused_from_its_header(ahdr, tmp_path: Path, frames: list[Path]) -> None:
    bomb = _png_bomb(tmp_path / "bomb.png")
    before = snapshot(tmp_path)
    result = _merge(ahdr, bomb, frames)
    assert_refused(result.code, result.err, f"{bomb}: 15000x15000 pixels is over the limit")
    assert MAX_PIXELS_ENV in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_the_pixel_limit_applies_to_every_ldr_format_and_can_be_raised(
    ahdr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    frames = [p.rename(p.with_suffix(suffix)) for p in write_frames(tmp_path / "in", 32, 40)]
    for path in frames:  # the renamed PNGs re-encoded in their new format
        cv2.imwrite(str(path), np.full((32, 40, 3), 128, np.uint8))
    monkeypatch.setenv(MAX_PIXELS_ENV, "1000")
    before = snapshot(tmp_path)
    result = _merge(ahdr, frames[0], frames)
    assert_refused(result.code, result.err, f"{frames[0]}: 40x32 pixels is over the limit of 1,000")
    assert snapshot(tmp_path) == before
    monkeypatch.setenv(MAX_PIXELS_ENV, "1280")
    assert _merge(ahdr, frames[0], frames).code == 0


@pytest.mark.parametrize("suffix", [".exr", ".hdr"])
def test_the_pixel_limit_applies_to_hdr_sources(
    ahdr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    source = write_hdr(tmp_path / f"src{suffix}", np.ones((48, 64, 3), np.float32))
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    before = snapshot(tmp_path)
    result = ahdr(
        "data", "synth", str(source), str(tmp_path / "out"), "--size", "32x32", "--scenes", "1"
    )
    assert_refused(result.code, result.err, f"{source}: 64x48 pixels is over the limit of 3,000")
    assert snapshot(tmp_path) == before


def test_a_bad_limit_setting_is_refused(ahdr, frames: list[Path], monkeypatch) -> None:
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    result = _merge(ahdr, frames[0], frames)
    assert_refused(result.code, result.err, f"{MAX_PIXELS_ENV}='lots': expected a whole number")


def _corrupt(path: Path, at: float = 1 / 3, count: int = 40) -> Path:
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    for index in range(start, min(start + count, len(data))):
        data[index] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def _noisy_frame(folder: Path, suffix: str) -> Path:
    """A frame whose decoder complains on the C side (libpng, libtiff via OpenCV)."""
    path = folder / f"noisy{suffix}"
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(path), noise)
    return _corrupt(path)


@pytest.mark.parametrize(
    ("suffix", "said"),
    [(".png", "libpng error: IDAT: CRC error"), (".tif", "Using code not yet in table")],
)
def test_a_corrupt_frame_prints_one_line_not_the_decoders_output(
    ahdr_fd, tmp_path: Path, frames: list[Path], suffix: str, said: str
) -> None:
    noisy = _noisy_frame(tmp_path, suffix)
    before = snapshot(tmp_path)
    result = _merge(ahdr_fd, noisy, frames)
    assert_refused(result.code, result.err, f"{noisy}: cannot decode image")
    assert said in result.err
    assert snapshot(tmp_path) == before


def test_a_truncated_exr_prints_one_line(ahdr_fd, tmp_path: Path) -> None:
    source = write_hdr(tmp_path / "src.exr", np.ones((64, 64, 3), np.float32), half=False)
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    before = snapshot(tmp_path)
    result = ahdr_fd(
        "data", "synth", str(source), str(tmp_path / "out"), "--size", "32x32", "--scenes", "1"
    )
    assert_refused(result.code, result.err, f"{source}: not a readable EXR file")
    assert result.out == ""
    assert snapshot(tmp_path) == before


def _tiff_of_width_zero(path: Path) -> Path:
    """A TIFF whose ImageWidth entry says 0: Pillow's header parser raises ValueError."""
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(buffer, "TIFF")
    data = bytearray(buffer.getvalue())
    directory = struct.unpack("<I", data[4:8])[0]
    for entry in range(struct.unpack("<H", data[directory : directory + 2])[0]):
        at = directory + 2 + 12 * entry
        if struct.unpack("<H", data[at : at + 2])[0] == 256:  # ImageWidth, a LONG here
            data[at + 8 : at + 12] = struct.pack("<I", 0)
    path.write_bytes(bytes(data))
    return path


def test_a_frame_whose_exif_cannot_be_parsed_is_refused_when_grouping(ahdr, tmp_path: Path) -> None:
    # found by the fuzz: EXIF capture times were read by a second reader that let
    # Pillow's ValueError through (exit 1)
    folder = tmp_path / "in"
    write_frames(folder, 8, 8, count=2)
    _tiff_of_width_zero(folder / "z.tif")
    before = snapshot(tmp_path)
    result = ahdr("batch", "debevec", str(folder), str(tmp_path / "out"))
    assert_refused(result.code, result.err, "no EXIF capture time to group by")
    assert snapshot(tmp_path) == before
