"""Classical merges: Debevec agrees with OpenCV on the stated scale, the float merge beats
it; baselines consistent."""

import cv2
import numpy as np

from ahdr_nodes.hdr.ops.classical import (
    debevec_merge,
    mertens_fusion,
    reference_only,
    weighted_merge,
)
from ahdr_nodes.hdr.ops.linearise import (
    calibrate_response,
    gamma_linearise,
    gamma_response,
    to_uint8,
)

SECONDS = np.array([1 / 200, 1 / 50, 1 / 12.5], np.float32)  # 2 stops apart


def bracket(seed: int = 0, shape=(40, 56, 3)):
    """Frames of a gamma-2.2 camera; radiance on the shortest exposure's scale."""
    rng = np.random.default_rng(seed)
    radiance = (10 ** rng.uniform(-2.5, 0, shape)).astype(np.float32)
    relative = SECONDS / SECONDS[0]
    frames = [(np.clip(radiance * t, 0, 1) ** (1 / 2.2)).astype(np.float32) for t in relative]
    return radiance, frames, relative


def test_debevec_equals_opencv_up_to_the_shortest_exposure_time():
    _, frames, relative = bracket()
    table = gamma_response()
    table[0] = table[1]
    opencv = cv2.createMergeDebevec().process(
        [to_uint8(f) for f in frames], SECONDS, table.reshape(256, 1, 3)
    )
    ours = debevec_merge(frames, relative, gamma_response())
    # OpenCV's radiance is per second; ours is per shortest exposure
    np.testing.assert_allclose(ours, opencv * SECONDS[0], rtol=1e-5)


def test_debevec_recovers_the_radiance_on_the_network_scale():
    radiance, frames, relative = bracket(1)
    merged = debevec_merge(frames, relative, gamma_response())
    assert np.isfinite(merged).all()
    # 8-bit quantisation limits the precision; the scale must be right
    assert np.median(np.abs(merged / radiance - 1)) < 0.02


def test_debevec_with_a_calibrated_response_stays_on_scale():
    radiance, frames, relative = bracket(2)
    merged = debevec_merge(frames, relative, calibrate_response(frames, relative))
    assert 0.9 < np.median(merged / radiance) < 1.1


def quantised(frames, bits):
    levels = 2**bits - 1
    return [np.round(f * levels).astype(np.float32) / levels for f in frames]


def test_weighted_merge_keeps_the_precision_opencv_drops():
    radiance, frames, relative = bracket(4)
    frames = quantised(frames, 12)
    linear = [gamma_linearise(f, t) for f, t in zip(frames, relative, strict=True)]
    ours = weighted_merge(frames, linear, 1)
    opencv = debevec_merge(frames, relative, gamma_response())
    error = np.median(np.abs(ours / radiance - 1))
    assert error < 0.002 < np.median(np.abs(opencv / radiance - 1))


def test_weighted_merge_takes_no_colour_from_a_channel_clipped_in_one_frame():
    """A bright red surface: red clips in the long frame, green and blue do not.
    Averaging the clipped red with the others would turn the highlight cyan."""
    radiance = np.full((8, 8, 3), [0.2, 0.05, 0.05], np.float32)
    relative = np.array([1.0, 4.0, 16.0], np.float32)
    frames = [(np.clip(radiance * t, 0, 1) ** (1 / 2.2)).astype(np.float32) for t in relative]
    assert frames[2][..., 0].max() == 1.0 and frames[2][..., 1].max() < 0.95
    linear = [gamma_linearise(f, t) for f, t in zip(frames, relative, strict=True)]
    merged = weighted_merge(frames, linear, 1)
    np.testing.assert_allclose(merged, radiance, rtol=1e-4)


def test_weighted_merge_takes_the_shortest_frame_where_every_frame_clips():
    radiance = np.zeros((4, 8, 3), np.float32)
    radiance[:, :4] = 3.0  # clipped in every frame
    radiance[:, 4:] = 1e-4  # nearly black in every frame: all weights small, not zero
    relative = np.array([1.0, 4.0, 16.0], np.float32)
    frames = [(np.clip(radiance * t, 0, 1) ** (1 / 2.2)).astype(np.float32) for t in relative]
    linear = [gamma_linearise(f, t) for f, t in zip(frames, relative, strict=True)]
    merged = weighted_merge(frames, linear, 1)
    np.testing.assert_array_equal(merged[:, :4], linear[0][:, :4])
    np.testing.assert_allclose(merged[:, 4:], radiance[:, 4:], rtol=1e-4)


def test_deghost_takes_what_moved_from_the_reference_and_the_rest_from_every_frame():
    """An object (3x brighter) sits in the long frame's view only: without deghost the
    merge averages it into the reference's background, a ghost; with deghost the
    background keeps the reference's radiance, and static pixels still average all."""
    radiance, frames, relative = bracket(5)
    radiance = np.clip(radiance, 0.005, 0.01)  # well exposed in all three frames
    moved = radiance.copy()
    moved[10:20, 10:20] *= 3.0
    views = [radiance, radiance, moved]
    frames = [
        (np.clip(r * t, 0, 1) ** (1 / 2.2)).astype(np.float32)
        for r, t in zip(views, relative, strict=True)
    ]
    linear = [gamma_linearise(f, t) for f, t in zip(frames, relative, strict=True)]
    ghosted = weighted_merge(frames, linear, 1)
    clean = weighted_merge(frames, linear, 1, deghost=0.3)
    inside = (slice(10, 20), slice(10, 20))
    assert np.median(ghosted[inside] / radiance[inside]) > 1.2
    np.testing.assert_allclose(clean[inside], linear[1][inside], rtol=1e-3)
    np.testing.assert_allclose(clean[25:, 25:], ghosted[25:, 25:], rtol=1e-5)


def test_reference_only_is_the_linearised_reference_on_the_same_scale():
    radiance, frames, relative = bracket(3)
    linear = [gamma_linearise(f, t) for f, t in zip(frames, relative, strict=True)]
    result = reference_only(linear, 1)
    np.testing.assert_array_equal(result, linear[1])
    unclipped = frames[1] < 1
    np.testing.assert_allclose(result[unclipped], radiance[unclipped], rtol=1e-4)


def test_mertens_equals_opencv_on_eight_bit_frames_and_stays_in_range():
    _, frames, _ = bracket(4)
    quantised = [to_uint8(f).astype(np.float32) / 255 for f in frames]
    # the paper's weights (all 1); OpenCV's own default leaves exposure out
    opencv = cv2.createMergeMertens(1.0, 1.0, 1.0).process([to_uint8(f) for f in frames])
    fused = mertens_fusion(quantised)
    np.testing.assert_allclose(fused, np.clip(opencv, 0, 1), atol=1e-5)
    assert fused.dtype == np.float32 and fused.min() >= 0 and fused.max() <= 1
