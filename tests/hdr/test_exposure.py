"""Exposure resolution: precedence, EXIF arithmetic, normalisation and refusals."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, TiffImagePlugin

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.bracket import load_bracket
from ahdr_nodes.hdr.exposure import read_exposure_file, resolve_exposures
from ahdr_nodes.hdr.io.exif import EXIF_IFD, EXPOSURE_TIME_TAG, F_NUMBER_TAG, ISO_TAG


def jpeg_with_exif(path, exposure_time=None, f_number=None, iso=None):
    """A real JPEG or TIFF (by suffix) whose Exif sub-IFD records the given fields.

    None leaves a field out. A TIFF gets a real Exif sub-IFD, as cameras write
    it: Pillow's TIFF writer stores the sub-IFD only when its tag is set.
    """
    exif = Image.Exif()
    fields = exif.get_ifd(EXIF_IFD)
    if exposure_time is not None:
        fields[EXPOSURE_TIME_TAG] = TiffImagePlugin.IFDRational(*exposure_time)
    if f_number is not None:
        fields[F_NUMBER_TAG] = TiffImagePlugin.IFDRational(*f_number)
    if iso is not None:
        fields[ISO_TAG] = iso
    exif[EXIF_IFD] = 0  # placeholder offset; the writer fills in the real one
    Image.new("RGB", (8, 6), (120, 60, 30)).save(path, exif=exif)
    return path


def test_exif_exposure_times_from_tiffs(tmp_path):
    """Pillow reads a TIFF's Exif sub-IFD lazily; it used to be read after closing."""
    paths = [
        jpeg_with_exif(tmp_path / "f0.tif", (1, 400), (8, 1), 100),
        jpeg_with_exif(tmp_path / "f1.tif", (1, 100), (8, 1), 100),
        jpeg_with_exif(tmp_path / "f2.tif", (1, 25), (8, 1), 100),
    ]
    result = resolve_exposures(paths)
    assert result.source == "exif"
    np.testing.assert_allclose(result.times, [1, 4, 16])
    bracket = load_bracket(list(reversed(paths)))
    np.testing.assert_allclose(bracket.times, [1, 4, 16])
    assert bracket.sources == [str(p) for p in paths]


def test_exif_same_exposure_on_every_frame_says_where_it_came_from(tmp_path):
    paths = [jpeg_with_exif(tmp_path / f"f{i}.tif", (1, 100)) for i in range(3)]
    with pytest.raises(UserError) as refused:
        resolve_exposures(paths)
    message = str(refused.value)
    assert "f0.tif and" in message
    assert "EXIF" in message and "--times" in message and "--ev" in message


def test_exif_exposure_times_alone(tmp_path):
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 250), (4, 1), 100),
        jpeg_with_exif(tmp_path / "b.jpg", (1, 60), (4, 1), 100),
        jpeg_with_exif(tmp_path / "c.jpg", (1, 15), (4, 1), 100),
    ]
    result = resolve_exposures(paths)
    assert result.source == "exif"
    np.testing.assert_allclose(result.times, [1, 250 / 60, 250 / 15])


def test_exif_combines_time_iso_and_aperture(tmp_path):
    # 1/100 s, f/2, ISO 100 -> 0.01 * 100 / 4 = 0.25
    # 1/100 s, f/4, ISO 800 -> 0.01 * 800 / 16 = 0.5
    # 1/25 s, f/2.8, ISO 200 -> 0.04 * 200 / 7.84
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 100), (2, 1), 100),
        jpeg_with_exif(tmp_path / "b.jpg", (1, 100), (4, 1), 800),
        jpeg_with_exif(tmp_path / "c.jpg", (1, 25), (28, 10), 200),
    ]
    result = resolve_exposures(paths)
    np.testing.assert_allclose(result.times, [1, 2, (0.04 * 200 / 7.84) / 0.25])


def test_exif_factor_missing_on_one_frame_is_left_out(tmp_path):
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 100), (2, 1), 100),
        jpeg_with_exif(tmp_path / "b.jpg", (1, 25), None, 400),
    ]
    # FNumber is unknown for b.jpg, so only time and ISO count
    np.testing.assert_allclose(resolve_exposures(paths).times, [1, 16])


def test_exif_without_exposure_time_is_refused_naming_the_frame(tmp_path):
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 100)),
        jpeg_with_exif(tmp_path / "bare.jpg", None, (2, 1), 100),
    ]
    with pytest.raises(UserError, match="bare.jpg: EXIF has no ExposureTime"):
        resolve_exposures(paths)


