"""Aligners recover known synthetic shifts between differently exposed frames."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.ops.align import flow_to_reference, mtb_shifts, shift_frame, warp_by_flow

TIMES = (1.0, 4.0, 16.0)
SIZE = (160, 200)  # height, width


def textured_radiance(seed: int) -> np.ndarray:
    """Blocky texture of radiance spanning 1.3 decades, slightly blurred."""
    rng = np.random.default_rng(seed)
    height, width = SIZE
    cells = (10 ** rng.uniform(-2.5, -1.2, (height // 8, width // 8, 3))).astype(np.float32)
    blocks = cv2.resize(cells, (width, height), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(blocks, (0, 0), 1.0)


def exposed(radiance: np.ndarray, time: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """The frame a gamma-2.2 camera records, with the scene moved by (dx, dy) px."""
    height, width = radiance.shape[:2]
    matrix = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    moved = cv2.warpAffine(
        radiance, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    return (np.clip(moved * time, 0, 1) ** (1 / 2.2)).astype(np.float32)


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    moves=st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), min_size=2, max_size=2),
)
def test_mtb_recovers_whole_pixel_shifts_within_one_pixel(seed, moves):
    radiance = textured_radiance(seed)
    (dx0, dy0), (dx2, dy2) = moves
    frames = [
        exposed(radiance, TIMES[0], dx0, dy0),
        exposed(radiance, TIMES[1]),
        exposed(radiance, TIMES[2], dx2, dy2),
    ]
    shifts = mtb_shifts(frames, reference=1)
    assert shifts[1] == (0, 0)
    for (found_x, found_y), (dx, dy) in zip((shifts[0], shifts[2]), moves, strict=True):
        assert abs(found_x + dx) <= 1 and abs(found_y + dy) <= 1


def test_shift_frame_moves_content_and_repeats_the_edge():
    frame = np.arange(5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3)
    moved = shift_frame(frame, (1, -2))
    np.testing.assert_array_equal(moved[:3, 1:], frame[2:, :3])
    np.testing.assert_array_equal(moved[:3, 0], frame[2:, 0])  # left edge repeated
    np.testing.assert_array_equal(moved[3:, 1:], np.repeat(frame[4:, :3], 2, axis=0))


@pytest.mark.parametrize(("moving", "motion"), [(0, (2.5, -1.5)), (2, (-3.25, 2.0))])
def test_flow_recovers_a_subpixel_shift_within_half_a_pixel(moving, motion):
    radiance = textured_radiance(7)
    reference = exposed(radiance, TIMES[1])
    frame = exposed(radiance, TIMES[moving], *motion)
    flow = flow_to_reference(reference, TIMES[1], frame, TIMES[moving])
    inner = flow[16:-16, 16:-16].reshape(-1, 2)
    error = np.linalg.norm(inner - np.array(motion, np.float32), axis=1)
    assert error.mean() < 0.5


def test_warping_by_the_flow_moves_the_frame_onto_the_reference():
    radiance = textured_radiance(8)
    reference = exposed(radiance, TIMES[1])
    frame = exposed(radiance, TIMES[0], 3.0, -2.0)
    flow = flow_to_reference(reference, TIMES[1], frame, TIMES[0])
    warped = warp_by_flow(frame, flow)
    expected = exposed(radiance, TIMES[0])
    inner = (slice(16, -16), slice(16, -16))
    before = np.abs(frame[inner] - expected[inner]).mean()
    after = np.abs(warped[inner] - expected[inner]).mean()
    assert after < before / 4
