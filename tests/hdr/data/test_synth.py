"""The bracket synthesiser: determinism, the ground-truth relation, motion, exposure."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example

SMALL = SynthConfig(size=(64, 64))
# a gamma-2.2 lossless camera without noise, white-balance clipping or exposure error,
# and a scene without motion
CLEAN_STATIC = dataclasses.replace(
    SMALL.plain_camera(),
    noise=False,
    exposure_jitter=0.0,
    static_fraction=1.0,
)
seeds = st.integers(0, 2**32 - 1)


@pytest.fixture(scope="module")
def sources():
    return load_sources(bundled_hdri_files())


def test_same_seed_same_example_and_other_seed_another(sources):
    first = synthesise_example(sources, example_rng(5, 3), SMALL)
    again = synthesise_example(sources, example_rng(5, 3), SMALL)
    other = synthesise_example(sources, example_rng(5, 4), SMALL)
    for a, b in zip(first.frames, again.frames, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.ground_truth, again.ground_truth)
    assert first.metadata == again.metadata
    assert first.dynamic == again.dynamic
    assert not np.array_equal(first.ground_truth, other.ground_truth)


@settings(max_examples=12, deadline=None)
@given(seed=seeds, size=st.tuples(st.integers(16, 48), st.integers(16, 48)))
def test_example_shapes_types_and_ranges(sources, seed, size):
    example = synthesise_example(
        sources, np.random.default_rng(seed), dataclasses.replace(SMALL, size=size)
    )
    assert len(example.frames) == 3 and example.reference == 1
    for frame in [*example.frames, example.ground_truth]:
        assert frame.shape == (*size, 3) and frame.dtype == np.float32
        assert frame.flags.c_contiguous
        assert frame.min() >= 0.0 and frame.max() <= 1.0
    gaps = example.metadata["ev_gaps"]
    assert len(gaps) == 2 and set(gaps) <= set(SMALL.ev_steps)
    np.testing.assert_array_equal(example.times, [1.0, 2 ** gaps[0], 2 ** (gaps[0] + gaps[1])])
    bits = example.metadata["bits"]
    levels = example.frames[1] * (2**bits - 1)
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_static_clean_frames_follow_from_the_ground_truth(sources, seed):
    example = synthesise_example(sources, np.random.default_rng(seed), CLEAN_STATIC)
    assert not example.dynamic
    levels = 2 ** example.metadata["bits"] - 1
    gt = example.ground_truth.astype(np.float64)
    for frame, time in zip(example.frames, example.times, strict=True):
        expected = np.round(np.clip(gt * time, 0, 1) ** (1 / 2.2) * levels) / levels
        # float32 against float64 rounding may flip a value sitting on a level boundary
        assert np.abs(frame - expected).max() <= 1 / levels + 1e-6
        assert np.mean(frame == expected.astype(np.float32)) > 0.99


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_shortest_frame_holds_the_highlights(sources, seed):
    example = synthesise_example(sources, np.random.default_rng(seed), CLEAN_STATIC)
    saturated = (example.frames[0] >= 1.0).any(axis=-1).mean()
    assert saturated <= 0.011
    assert (example.ground_truth >= 1.0).any(axis=-1).mean() <= 0.011


def _pair(sources, seed, **changes):
    """A static and a moving example drawn from one seed."""
    config = dataclasses.replace(SMALL, noise=False, **changes)
    static = synthesise_example(
        sources, example_rng(seed, 0), dataclasses.replace(config, static_fraction=1.0)
    )
    moving = synthesise_example(
        sources, example_rng(seed, 0), dataclasses.replace(config, static_fraction=0.0)
    )
    return static, moving


def test_motion_changes_only_the_non_reference_frames(sources):
    for seed in range(5):
        static, moving = _pair(sources, seed)
        assert moving.dynamic and not static.dynamic
        np.testing.assert_array_equal(moving.ground_truth, static.ground_truth)
        np.testing.assert_array_equal(moving.frames[1], static.frames[1])
        for index in (0, 2):
            changed = np.abs(moving.frames[index] - static.frames[index]).max(axis=-1) > 0.02
            assert changed.mean() > 0.005


def _changed_fraction(static, moving):
    changes = [np.abs(moving.frames[i] - static.frames[i]).max(axis=-1) > 0.02 for i in (0, 2)]
    return float(np.mean(changes))


def test_objects_move_over_part_of_the_frame_and_the_camera_over_all(sources):
    # with the camera still, only the objects' old and new places change
    still_camera = [
        pair
        for pair in (_pair(sources, seed, max_objects=2) for seed in range(40))
        if pair[1].metadata["objects"] and not pair[1].metadata["camera_motion"]
    ]
    assert still_camera, "no seed in range gave moving objects before a still camera"
    for static, moving in still_camera[:3]:
        assert 0.005 < _changed_fraction(static, moving) < 0.5
    # a moving camera without objects shifts the whole view
    static, moving = _pair(sources, 1, max_objects=0)
    assert moving.metadata["camera_motion"]
    assert _changed_fraction(static, moving) > 0.2


def test_objects_occlude_the_background_in_static_examples_too(sources):
    no_objects = dataclasses.replace(CLEAN_STATIC, max_objects=0)
    with_objects = dataclasses.replace(CLEAN_STATIC, max_objects=3)
    differs = [
        not np.array_equal(
            synthesise_example(sources, example_rng(2, i), no_objects).ground_truth,
            synthesise_example(sources, example_rng(2, i), with_objects).ground_truth,
        )
        for i in range(6)
    ]
    assert any(differs)


def test_static_fraction_sets_the_share_of_static_examples(sources):
    config = dataclasses.replace(SMALL, size=(16, 16), static_fraction=0.3)
    flags = [synthesise_example(sources, example_rng(9, i), config).dynamic for i in range(200)]
    assert 0.15 < 1 - np.mean(flags) < 0.45


def test_bracket_view_of_an_example(sources):
    example = synthesise_example(sources, example_rng(1, 1), SMALL)
    bracket = example.bracket()
    assert bracket.reference == 1 and bracket.shape == (64, 64)
    np.testing.assert_array_equal(bracket.times, example.times)
    assert bracket.metadata["source"] == example.metadata["source"]


def test_bad_settings_are_refused(sources):
    with pytest.raises(UserError, match="static fraction"):
        SynthConfig(static_fraction=1.5)
    with pytest.raises(UserError, match="bit depths"):
        SynthConfig(bit_depths=(8, 20))
    with pytest.raises(UserError, match="no source"):
        synthesise_example([], example_rng(0, 0), SMALL)
    with pytest.raises(UserError, match="negative"):
        example_rng(-1, 0)
