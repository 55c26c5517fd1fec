"""Linearisation formulas and the calibrated response."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.ops.linearise import (
    calibrate_response,
    gamma_linearise,
    gamma_response,
    network_inputs,
    response_linearise,
)


def test_gamma_linearise_matches_the_formula_on_known_values():
    frame = np.array([[[0.0, 0.5, 1.0]]], np.float32)
    np.testing.assert_allclose(gamma_linearise(frame, 4.0), [[[0.0, 0.5**2.2 / 4, 0.25]]])
    np.testing.assert_allclose(gamma_linearise(frame, 1.0, gamma=1.0), frame)


@settings(max_examples=30, deadline=None)
@given(
    value=st.floats(0, 1, width=32),
    time=st.floats(1, 256),
    gamma=st.floats(1, 3),
)
def test_gamma_linearise_is_the_formula(value, time, gamma):
    frame = np.full((2, 2, 3), value, np.float32)
    np.testing.assert_allclose(
        gamma_linearise(frame, time, gamma), value**gamma / time, rtol=1e-5, atol=1e-30
    )


def test_response_linearise_with_the_gamma_table_equals_gamma_linearise():
    frame = np.random.default_rng(0).random((7, 9, 3), dtype=np.float32)
    table = gamma_response(2.2)
    np.testing.assert_allclose(
        response_linearise(frame, 8.0, table), gamma_linearise(frame, 8.0), atol=2e-4
    )


def test_response_linearise_reads_the_table_at_whole_codes():
    table = np.stack([np.arange(256) * 1.0, np.arange(256) * 2.0, np.full(256, 3.0)], axis=1)
    frame = np.full((1, 1, 3), 100 / 255, np.float32)
    np.testing.assert_allclose(response_linearise(frame, 2.0, table), [[[50.0, 100.0, 1.5]]])


def test_calibration_recovers_a_gamma_camera_on_its_scale():
    rng = np.random.default_rng(3)
    radiance = 10 ** rng.uniform(-3, 0, (48, 64, 3))
    times = np.array([1.0, 4.0, 16.0])
    frames = [np.clip(radiance * t, 0, 1) ** (1 / 2.2) for t in times]
    curve = calibrate_response(frames, times)
    expected = gamma_response(2.2)
    assert curve.shape == (256, 3)
    np.testing.assert_allclose(curve[128], expected[128], rtol=1e-6)
    # mid-range codes, where every exposure contributes samples
    np.testing.assert_allclose(curve[32:240], expected[32:240], rtol=0.1)


def test_network_inputs_are_ldr_then_linear_channels():
    rng = np.random.default_rng(4)
    ldr = [rng.random((5, 6, 3), dtype=np.float32) for _ in range(3)]
    linear = [gamma_linearise(f, t) for f, t in zip(ldr, (1, 4, 16), strict=True)]
    tensor = network_inputs(ldr, linear)
    assert tensor.shape == (3, 6, 5, 6) and tensor.dtype == torch.float32
    np.testing.assert_array_equal(tensor[1, :3].numpy(), ldr[1].transpose(2, 0, 1))
    np.testing.assert_array_equal(tensor[2, 3:].numpy(), linear[2].transpose(2, 0, 1))


@pytest.mark.parametrize("gamma", [1.0, 2.2])
def test_gamma_table_ends(gamma):
    table = gamma_response(gamma)
    np.testing.assert_allclose(table[[0, 255]], [[0, 0, 0], [1, 1, 1]])
