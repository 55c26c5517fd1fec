"""Radiance .hdr headers as other writers produce them: order, magic, orientation, scaling."""

import itertools

import cv2
import numpy as np
import pytest

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.io import read_hdr


def rgbe_file(path, scan: np.ndarray, header: bytes, resolution: bytes) -> None:
    """Encode ``scan`` (pixels in file order, RGB) with OpenCV, then swap in a header."""
    cv2.imwrite(str(path), np.ascontiguousarray(scan[..., ::-1], dtype=np.float32))
    data = path.read_bytes()
    body = data[data.index(b"\n\n") + 2 :]
    body = body[body.index(b"\n") + 1 :]
    path.write_bytes(header + b"\n\n" + resolution + b"\n" + body)


def image(shape=(9, 13, 3)) -> np.ndarray:
    rng = np.random.default_rng(5)
    return (rng.uniform(0.01, 1, shape) * np.array([1.0, 10.0, 100.0])).astype(np.float32)


def close_to(actual: np.ndarray, expected: np.ndarray) -> None:
    """Within RGBE precision: 8 mantissa bits shared by a pixel's three channels."""
    assert actual.shape == expected.shape
    brightest = expected.max(axis=-1, keepdims=True)
    assert np.all(np.abs(actual - expected) <= brightest * 2**-7)


@pytest.mark.parametrize(
    "header",
    [
        b"VIEW= -vtv -vp 0 0 0\n#?RADIANCE\nFORMAT=32-bit_rle_rgbe",
        b"#?RGBE\nFORMAT=32-bit_rle_rgbe",
        b"#?RADIANCE\n# made by a camera app\nSOFTWARE=x",
        b"FORMAT=32-bit_rle_rgbe\n#?RADIANCE",
    ],
    ids=["view-before-magic", "rgbe-magic", "no-format-line", "format-before-magic"],
)
def test_headers_other_readers_open_are_read(tmp_path, header):
    pixels = image()
    rgbe_file(tmp_path / "x.hdr", pixels, header, b"-Y 9 +X 13")
    close_to(read_hdr(tmp_path / "x.hdr"), pixels)


def file_order(upright: np.ndarray, resolution: str) -> np.ndarray:
    """The pixels in the order a file with this resolution line stores them.

    Radiance's Y grows upwards (so row 0 is the top), X to the right.
    """
    first, _, second, _ = resolution.split()
    size = {"Y": upright.shape[0], "X": upright.shape[1]}
    along = []
    for sign, axis in (first, second):
        positions = np.arange(size[axis])
        along.append(positions[::-1] if (sign == "+") == (axis == "Y") else positions)
    outer, inner = np.meshgrid(*along, indexing="ij")
    rows, cols = (inner, outer) if first[1] == "X" else (outer, inner)
    return upright[rows, cols]


ORIENTATIONS = [
    f"{s1}{a1} {{{a1}}} {s2}{a2} {{{a2}}}"
    for (a1, a2) in (("Y", "X"), ("X", "Y"))
    for s1, s2 in itertools.product("+-", repeat=2)
]


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_every_orientation_is_turned_upright(tmp_path, orientation):
    upright = image()
    resolution = orientation.format(Y=9, X=13)
    scan = file_order(upright, resolution)
    assert scan.shape[:2] == (int(resolution.split()[1]), int(resolution.split()[3]))
    rgbe_file(tmp_path / "x.hdr", scan, b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe", resolution.encode())
    close_to(read_hdr(tmp_path / "x.hdr"), upright)


def test_exposure_and_colour_correction_are_undone(tmp_path):
    pixels = image()
    header = b"#?RADIANCE\nEXPOSURE=2\nCOLORCORR=1 2 4\nEXPOSURE=0.25\nFORMAT=32-bit_rle_rgbe"
    rgbe_file(tmp_path / "x.hdr", pixels, header, b"-Y 9 +X 13")
    factors = 0.5 * np.array([1, 2, 4])
    close_to(read_hdr(tmp_path / "x.hdr") * factors, pixels)


@pytest.mark.parametrize(
    ("header", "resolution", "message"),
    [
        (b"#?RADIANCE\nFORMAT=32-bit_rle_xyze", b"-Y 9 +X 13", "pixel format '32-bit_rle_xyze'"),
        (b"#?RADIANCE\nEXPOSURE=-1", b"-Y 9 +X 13", "EXPOSURE=-1"),
        (b"#?RADIANCE", b"-Y 9 -Y 13", "no valid resolution line"),
        (b"SOFTWARE=x", b"-Y 9 +X 13", "no #. identifier or FORMAT= line"),
        (b"#?RADIANCE", b"-Y 9 +X 14", "corrupt or truncated"),
    ],
)
def test_bad_headers_are_refused_naming_the_file(tmp_path, header, resolution, message):
    rgbe_file(tmp_path / "bad.hdr", image(), header, resolution)
    with pytest.raises(UserError, match=f"bad.hdr: not a readable Radiance .hdr file.*{message}"):
        read_hdr(tmp_path / "bad.hdr")
