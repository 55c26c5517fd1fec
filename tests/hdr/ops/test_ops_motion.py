"""The motion mask: zero on a static bracket, one over what moved, and the blend it drives."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.ops.linearise import gamma_linearise
from ahdr_nodes.hdr.ops.motion import (
    TOLERANCE,
    blend_by_motion,
    clip_levels,
    disagreement_with,
    floor_at_reference_clip,
    match_scale,
    motion_mask,
    share_with_static,
    spread_into_blind,
    well_exposed,
)

RELATIVE = np.array([1.0, 4.0, 16.0], np.float32)


def frames_of(radiances):
    frames = [
        (np.clip(r * t, 0, 1) ** (1 / 2.2)).astype(np.float32)
        for r, t in zip(radiances, RELATIVE, strict=True)
    ]
    linear = [gamma_linearise(f, t) for f, t in zip(frames, RELATIVE, strict=True)]
    return frames, linear


def scene(seed=0, shape=(48, 64, 3)):
    rng = np.random.default_rng(seed)
    return (10 ** rng.uniform(-1.6, -0.9, shape)).astype(np.float32)


def test_a_static_bracket_has_no_motion():
    radiance = scene()
    frames, linear = frames_of([radiance] * 3)
    assert motion_mask(frames, linear, 1).max() < 1e-6


def test_a_channel_that_clips_below_white_is_not_taken_for_motion():
    """White balance after a raw clip: green saturates at code 0.75 in every frame. The
    pile-up gives its clip level; where the reference's green is clipped it reads darker
    than the short frame saw, which is not motion."""
    radiance = scene(3) * np.float32(1.5)
    frames, _ = frames_of([radiance] * 3)
    for frame in frames:
        frame[..., 1] = np.minimum(frame[..., 1], 0.75)
    linear = [gamma_linearise(f, t) for f, t in zip(frames, RELATIVE, strict=True)]
    levels = clip_levels(frames)
    assert abs(levels[1] - 0.75) < 1e-6 and levels[0] == 1.0 and levels[2] == 1.0
    clipped_in_reference = (frames[1][..., 1] >= 0.75) & (frames[1].max(axis=2) < 0.9)
    assert clipped_in_reference.mean() > 0.05
    assert motion_mask(frames, linear, 1).max() < 1e-6


def test_a_bright_flat_region_is_not_a_clip():
    """A flat patch piles pixels up at the long frame's top code too, but at another code
    in each frame: no channel is taken to clip."""
    radiance = scene(4) * np.float32(0.3)
    radiance[:20, :20] = 0.05
    frames, _ = frames_of([radiance] * 3)
    assert frames[2].max() < 0.95 and (frames[2] >= frames[2].max() - 1 / 255).mean() > 0.05
    assert (clip_levels(frames) == 1.0).all()


def test_an_object_that_moved_in_one_frame_is_masked_and_only_it():
    radiance = scene(1)
    moved = radiance.copy()
    moved[10:30, 20:40] *= 3.0  # a brighter object where the short frame saw background
    frames, linear = frames_of([moved, radiance, radiance])
    mask = motion_mask(frames, linear, 1)
    assert mask[17:23, 27:33].min() > 0.95  # softened over 3 px at the edges
    assert mask[:, 50:].max() < 1e-3 and mask[40:].max() < 1e-3


def noisy_frames(radiances, noise, seed):
    """8-bit frames with Gaussian noise of ``noise`` codes: in the shadows of a
    gamma curve that is far more than TOLERANCE in ln radiance."""
    rng = np.random.default_rng(seed)
    frames, _ = frames_of(radiances)
    noisy = [np.clip(f + rng.normal(0, noise, f.shape), 0, 1) for f in frames]
    frames = [(np.round(f * 255) / 255).astype(np.float32) for f in noisy]
    return frames, [gamma_linearise(f, t) for f, t in zip(frames, RELATIVE, strict=True)]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_noise_in_the_shadows_is_not_motion_but_what_moved_still_is(seed):
    """A dark, noisy bracket: half its shadow pixels disagree with the reference by more
    than TOLERANCE in ln radiance, yet once the pair's own spread is allowed for, about
    the two-sigma tail does; an object three times brighter in the short frame stands
    out of the same noise."""
    radiance = (scene(seed, (96, 128, 3)) * np.float32(0.08)).astype(np.float32)
    moved = radiance.copy()
    moved[20:60, 30:70] *= 3.0
    frames, linear = noisy_frames([moved, radiance, radiance], 0.02, seed)
    raw = np.abs(np.log(linear[0].mean(2)) - np.log(linear[1].mean(2)))
    gap = disagreement_with(frames[1], linear[1])(frames[0], linear[0])
    background = np.ones(gap.shape, bool)
    background[15:65, 25:75] = False
    assert np.mean(raw[background] > TOLERANCE) > 0.3
    assert np.mean(gap[background] > TOLERANCE) < 0.08
    assert np.median(gap[25:55, 35:65]) > TOLERANCE


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), gain=st.floats(0.1, 10.0))
def test_the_mask_is_a_weight(seed, gain):
    rng = np.random.default_rng(seed)
    radiances = [scene(seed) * (gain if rng.random() < 0.5 else 1.0) for _ in RELATIVE]
    frames, linear = frames_of(radiances)
    mask = motion_mask(frames, linear, 1)
    assert mask.shape == (48, 64) and mask.min() >= 0.0 and mask.max() <= 1.0


def test_blend_takes_each_merge_where_the_mask_says():
    static, dynamic = np.zeros((2, 3, 3), np.float32), np.ones((2, 3, 3), np.float32)
    mask = np.array([[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]], np.float32)
    blended = blend_by_motion(static, dynamic, mask)
    np.testing.assert_allclose(blended[..., 0], mask)


def test_no_result_is_darker_than_the_reference_where_the_reference_clips():
    """A highlight clipped in the reference (channel by channel, as white balance
    clips them): a merge that came out darker there is raised to the reference's
    radiance; unclipped channels and pixels are left alone."""
    radiance = scene(2)
    radiance[:8, :8] = [0.5, 0.05, 0.05]  # red clips in the middle frame, green and blue do not
    frames, linear = frames_of([radiance] * 3)
    compressed = radiance * np.float32(0.5)
    floored = floor_at_reference_clip(compressed, frames[1], linear[1])
    np.testing.assert_allclose(floored[:8, :8, 0], linear[1][:8, :8, 0])
    np.testing.assert_array_equal(floored[:8, :8, 1:], compressed[:8, :8, 1:])
    np.testing.assert_array_equal(floored[8:], compressed[8:])
    assert (floor_at_reference_clip(radiance * 2, frames[1], linear[1]) == radiance * 2).all()


@settings(max_examples=25, deadline=None)
@given(share=st.floats(0.0, 1.0))
def test_the_static_share_goes_only_where_the_reference_is_well_exposed(share):
    reference = np.full((40, 80, 3), 0.5, np.float32)
    reference[:, 40:] = 1.0  # clipped right half
    mask = np.ones((40, 80), np.float32)
    shared = share_with_static(mask, well_exposed(reference), share, softness=2.0)
    np.testing.assert_allclose(shared[:, :30], 1.0 - share, atol=1e-5)
    np.testing.assert_allclose(shared[:, 50:], 1.0, atol=1e-5)
    assert np.all(shared <= mask + 1e-6) and np.all(shared >= 0)
    still = np.zeros_like(mask)
    assert share_with_static(still, well_exposed(reference), share).max() == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), factor=st.floats(0.25, 4.0), moving=st.floats(0.0, 0.4))
def test_match_scale_takes_the_dynamic_merges_scale_from_still_pixels(seed, factor, moving):
    """The static merge comes out on the dynamic merge's scale, measured where nothing
    moved: whatever the dynamic merge made of the moving part does not count."""
    rng = np.random.default_rng(seed)
    dynamic = rng.uniform(0.002, 0.4, (128, 128, 3)).astype(np.float32)
    static = dynamic / np.float32(factor)
    mask = (rng.random((128, 128)) < moving).astype(np.float32)
    dynamic_seen = np.where(mask[..., None] > 0, dynamic * 50, dynamic).astype(np.float32)
    scaled, measured = match_scale(static, dynamic_seen, mask)
    assert abs(measured / factor - 1) < 1e-4
    np.testing.assert_allclose(scaled, dynamic, rtol=1e-4)


def test_match_scale_keeps_the_scale_where_everything_moved():
    static = np.full((64, 64, 3), 0.1, np.float32)
    scaled, factor = match_scale(static, static * 3, np.ones((64, 64), np.float32))
    assert factor == 1.0 and scaled is static


@settings(max_examples=25, deadline=None)
@given(
    shape=st.sampled_from([(48, 64), (300, 200), (1100, 1500)]),
    spread=st.floats(0.02, 0.2),
    seed=st.integers(0, 2**32 - 1),
)
def test_motion_reaches_into_the_references_blind_regions_only(shape, spread, seed):
    """Around a moving spot, the mask reaches ``spread`` of the longer side into the
    reference's dark and clipped pixels and no further; well-exposed pixels keep their
    own value, and a still bracket stays still."""
    rng = np.random.default_rng(seed)
    height, width = shape
    reference = rng.choice(np.float32([0.01, 0.5, 1.0]), size=shape)[..., None].repeat(3, axis=2)
    mask = np.zeros(shape, np.float32)
    row, column = rng.integers(0, height), rng.integers(0, width)
    mask[row, column] = 1.0
    spread_mask = spread_into_blind(mask, well_exposed(reference), spread)
    exposed = reference[..., 0] == 0.5
    np.testing.assert_array_equal(spread_mask[exposed], mask[exposed])
    assert np.all(spread_mask >= mask) and spread_mask.max() <= 1.0
    rows, columns = np.indices(shape)
    distance = np.hypot(rows - row, columns - column) / max(shape)
    blind = ~exposed
    # the edge is drawn to the pixel on small images, to a block or two on large ones
    slack = (2 * np.ceil(max(shape) / 512) + 2) / max(shape)
    assert np.all(spread_mask[blind & (distance < spread - slack)] > 0.99)
    assert np.all(spread_mask[blind & (distance > spread + slack)] == 0)
    assert (
        spread_into_blind(np.zeros(shape, np.float32), well_exposed(reference), spread).max() == 0
    )
    np.testing.assert_array_equal(spread_into_blind(mask, well_exposed(reference), 0.0), mask)
