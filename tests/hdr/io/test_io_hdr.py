"""EXR and Radiance round trips, and refusals of bad HDR files."""

import numpy as np
import OpenEXR
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.io import EXR_COMPRESSIONS, read_hdr, write_hdr

LOSSLESS = ["none", "rle", "zips", "zip", "piz"]


def radiance(seed: int, shape=(9, 13, 3), peak=1000.0) -> np.ndarray:
    """Positive values spread over several decades, like real radiance."""
    rng = np.random.default_rng(seed)
    return (peak * 10.0 ** rng.uniform(-4, 0, size=shape)).astype(np.float32)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), compression=st.sampled_from(sorted(EXR_COMPRESSIONS)))
def test_exr_float_round_trip_is_exact_for_lossless_compressions(
    tmp_path_factory, seed, compression
):
    if compression in ("pxr24", "b44", "b44a", "dwaa", "dwab"):
        compression = "zip"  # lossy codecs are checked separately
    image = radiance(seed)
    path = tmp_path_factory.mktemp("exr") / "float.exr"
    write_hdr(path, image, half=False, compression=compression)
    np.testing.assert_array_equal(read_hdr(path), image)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_exr_half_round_trip_within_half_precision(tmp_path_factory, seed):
    image = radiance(seed)
    path = tmp_path_factory.mktemp("exr") / "half.exr"
    write_hdr(path, image)
    back = read_hdr(path)
    assert back.dtype == np.float32 and back.shape == image.shape
    # half has an 11-bit significand: relative rounding error <= 2^-11
    np.testing.assert_allclose(back, image, rtol=2.0**-11, atol=6e-8)


def test_exr_half_stores_half_and_float_stores_float(tmp_path):
    image = radiance(0)
    write_hdr(tmp_path / "h.exr", image, compression="piz")
    write_hdr(tmp_path / "f.exr", image, half=False)
    with OpenEXR.File(str(tmp_path / "h.exr"), separate_channels=True) as exr:
        assert {c.pixels.dtype for c in exr.channels().values()} == {np.dtype(np.float16)}
        assert exr.header()["compression"] == OpenEXR.PIZ_COMPRESSION
    with OpenEXR.File(str(tmp_path / "f.exr"), separate_channels=True) as exr:
        assert {c.pixels.dtype for c in exr.channels().values()} == {np.dtype(np.float32)}


def test_exr_half_clips_beyond_half_range_instead_of_writing_infinity(tmp_path):
    image = np.full((2, 2, 3), 1e6, np.float32)
    write_hdr(tmp_path / "bright.exr", image)
    back = read_hdr(tmp_path / "bright.exr")
    assert np.isfinite(back).all() and back.max() == np.finfo(np.float16).max


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_radiance_round_trip_within_rgbe_precision(tmp_path_factory, seed):
    image = radiance(seed)
    path = tmp_path_factory.mktemp("rgbe") / "img.hdr"
    write_hdr(path, image)
    back = read_hdr(path)
    # RGBE shares one exponent per pixel with an 8-bit mantissa per channel
    pixel_peak = image.max(axis=2, keepdims=True)
    assert np.all(np.abs(back - image) <= pixel_peak / 128)


def test_channel_order_is_rgb_for_both_formats(tmp_path):
    image = np.zeros((2, 3, 3), np.float32)
    image[..., 0] = 4.0  # pure red
    for name in ("red.exr", "red.hdr"):
        write_hdr(tmp_path / name, image)
        back = read_hdr(tmp_path / name)
        assert back[..., 0].min() == 4.0 and back[..., 1:].max() == 0.0


@pytest.mark.parametrize("path", bundled_hdri_files(), ids=lambda path: path.name)
def test_reads_a_real_panorama(path):
    image = read_hdr(path)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.float32
    assert np.isfinite(image).all() and image.max() > 1.0


def test_single_channel_exr_is_repeated_into_rgb(tmp_path):
    luminance = radiance(1, shape=(4, 5))
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"Y": luminance}) as exr:
        exr.write(str(tmp_path / "y.exr"))
    back = read_hdr(tmp_path / "y.exr")
    for channel in range(3):
        np.testing.assert_array_equal(back[..., channel], luminance)


@pytest.mark.parametrize("name", ["cut.exr", "cut.hdr"])
def test_truncated_file_is_refused_naming_it(tmp_path, name):
    path = tmp_path / name
    write_hdr(path, radiance(2, shape=(40, 50, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=name):
        read_hdr(path)


@pytest.mark.parametrize("name", ["junk.exr", "junk.hdr"])
def test_garbage_file_is_refused_naming_it(tmp_path, name):
    (tmp_path / name).write_bytes(b"this is not an image\n" * 10)
    with pytest.raises(UserError, match=name):
        read_hdr(tmp_path / name)


def test_missing_and_unsupported_files_are_refused(tmp_path):
    with pytest.raises(UserError, match="absent.exr: file not found"):
        read_hdr(tmp_path / "absent.exr")
    (tmp_path / "img.pfm").write_bytes(b"PF\n")
    with pytest.raises(UserError, match=r"img.pfm: unsupported HDR format '.pfm'"):
        read_hdr(tmp_path / "img.pfm")
    with pytest.raises(UserError, match=r"out.png: unsupported HDR format"):
        write_hdr(tmp_path / "out.png", radiance(3))
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("compression", sorted(EXR_COMPRESSIONS))
def test_every_compression_writes_a_readable_file(tmp_path, compression):
    # lossy codecs (b44, dwa) are made for smooth images, so use a smooth ramp
    ramp = np.linspace(0.1, 4.0, 32 * 32, dtype=np.float32).reshape(32, 32, 1)
    image = np.concatenate([ramp, ramp * 0.5, ramp * 0.25], axis=2)
    write_hdr(tmp_path / "c.exr", image, compression=compression)
    np.testing.assert_allclose(read_hdr(tmp_path / "c.exr"), image, rtol=0.03)


def test_unknown_compression_is_refused_without_output(tmp_path):
    with pytest.raises(UserError, match="'lzw'"):
        write_hdr(tmp_path / "x.exr", radiance(4), compression="lzw")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "x.exr"
    write_hdr(path, radiance(5))
    before = path.read_bytes()
    with pytest.raises(UserError, match="x.exr: already exists"):
        write_hdr(path, radiance(6))
    assert path.read_bytes() == before
    write_hdr(path, radiance(6), overwrite=True)
    np.testing.assert_allclose(read_hdr(path), radiance(6), rtol=2.0**-11)
    assert [p.name for p in tmp_path.iterdir()] == ["x.exr"]


def test_missing_parent_folders_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "x.hdr"
    write_hdr(path, radiance(7))
    assert path.is_file()
