"""The synthetic camera: EV spacings, tone curves, white-balance clipping, JPEG, hand-held
motion, bright and non-rigid objects. Each property of the wider camera is pinned here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ahdr_nodes.hdr.data.camera import Sensor, ToneCurve, capture, jpeg_roundtrip
from ahdr_nodes.hdr.data.scene import MAX_SHIFT, MIN_SHIFT, camera_homography, sample_layers
from ahdr_nodes.hdr.data.sources import HDRSource, bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example

SMALL = SynthConfig(size=(32, 32))
ramp = np.linspace(0.0, 1.0, 1001, dtype=np.float32)


@pytest.fixture(scope="module")
def sources():
    return load_sources(bundled_hdri_files())


def _examples(sources, config, count=60, seed=11):
    return [synthesise_example(sources, example_rng(seed, i), config) for i in range(count)]


def test_ev_spacings_one_to_four_stops_and_uneven_brackets(sources):
    examples = _examples(sources, dataclasses.replace(SMALL, size=(8, 8)), count=150)
    gaps = [tuple(e.metadata["ev_gaps"]) for e in examples]
    assert {g[0] for g in gaps if g[0] == g[1]} == {1.0, 1.5, 2.0, 3.0, 4.0}
    uneven = [g for g in gaps if g[0] != g[1]]
    assert uneven and all(
        e.metadata["ev_step"] is None for e in examples if len(set(e.metadata["ev_gaps"])) > 1
    )
    for example, (first, second) in zip(examples, gaps, strict=True):
        np.testing.assert_allclose(example.times, [1, 2**first, 2 ** (first + second)])


@pytest.mark.parametrize(
    "curve",
    [
        ToneCurve("gamma", 1.8),
        ToneCurve("gamma", 2.6),
        ToneCurve("srgb"),
        ToneCurve("filmic", 2.2, shoulder=3.0, contrast=0.5),
    ],
)
def test_tone_curves_are_monotone_and_span_zero_to_one(curve):
    encoded = curve.encode(ramp)
    assert encoded[0] == pytest.approx(0.0, abs=1e-6) and encoded[-1] == pytest.approx(1.0)
    assert np.all(np.diff(encoded) >= -1e-7)


def test_srgb_curve_has_its_linear_toe_and_known_mid_grey():
    curve = ToneCurve("srgb")
    np.testing.assert_allclose(curve.encode(np.float32([0.002])), [0.002 * 12.92], rtol=1e-5)
    assert curve.encode(np.float32([0.18]))[0] == pytest.approx(0.4614, abs=1e-3)
    # deep shadows: the linear toe encodes far lower than gamma 2.2, so reading an sRGB
    # JPEG as gamma 2.2 crushes its shadows (more than 10x at 0.001)
    srgb_code = curve.encode(np.float32([0.001]))[0]
    assert srgb_code**2.2 < 0.1 * 0.001


def test_filmic_curve_has_a_toe_and_a_highlight_shoulder():
    filmic = ToneCurve("filmic", 2.2, shoulder=3.0, contrast=0.5).encode(ramp)
    plain = ToneCurve("gamma", 2.2).encode(ramp)
    slope = np.gradient(filmic, ramp)
    # shoulder: the last tenth of the range is compressed against the plain gamma curve
    assert slope[-100:].mean() < np.gradient(plain, ramp)[-100:].mean()
    # toe: the curve's slope rises out of the shadows before it falls again (S shape)
    low_encoded = ToneCurve("filmic", 2.2, shoulder=0.0, contrast=0.6).encode(ramp)
    assert low_encoded[10] < plain[10]
    # midtones: brighter than the gamma curve, as JPEG engines render them
    assert filmic[180] > plain[180]


@given(
    kind=st.sampled_from(["gamma", "srgb", "filmic"]),
    gamma=st.floats(1.8, 2.6),
    shoulder=st.floats(0.0, 4.0),
    contrast=st.floats(0.0, 0.6),
)
def test_a_curve_comes_back_from_its_description(kind, gamma, shoulder, contrast):
    """Scene metadata records curves by their label: the label names the same curve, to
    its two decimals."""
    if kind != "filmic":
        shoulder = contrast = 0.0
    curve = ToneCurve(kind, round(gamma, 2), round(shoulder, 2), round(contrast, 2))
    if kind == "srgb":
        curve = ToneCurve("srgb")
    assert ToneCurve.from_description(curve.describe()) == curve


def test_a_description_that_names_no_curve_is_refused():
    for text in ["", "gamma", "filmic 2.2", "linear 1.0", "filmic gamma 2.2 toe 1 S 0"]:
        with pytest.raises(ValueError, match="not a tone curve"):
            ToneCurve.from_description(text)


def test_the_inverse_table_undoes_the_curve():
    for curve in [ToneCurve("gamma", 2.2), ToneCurve("srgb"), ToneCurve("filmic", 2.2, 2.0, 0.3)]:
        table = curve.inverse_table()
        assert table.shape == (256, 3) and table[0, 0] == 0 and table[255, 0] == pytest.approx(1)
        codes = np.arange(1, 255) / 255.0
        assert np.allclose(curve.encode(table[1:255, 1]), codes, atol=1e-4)


def test_curve_families_are_drawn_with_gammas_in_range(sources):
    examples = _examples(sources, dataclasses.replace(SMALL, size=(8, 8)), count=90)
    kinds = {e.metadata["curve"] for e in examples}
    assert kinds == {"gamma", "srgb", "filmic"}
    gammas = [e.metadata["gamma"] for e in examples if e.metadata["curve"] != "srgb"]
    assert min(gammas) >= 1.8 and max(gammas) <= 2.6


def test_white_balance_before_clipping_gives_each_channel_its_own_saturation_level():
    sensor = Sensor(
        curve=ToneCurve("gamma", 1.0),
        bits=16,
        shot_noise=0.0,
        read_noise=0.0,
        exposure_error=(1.0,),
        gains=(2.0, 1.0, 1.5),
        white_level=2.0,
    )
    np.testing.assert_allclose(sensor.saturation_levels(), [1.0, 0.5, 0.75])
    white = np.full((1, 2, 2, 3), 4.0, np.float32)  # far brighter than any level
    frame = capture(white, np.array([1.0]), sensor, np.random.default_rng(0))[0]
    np.testing.assert_allclose(frame[0, 0], [1.0, 0.5, 0.75], atol=1e-4)
    # below every level, balancing and unbalancing cancel
    grey = np.full((1, 2, 2, 3), 0.3, np.float32)
    np.testing.assert_allclose(
        capture(grey, np.array([1.0]), sensor, np.random.default_rng(0))[0], 0.3, atol=1e-4
    )


def test_drawn_white_levels_make_coloured_and_white_highlights(sources):
    examples = _examples(sources, dataclasses.replace(SMALL, size=(8, 8)), count=60)
    spreads = [max(e.metadata["gains"]) / e.metadata["white_level"] for e in examples]
    assert min(spreads) < 1.1 and max(spreads) > 1.3


def test_jpeg_camera_writes_8_bit_jpeg_artefacts(sources):
    config = dataclasses.replace(SMALL, size=(48, 48), jpeg_probability=1.0, noise=False)
    example = synthesise_example(sources, example_rng(3, 0), config)
    assert example.metadata["bits"] == 8 and 75 <= example.metadata["jpeg_quality"] <= 98
    for frame in example.frames:
        np.testing.assert_allclose(frame * 255, np.round(frame * 255), atol=1e-3)
    # a JPEG round trip changes a busy image and keeps it close
    busy = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    decoded = jpeg_roundtrip(busy, 80)
    assert 0.0 < np.abs(decoded - busy).mean() < 0.2
    assert np.abs(jpeg_roundtrip(busy, 98) - busy).mean() < np.abs(decoded - busy).mean()


def test_lossless_depths_include_14_bits(sources):
    config = dataclasses.replace(SMALL, size=(8, 8), jpeg_probability=0.0)
    depths = {e.metadata["bits"] for e in _examples(sources, config, count=60)}
    assert depths == {8, 10, 12, 14}


def test_hand_held_shift_is_one_to_three_percent_of_the_size():
    output, margin = (200, 300), 50
    centre = np.array([margin + 150.0, margin + 100.0, 1.0])
    for seed in range(30):
        homography = camera_homography(output, margin, np.random.default_rng(seed))
        moved = homography @ centre
        shift = np.hypot(*(moved[:2] / moved[2] - centre[:2]))
        assert MIN_SHIFT * 300 * 0.9 <= shift <= MAX_SHIFT * 300 * 1.1


def _flat_source(level: float, name: str) -> HDRSource:
    return HDRSource.from_array(name, np.full((64, 64, 3), level, np.float32))


def test_objects_bend_between_frames_but_never_in_the_reference():
    sources = [_flat_source(1.0, "flat")]
    background = np.ones((80, 80, 3), np.float32)
    bent = []
    for seed in range(40):
        layers = sample_layers(
            sources, background, (60, 60), 10, 3, 1, True, 3, np.random.default_rng(seed)
        )
        for layer in layers:
            assert layer.alpha[1].shape == layer.alpha[0].shape
            bent.append(not np.array_equal(layer.alpha[0], layer.alpha[1]))
    assert any(bent) and not all(bent)


def test_some_objects_sit_over_the_brightest_part_of_the_reference_view():
    sources = [_flat_source(1.0, "flat")]
    background = np.full((80, 80, 3), 0.01, np.float32)
    background[10:30, 50:70] = 50.0  # a bright window, top right of the output
    centres = []
    for seed in range(60):
        for layer in sample_layers(
            sources, background, (60, 60), 10, 3, 1, False, 2, np.random.default_rng(seed)
        ):
            top, left = layer.positions[1]
            height, width = layer.alpha[1].shape[:2]
            centres.append((top + height / 2, left + width / 2))
    over = [10 <= row <= 30 and 50 <= column <= 70 for row, column in centres]
    assert 0.15 < np.mean(over) < 0.8


def test_static_brackets_with_a_real_camera_keep_the_reference_exposed(sources):
    config = dataclasses.replace(SMALL, size=(64, 64), static_fraction=1.0)
    for example in _examples(sources, config, count=12):
        reference = example.frames[example.reference]
        assert (reference >= 0.999).all(axis=-1).mean() < 0.5
        assert example.ground_truth.max() <= 1.0