def test_exif_duplicate_exposure_is_refused(tmp_path):
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 100), (2, 1), 100),
        jpeg_with_exif(tmp_path / "b.jpg", (1, 50), (2, 1), 100),
        jpeg_with_exif(tmp_path / "same.jpg", (1, 100), (4, 1), 400),
    ]
    with pytest.raises(UserError, match=r"duplicate exposure 1 for .*a.jpg and .*same.jpg"):
        resolve_exposures(paths)


def test_precedence_times_over_ev_over_file_over_exif(tmp_path):
    paths = [
        jpeg_with_exif(tmp_path / "a.jpg", (1, 100)),
        jpeg_with_exif(tmp_path / "b.jpg", (1, 10)),
    ]
    exposure_file = tmp_path / "exposure.txt"
    exposure_file.write_text("0\n3\n")
    everything = {"times": [0.5, 1.0], "ev": [0, 2], "exposure_file": exposure_file}
    result = resolve_exposures(paths, **everything)
    assert (result.source, list(result.times)) == ("times", [1, 2])
    del everything["times"]
    result = resolve_exposures(paths, **everything)
    assert (result.source, list(result.times)) == ("ev", [1, 4])
    del everything["ev"]
    result = resolve_exposures(paths, **everything)
    assert (result.source, list(result.times)) == ("exposure_file", [1, 8])
    result = resolve_exposures(paths)
    assert result.source == "exif"
    np.testing.assert_allclose(result.times, [1, 10])


@settings(max_examples=50, deadline=None)
@given(
    stops=st.lists(
        st.floats(-8, 8, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=2,
        max_size=6,
        unique=True,
    )
)
def test_ev_values_give_powers_of_two_with_shortest_one(stops):
    paths = [f"f{i}.png" for i in range(len(stops))]
    times = resolve_exposures(paths, ev=stops).times
    assert times.min() == 1.0
    expected = [2.0 ** (s - min(stops)) for s in stops]
    np.testing.assert_allclose(times, expected, rtol=1e-12)


def test_kalantari_exposure_file_skips_blank_lines(tmp_path):
    path = tmp_path / "exposure.txt"
    path.write_text("-2.0\n\n0.0\n2.0\n\n")
    assert read_exposure_file(path) == [-2.0, 0.0, 2.0]
    times = resolve_exposures(["a", "b", "c"], exposure_file=path).times
    np.testing.assert_allclose(times, [1, 4, 16])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.01, 0.0, 0.1], r"exposure time 0 for b.png is not positive"),
        ([0.01, -0.1, 0.1], r"exposure time -0.1 for b.png is not positive"),
        ([0.01, math.nan, 0.1], r"exposure time nan for b.png is not finite"),
        ([0.01, math.inf, 0.1], r"exposure time inf for b.png is not finite"),
        ([0.01, 0.1], r"2 exposure times given for 3 frames"),
        ([0.01, 0.1, 0.1], r"duplicate exposure 10 for b.png and c.png"),
    ],
)
def test_bad_times_are_refused(values, message):
    with pytest.raises(UserError, match=message):
        resolve_exposures(["a.png", "b.png", "c.png"], times=values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0, math.nan, 2], r"EV value nan for b.png is not finite"),
        ([0, -math.inf, 2], r"EV value -inf for b.png is not finite"),
        ([0, 2, 3, 4], r"4 EV values given for 3 frames"),
        ([0, 2, 0], r"duplicate exposure 1 for a.png and c.png"),
    ],
)
def test_bad_ev_values_are_refused(values, message):
    with pytest.raises(UserError, match=message):
        resolve_exposures(["a.png", "b.png", "c.png"], ev=values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0\nbright\n2\n", r"exposure.txt:2: 'bright' is not an EV value"),
        ("0\nnan\n2\n", r"exposure.txt:2: EV value nan is not finite"),
        ("0\n2\n", r"exposure.txt: 2 EV values for 3 frames"),
    ],
)
def test_bad_exposure_files_are_refused(tmp_path, text, message):
    path = tmp_path / "exposure.txt"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        resolve_exposures(["a", "b", "c"], exposure_file=path)


def test_missing_exposure_file_is_named(tmp_path):
    with pytest.raises(UserError, match="gone.txt: exposure file not found"):
        resolve_exposures(["a", "b"], exposure_file=tmp_path / "gone.txt")
