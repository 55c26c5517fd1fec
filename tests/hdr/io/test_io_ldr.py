"""PNG/JPEG/TIFF reading and writing: bit depths, orientation, conversions, refusals."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.io import read_ldr, write_ldr


def frame(seed: int, shape=(11, 17, 3)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    suffix_bits=st.sampled_from([(".png", 8), (".png", 16), (".tif", 8), (".tif", 16)]),
)
def test_lossless_round_trip_is_within_one_quantisation_step(tmp_path_factory, seed, suffix_bits):
    suffix, bits = suffix_bits
    image = frame(seed)
    path = tmp_path_factory.mktemp("ldr") / f"img{suffix}"
    write_ldr(path, image, bits)
    back, info = read_ldr(path)
    assert back.dtype == np.float32 and back.shape == image.shape
    assert info.bit_depth == bits and info.warnings == []
    assert np.abs(back - image).max() <= 0.5 / (2**bits - 1) + 1e-7


def test_jpeg_round_trip_is_close(tmp_path):
    ramp = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32, 1)
    image = np.concatenate([ramp, 1 - ramp, np.full_like(ramp, 0.5)], axis=2)
    write_ldr(tmp_path / "img.jpg", image, jpeg_quality=100)
    back, info = read_ldr(tmp_path / "img.jpg")
    assert info.bit_depth == 8
    assert np.abs(back - image).mean() < 0.01


def test_channels_come_back_in_rgb_order(tmp_path):
    image = np.zeros((4, 4, 3), np.float32)
    image[..., 0] = 1.0
    write_ldr(tmp_path / "red.png", image)
    back, _ = read_ldr(tmp_path / "red.png")
    np.testing.assert_array_equal(back, image)
    with Image.open(tmp_path / "red.png") as written:
        assert written.getpixel((0, 0)) == (255, 0, 0)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, orientation):
    pixels = (frame(orientation, shape=(5, 7, 3)) * 255).round().astype(np.uint8)
    picture = Image.fromarray(pixels)
    exif = picture.getexif()
    exif[0x0112] = orientation
    path = tmp_path / "turned.jpg"
    picture.save(path, exif=exif, quality=100)
    back, info = read_ldr(path)
    with Image.open(path) as stored:
        upright = np.asarray(ImageOps.exif_transpose(stored), dtype=np.float32) / 255
    assert info.orientation == orientation
    np.testing.assert_allclose(back, upright, atol=1e-6)


def test_grayscale_is_repeated_with_a_warning(tmp_path):
    gray = (frame(1, shape=(6, 5)) * 65535).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "gray.png"), gray)
    back, info = read_ldr(tmp_path / "gray.png")
    assert back.shape == (6, 5, 3) and info.bit_depth == 16
    for channel in range(3):
        np.testing.assert_allclose(back[..., channel], gray / 65535, atol=1e-7)
    assert info.warnings == [f"{tmp_path / 'gray.png'}: grayscale frame repeated into RGB"]


def test_alpha_is_dropped_with_a_warning(tmp_path):
    rgba = (frame(2, shape=(6, 5, 4)) * 255).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    back, info = read_ldr(tmp_path / "rgba.png")
    np.testing.assert_allclose(back, rgba[..., :3] / 255, atol=1e-7)
    assert len(info.warnings) == 1 and "alpha channel dropped" in info.warnings[0]


@pytest.mark.parametrize("name", ["cut.png", "cut.jpg", "cut.tif"])
def test_truncated_file_is_refused_naming_it(tmp_path, name):
    path = tmp_path / name
    write_ldr(path, frame(3, shape=(64, 64, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=f"{name}: cannot decode"):
        read_ldr(path)


def test_missing_unsupported_and_float_files_are_refused(tmp_path):
    with pytest.raises(UserError, match="nothere.png: file not found"):
        read_ldr(tmp_path / "nothere.png")
    with pytest.raises(UserError, match=r"img.bmp: unsupported image format '.bmp'"):
        read_ldr(tmp_path / "img.bmp")
    cv2.imwrite(str(tmp_path / "float.tif"), frame(4))
    with pytest.raises(UserError, match="float.tif: unsupported sample type float32"):
        read_ldr(tmp_path / "float.tif")


def test_sixteen_bit_jpeg_is_refused_without_output(tmp_path):
    with pytest.raises(UserError, match="out.jpg: JPEG holds 8 bits only"):
        write_ldr(tmp_path / "out.jpg", frame(5), 16)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "out.png"
    write_ldr(path, frame(6))
    with pytest.raises(UserError, match="out.png: already exists"):
        write_ldr(path, frame(7))
    np.testing.assert_allclose(read_ldr(path)[0], frame(6), atol=0.5 / 255 + 1e-7)
    write_ldr(path, frame(7), overwrite=True)
    np.testing.assert_allclose(read_ldr(path)[0], frame(7), atol=0.5 / 255 + 1e-7)


def test_values_outside_the_unit_range_are_clipped(tmp_path):
    image = np.array([[[-1.0, 0.5, 7.0]]], np.float32)
    write_ldr(tmp_path / "clip.png", image, 16)
    back, _ = read_ldr(tmp_path / "clip.png")
    np.testing.assert_allclose(back, [[[0.0, 0.5, 1.0]]], atol=1e-5)
