"""Nodes over whole brackets, on a real panorama: SelectFrames (5 to 9 frames: the network
takes three, a merge of all extends the range) and MotionBlend."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from ahdr_nodes import NodeContext, UserError, run_graph
from ahdr_nodes.hdr.data.camera import ToneCurve
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.io import read_hdr, write_ldr
from ahdr_nodes.hdr.metrics import psnr_mu
from ahdr_nodes.hdr.nodes import DebevecMerge, Linearise, MotionBlend, ReferenceOnly, SelectFrames
from ahdr_nodes.hdr.types import Bracket, HDRImage

EV = [-4.0, -2.0, 0.0, 2.0, 4.0]
EV3 = EV[1:4]


def radiance() -> np.ndarray:
    """A real panorama, scaled so its brightest pixels fill the shortest frame."""
    source = next(p for p in bundled_hdri_files() if "lobby" in p.name)
    values = cv2.resize(read_hdr(source), (96, 48), interpolation=cv2.INTER_AREA)
    return (values / np.percentile(values, 99.9)).astype(np.float32)


def frames_of(values: np.ndarray, evs: list[float]) -> list[np.ndarray]:
    shortest = min(evs)
    return [
        (np.clip(values * 2.0 ** (ev - shortest), 0, 1) ** (1 / 2.2)).astype(np.float32)
        for ev in evs
    ]


def stack_of(frames: list[np.ndarray], evs: list[float], reference: int):
    times = np.array([2.0 ** (ev - min(evs)) for ev in evs])
    bracket = Bracket(frames=frames, times=times, reference=reference)
    return Linearise("lin", response="gamma").run(NodeContext("lin"), bracket=bracket)["stack"]


def test_the_reference_and_its_neighbours_are_selected_on_the_brackets_scale():
    frames = frames_of(radiance(), EV)
    stack = stack_of(frames, EV, 2)
    selected = SelectFrames("s").run(NodeContext("s"), stack=stack)["selected"]
    assert selected.reference == 1 and list(selected.times) == [4.0, 16.0, 64.0]
    assert selected.ldr[0] is frames[1] and selected.linear[2] is stack.linear[3]
    # the network sees the three frames exactly as it would as a bracket of their own
    alone = stack_of(frames[1:4], EV[1:4], 1)
    np.testing.assert_allclose(selected.network_inputs(), alone.network_inputs(), rtol=1e-6)


def test_a_three_frame_stack_passes_unchanged_and_an_end_reference_is_refused():
    frames = frames_of(radiance(), EV[1:4])
    stack = stack_of(frames, EV[1:4], 1)
    assert SelectFrames("s").run(NodeContext("s"), stack=stack)["selected"] is stack
    with pytest.raises(UserError, match="position 1"):
        SelectFrames("s").run(NodeContext("s"), stack=stack_of(frames, EV[1:4], 0))


def test_five_frames_extend_the_range_of_the_middle_three(tmp_path):
    values = radiance()
    paths = []
    for index, frame in enumerate(frames_of(values, EV)):
        paths.append(tmp_path / f"f{index}.tif")
        write_ldr(paths[-1], frame, 16)

    def merged(chosen: slice) -> np.ndarray:
        evs = EV[chosen]
        inputs = {"frames": [str(p) for p in paths[chosen]], "ev": evs}
        result = run_graph("ahdrnet_hybrid", inputs, targets=["blend"])["blend.hdr"].data
        return result / 2.0 ** (min(evs) - min(EV))  # onto the scale of the shortest of all

    truth = np.clip(values, 0, 1)
    five = psnr_mu(np.clip(merged(slice(0, 5)), 0, 1), truth)
    three = psnr_mu(np.clip(merged(slice(1, 4)), 0, 1), truth)
    assert five > three + 3.0


def test_merge_takes_a_reference_and_says_when_the_network_cannot_use_it(ahdr, tmp_path):
    paths = []
    for index, frame in enumerate(frames_of(radiance(), EV)):
        paths.append(str(tmp_path / f"f{index}.png"))
        write_ldr(paths[-1], frame)
    output = tmp_path / "out.exr"
    ev = ",".join(map(str, EV))
    result = ahdr("merge", *paths, "--ev", ev, "--reference", "1", "-o", str(output))
    assert result.code == 2 and "position 1" in result.err and not output.exists()
    result = ahdr("merge", *paths, "--ev", ev, "--reference", "2", "-o", str(output))
    assert result.code == 0, result.err
    assert "frames 1, 2, 3 of 5" in result.err


def test_merge_says_which_camera_curve_it_fitted(ahdr, tmp_path):
    """An sRGB bracket: the fitted curve beats the gamma curve, and the user is told so."""
    curve = ToneCurve("srgb")
    values = cv2.resize(radiance(), (192, 96), interpolation=cv2.INTER_CUBIC)
    paths = []
    for index, ev in enumerate(EV3):
        paths.append(str(tmp_path / f"f{index}.tif"))
        write_ldr(paths[-1], curve.encode(values * np.float32(2.0 ** (ev - EV3[0]))))
    result = ahdr("merge", *paths, "--ev", ",".join(map(str, EV3)), "-o", str(tmp_path / "o.exr"))
    assert result.code == 0, result.err
    line = next(line for line in result.err.splitlines() if "linearise:" in line)
    assert "response fitted" in line and "gamma 2.2" in line, line


def test_the_moved_object_comes_from_the_dynamic_merge_and_clipped_light_is_kept():
    values = radiance()
    moved = values.copy()
    moved[10:30, 20:50] *= 0.3  # a dark object in the long frame only
    frames = frames_of(values, EV3)
    frames[2] = frames_of(moved, EV3)[2]
    stack = stack_of(frames, EV3, 1)
    static = DebevecMerge("d").run(NodeContext("d"), stack=stack)["hdr"]
    dynamic = ReferenceOnly("r").run(NodeContext("r"), stack=stack)["hdr"]
    ctx = NodeContext("b")
    blended = MotionBlend("b").run(ctx, stack=stack, static=static, dynamic=dynamic)["hdr"].data

    inside = (slice(16, 24), slice(28, 42))
    well_exposed = (frames[1][inside].max(axis=2) < 0.9) & (frames[1][inside].mean(axis=2) > 0.05)
    assert well_exposed.mean() > 0.5

    def error(merged):  # against the scene as the reference saw it
        return np.abs(merged[inside] / values[inside] - 1)[well_exposed]

    assert np.percentile(error(static.data), 90) > 0.3  # Debevec ghosts the object
    assert np.percentile(error(blended), 90) < 0.05
    assert 0 < ctx.records["moving_share"] < 0.3

    clipped = frames[1] >= 0.9
    assert clipped.any()
    assert (blended[clipped] >= stack.linear[1][clipped] - 1e-6).all()
    untouched = ~clipped.any(axis=2)
    untouched[:40, 10:60] = False  # away from the object and its softened edge
    np.testing.assert_allclose(blended[untouched], static.data[untouched], rtol=1e-5)


def test_a_fitted_highlight_shoulder_puts_the_static_merge_on_the_dynamic_scale():
    """With an S-curve's response in the stack, the static merge takes the dynamic
    merge's scale (measured where nothing moved); with the gamma curve it keeps its own.
    Brightened so that the frames show the codes near white the slope is measured on."""
    frames = frames_of(radiance() * np.float32(4.0), EV3)
    stack = stack_of(frames, EV3, 1)
    static = DebevecMerge("d").run(NodeContext("d"), stack=stack)["hdr"]
    dynamic = HDRImage(static.data * np.float32(1.3))
    gamma_blend = MotionBlend("b").run(
        NodeContext("b"), stack=stack, static=static, dynamic=dynamic
    )
    np.testing.assert_allclose(gamma_blend["hdr"].data, static.data, rtol=1e-5)

    shoulder = ToneCurve("filmic", 2.2, shoulder=2.0, contrast=0.3).inverse_table()
    messages = []
    ctx = NodeContext("b", on_message=lambda node, kind, text: messages.append(text))
    blended = (
        MotionBlend("b")
        .run(ctx, stack=replace(stack, response=shoulder), static=static, dynamic=dynamic)["hdr"]
        .data
    )
    unclipped = ~(frames[1] >= 0.9).any(axis=2)
    np.testing.assert_allclose(blended[unclipped], dynamic.data[unclipped], rtol=1e-4)
    assert any("scaled by 1.30" in line for line in messages), messages
    assert ctx.records["static_scaled_by"] == pytest.approx(1.3, rel=1e-4)


def test_a_shoulder_no_frame_shows_keeps_the_static_merges_scale():
    """A dark bracket whose fitted curve bends near white: no frame reaches those codes,
    so the bend is an extrapolation and the static merge keeps its scale."""
    frames = frames_of(radiance() * np.float32(0.02), EV3)
    assert max(frame.max() for frame in frames) < 200 / 255
    stack = stack_of(frames, EV3, 1)
    shoulder = ToneCurve("filmic", 2.2, shoulder=2.0, contrast=0.3).inverse_table()
    static = DebevecMerge("d").run(NodeContext("d"), stack=stack)["hdr"]
    dynamic = HDRImage(static.data * np.float32(1.3))
    messages = []
    ctx = NodeContext("b", on_message=lambda node, kind, text: messages.append(text))
    blended = MotionBlend("b").run(
        ctx, stack=replace(stack, response=shoulder), static=static, dynamic=dynamic
    )
    np.testing.assert_allclose(blended["hdr"].data, static.data, rtol=1e-5)
    assert "static_scaled_by" not in ctx.records
    assert any("keeps its scale" in line for line in messages), messages
