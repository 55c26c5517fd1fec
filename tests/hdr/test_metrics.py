"""The metrics pinned on values that can be checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.metrics import (
    gaussian_window,
    mu_law,
    psnr,
    psnr_l,
    psnr_mu,
    ssim,
    ssim_mu,
)

unit_images = arrays(
    np.float64,
    st.tuples(st.integers(11, 16), st.integers(11, 16), st.integers(1, 3)),
    elements=st.floats(0.0, 1.0),
)


def test_mu_law_end_points_and_midpoint():
    assert mu_law(np.array(0.0)) == 0.0
    assert mu_law(np.array(1.0)) == pytest.approx(1.0, abs=1e-15)
    # log(1 + mu h) = log(1 + mu) / 2  <=>  h = (sqrt(1 + mu) - 1) / mu
    h = (math.sqrt(5001.0) - 1.0) / 5000.0
    assert mu_law(np.array(h)) == pytest.approx(0.5, abs=1e-12)
    assert mu_law(np.array(0.25), mu=3.0) == pytest.approx(math.log(1.75) / math.log(4.0))


def test_psnr_of_identical_images_is_infinite():
    image = np.random.default_rng(0).random((8, 8, 3))
    assert psnr(image, image) == math.inf
    assert psnr_mu(image, image) == math.inf


def test_psnr_of_a_known_mse():
    # every element off by 0.1: MSE 0.01, PSNR = 10 log10(1 / 0.01) = 20 dB
    assert psnr(np.zeros((4, 5, 3)), np.full((4, 5, 3), 0.1)) == pytest.approx(20.0)
    assert psnr(np.zeros(10), np.full(10, 0.1), peak=2.0) == pytest.approx(10 * math.log10(400))
    # half the elements off by 1: MSE 0.5, PSNR = 10 log10(2)
    a = np.array([0.0, 1.0, 0.0, 1.0])
    assert psnr(a, np.zeros(4)) == pytest.approx(10 * math.log10(2))


def test_psnr_mu_compares_tonemapped_values():
    # black against white: tonemapped 0 and 1, MSE 1, 0 dB
    assert psnr_mu(np.zeros((3, 3, 3)), np.ones((3, 3, 3))) == pytest.approx(0.0, abs=1e-12)
    gt = np.full((2, 2, 3), 0.01)
    pred = np.full((2, 2, 3), 0.02)
    expected = -20 * math.log10(abs(mu_law(np.array(0.02)) - mu_law(np.array(0.01))))
    assert psnr_mu(pred, gt) == pytest.approx(expected)
    assert psnr_l(pred, gt) == pytest.approx(40.0)


def test_metrics_judge_on_the_unit_range():
    gt = np.ones((12, 12, 3))
    overshoot = np.full((12, 12, 3), 1.7)
    assert psnr_l(overshoot, gt) == math.inf
    assert psnr_mu(overshoot, gt) == math.inf
    assert ssim_mu(overshoot, gt) == pytest.approx(1.0)


def test_ssim_of_constant_images_matches_the_formula():
    # constant images: no variance, so SSIM = (2ab + C1) / (a^2 + b^2 + C1)
    a, b = 0.2, 0.6
    c1 = 0.01**2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    assert ssim(np.full((16, 20, 3), a), np.full((16, 20, 3), b)) == pytest.approx(expected)


def test_ssim_matches_a_window_by_window_computation():
    rng = np.random.default_rng(7)
    a = rng.random((13, 15, 2))
    b = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1)
    window = np.outer(gaussian_window(), gaussian_window())
    c1, c2 = 0.01**2, 0.03**2
    values = []
    for c in range(2):
        per_channel = []
        for y in range(13 - 10):
            for x in range(15 - 10):
                pa, pb = a[y : y + 11, x : x + 11, c], b[y : y + 11, x : x + 11, c]
                ma, mb = (window * pa).sum(), (window * pb).sum()
                va = (window * (pa - ma) ** 2).sum()
                vb = (window * (pb - mb) ** 2).sum()
                cov = (window * (pa - ma) * (pb - mb)).sum()
                per_channel.append(
                    (2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
                )
        values.append(np.mean(per_channel))
    assert ssim(a, b) == pytest.approx(np.mean(values), rel=1e-10)


def test_gaussian_window_is_normalised_and_symmetric():
    taps = gaussian_window()
    assert taps.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(taps, taps[::-1])
    assert taps[5] / taps[4] == pytest.approx(math.exp(1 / (2 * 1.5**2)))


@settings(max_examples=30, deadline=None)
@given(unit_images)
def test_ssim_of_an_image_with_itself_is_one(image):
    assert ssim(image, image) == pytest.approx(1.0)
    assert ssim_mu(image, image) == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(unit_images, st.data())
def test_ssim_is_symmetric_and_at_most_one(a, data):
    b = data.draw(arrays(np.float64, a.shape, elements=st.floats(0.0, 1.0)))
    assert ssim(a, b) == pytest.approx(ssim(b, a))
    assert ssim(a, b) <= 1.0 + 1e-12


def test_bad_inputs_name_the_problem():
    with pytest.raises(UserError, match="shapes"):
        psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
    with pytest.raises(UserError, match="NaN"):
        psnr_mu(np.full((4, 4, 3), np.nan), np.zeros((4, 4, 3)))
    with pytest.raises(UserError, match="at least 11x11"):
        ssim(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)))
