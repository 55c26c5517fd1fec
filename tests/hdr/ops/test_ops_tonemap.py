"""Tonemappers: the formulas on known values, and OpenCV's operators in range."""

import math

import numpy as np
import pytest

from ahdr_nodes.hdr.ops.tonemap import drago, exposure_gamma, mantiuk, mu_law, reinhard


def test_mu_law_matches_the_formula_on_known_values():
    radiance = np.array([0.0, 0.001, 0.1, 0.5, 1.0], np.float32)
    expected = [math.log(1 + 5000 * h) / math.log(5001) for h in radiance.tolist()]
    np.testing.assert_allclose(mu_law(radiance), expected, rtol=1e-6)
    assert mu_law(np.float32(1.0)) == pytest.approx(1.0)


def test_mu_law_clips_outside_the_unit_range():
    np.testing.assert_allclose(mu_law(np.array([-1.0, 7.0])), [0.0, 1.0])


def test_exposure_gamma_on_known_values():
    radiance = np.array([0.25, 0.5, 2.0], np.float32)
    np.testing.assert_allclose(exposure_gamma(radiance, exposure=1.0, gamma=2.0), [0.5**0.5, 1, 1])
    np.testing.assert_allclose(exposure_gamma(radiance, gamma=1.0), [0.25, 0.5, 1.0])


@pytest.mark.parametrize("operator", [reinhard, drago, mantiuk])
def test_opencv_operators_give_finite_display_values_in_order(operator):
    ramp = np.geomspace(1e-4, 50, 64, dtype=np.float32)
    radiance = np.repeat(np.tile(ramp, (16, 1))[..., None], 3, axis=2)
    radiance[0, 0] = 0.0  # black pixels must not produce NaN
    display = operator(radiance)
    assert display.shape == radiance.shape and display.dtype == np.float32
    assert np.isfinite(display).all() and display.min() >= 0 and display.max() <= 1
    middle_row = display[8, :, 1]
    assert middle_row[-1] > middle_row[0]


def test_opencv_operators_keep_rgb_order():
    brightness = np.linspace(0.1, 2.0, 64, dtype=np.float32).reshape(8, 8)
    radiance = np.stack([0.8 * brightness, 0.3 * brightness, 0.05 * brightness], axis=2)
    display = reinhard(radiance)
    assert display[..., 0].mean() > display[..., 2].mean()
