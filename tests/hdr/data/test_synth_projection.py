"""Perspective views of panoramas: where each view pixel looks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.data.projection import equirect_to_perspective, is_equirectangular

PANO_HEIGHT, PANO_WIDTH = 90, 180


def _coordinate_panorama() -> np.ndarray:
    """A panorama whose pixels hold their own (longitude, latitude, 1), in radians."""
    cols = (np.arange(PANO_WIDTH) + 0.5) / PANO_WIDTH
    rows = (np.arange(PANO_HEIGHT) + 0.5) / PANO_HEIGHT
    longitude = np.broadcast_to((cols - 0.5) * 2 * math.pi, (PANO_HEIGHT, PANO_WIDTH))
    latitude = np.broadcast_to(((0.5 - rows) * math.pi)[:, None], (PANO_HEIGHT, PANO_WIDTH))
    return np.stack([longitude, latitude, np.ones_like(longitude)], axis=-1).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(
    yaw=st.floats(-2.5, 2.5),
    pitch=st.floats(-0.6, 0.6),
    fov=st.floats(math.radians(40), math.radians(100)),
)
def test_the_view_centre_looks_along_yaw_and_pitch(yaw, pitch, fov):
    view = equirect_to_perspective(_coordinate_panorama(), (9, 9), yaw=yaw, pitch=pitch, fov=fov)
    assert view[4, 4, 0] == pytest.approx(yaw, abs=1e-4)
    assert view[4, 4, 1] == pytest.approx(pitch, abs=1e-4)


@settings(max_examples=25, deadline=None)
@given(yaw=st.floats(-2.0, 2.0), fov=st.floats(math.radians(40), math.radians(100)))
def test_the_horizon_row_follows_the_gnomonic_law(yaw, fov):
    # looking level, the middle row stays on the horizon and its longitude is yaw + atan(x / f)
    width = 33
    view = equirect_to_perspective(_coordinate_panorama(), (11, width), yaw=yaw, pitch=0.0, fov=fov)
    focal = (width / 2) / math.tan(fov / 2)
    x = np.arange(width) - (width - 1) / 2
    np.testing.assert_allclose(view[5, :, 0], yaw + np.arctan(x / focal), atol=1e-4)
    np.testing.assert_allclose(view[5, :, 1], 0.0, atol=1e-5)
    # the view's edge lies half the field of view from its centre
    edge = math.atan((width - 1) / width * math.tan(fov / 2))
    assert view[5, -1, 0] - yaw == pytest.approx(edge, abs=1e-4)


def test_looking_up_raises_the_top_rows_more():
    view = equirect_to_perspective(
        _coordinate_panorama(), (21, 21), yaw=0.0, pitch=0.5, fov=math.radians(60)
    )
    latitude = view[:, 10, 1]
    assert np.all(np.diff(latitude) < 0)
    assert latitude[0] > 0.5 > latitude[-1]


def test_views_wrap_around_the_seam():
    # a view straight behind straddles the panorama's left and right edges
    pano = np.zeros((PANO_HEIGHT, PANO_WIDTH, 3), np.float32)
    pano[:, :2] = 1.0
    pano[:, -2:] = 1.0
    view = equirect_to_perspective(pano, (16, 16), yaw=math.pi, pitch=0.0, fov=math.radians(10))
    np.testing.assert_allclose(view[:, 6:10], 1.0)


def test_only_two_to_one_images_are_panoramas():
    assert is_equirectangular(np.zeros((256, 512, 3)))
    assert not is_equirectangular(np.zeros((256, 500, 3)))
