"""The moving scene: camera motion stays inside the canvas, objects paste where placed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.data.scene import (
    Layer,
    camera_homography,
    canvas_margin,
    composite,
    render_frame,
    soft_mask,
)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), height=st.integers(16, 512), width=st.integers(16, 512))
def test_camera_motion_never_looks_past_the_canvas(seed, height, width):
    margin = canvas_margin((height, width))
    homography = camera_homography((height, width), margin, np.random.default_rng(seed))
    # warpPerspective fills output pixel q from canvas point H^-1 (q + margin)
    corners = np.array(
        [[x + margin, y + margin, 1.0] for x in (0, width - 1) for y in (0, height - 1)]
    )
    sources = corners @ np.linalg.inv(homography).T
    sources = sources[:, :2] / sources[:, 2:]
    assert np.all(sources >= 0)
    assert np.all(sources[:, 0] <= width + 2 * margin - 1)
    assert np.all(sources[:, 1] <= height + 2 * margin - 1)


def test_camera_motion_moves_the_view_a_little():
    shifts = []
    for seed in range(50):
        homography = camera_homography(
            (64, 64), canvas_margin((64, 64)), np.random.default_rng(seed)
        )
        centre = homography @ np.array([42.0, 42.0, 1.0])
        shifts.append(np.hypot(*(centre[:2] / centre[2] - 42.0)))
    assert 0.3 < np.median(shifts) < 5.0


def test_still_frames_are_the_window_of_the_canvas():
    canvas = np.random.default_rng(0).random((30, 40, 3)).astype(np.float32)
    np.testing.assert_array_equal(render_frame(canvas, None, 5, (20, 30)), canvas[5:25, 5:35])
    identity = render_frame(canvas, np.eye(3), 5, (20, 30))
    np.testing.assert_allclose(identity, canvas[5:25, 5:35], atol=1e-6)


def test_layers_paste_with_their_alpha_and_clip_at_the_edges():
    background = np.zeros((10, 12, 3), np.float32)
    alpha = np.full((4, 4, 1), 0.5, np.float32)
    layer = Layer(
        radiance=[np.full((4, 4, 3), 2.0, np.float32)] * 3,
        alpha=[alpha] * 3,
        positions=[(1, 2), (-2, 10), (20, 20)],
    )
    first = composite(background, [layer], 0)
    np.testing.assert_array_equal(first[1:5, 2:6], 1.0)
    assert first.sum() == 16 * 3 * 1.0
    second = composite(background, [layer], 1)
    np.testing.assert_array_equal(second[0:2, 10:12], 1.0)
    assert second.sum() == 4 * 3 * 1.0
    np.testing.assert_array_equal(composite(background, [layer], 2), background)
    assert not background.any(), "the background must not be painted on"


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.tuples(st.integers(8, 80), st.integers(8, 80)))
def test_soft_masks_are_solid_inside_and_clear_at_the_corners(seed, size):
    mask = soft_mask(size, np.random.default_rng(seed))
    assert mask.shape == (*size, 1)
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[size[0] // 2, size[1] // 2, 0] == 1.0
    assert mask[0, 0, 0] == 0.0 and mask[-1, -1, 0] == 0.0
