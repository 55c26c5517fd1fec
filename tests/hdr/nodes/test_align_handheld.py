"""Hand-held brackets with known camera motion: the homography aligner recovers it across
4 stops, and every aligner leaves a frame in place, saying so, when moving it does not help."""

import cv2
import numpy as np
import pytest

from ahdr_nodes.core.node import NodeContext
from ahdr_nodes.hdr.nodes import (
    DebevecMerge,
    FlowAlign,
    HomographyAlign,
    Linearise,
    MTBAlign,
    NoAlign,
)
from ahdr_nodes.hdr.ops.homography import homography_to_reference
from ahdr_nodes.hdr.ops.tonemap import mu_law
from ahdr_nodes.hdr.types import Bracket

TIMES = (1.0, 4.0, 16.0)
SIZE = (240, 320)  # height, width
CORNERS = np.float32([[0, 0], [SIZE[1], 0], [SIZE[1], SIZE[0]], [0, SIZE[0]]]).reshape(-1, 1, 2)


def radiance(seed: int) -> np.ndarray:
    """Blocky texture spanning two decades of radiance, slightly blurred."""
    rng = np.random.default_rng(seed)
    height, width = SIZE
    cells = (10 ** rng.uniform(-2.5, -0.5, (height // 8, width // 8, 3))).astype(np.float32)
    blocks = cv2.resize(cells, (width, height), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(blocks, (0, 0), 1.0)


def camera_shake(angle: float, dx: float, dy: float, tilt: float) -> np.ndarray:
    """A homography H with frame(H x) = scene(x): rotation about the centre, shift, tilt."""
    height, width = SIZE
    matrix = np.eye(3)
    matrix[:2] = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[0, 2] += dx
    matrix[1, 2] += dy
    matrix[2, 0] = tilt
    return matrix


def exposed(scene: np.ndarray, time: float, shake: np.ndarray | None = None) -> np.ndarray:
    """The frame a gamma-2.2 camera records, the camera moved by ``shake``."""
    if shake is not None:
        height, width = SIZE
        scene = cv2.warpPerspective(
            scene, shake, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    return (np.clip(scene * time, 0, 1) ** (1 / 2.2)).astype(np.float32)


SHAKES = (camera_shake(1.0, 6.0, -4.0, 2e-5), None, camera_shake(-0.7, -5.0, 3.0, -1e-5))


def handheld(seed: int) -> tuple[Bracket, np.ndarray]:
    """A 3-frame bracket 2 stops apart, the outer frames shaken; and the still frames."""
    scene = radiance(seed)
    frames = [exposed(scene, t, s) for t, s in zip(TIMES, SHAKES, strict=True)]
    still = np.stack([exposed(scene, t) for t in TIMES])
    names = ["short.png", "middle.png", "long.png"]
    return Bracket(frames=frames, times=np.array(TIMES), reference=1, sources=names), still


class Messages:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.ctx = NodeContext("align", on_message=lambda _, level, text: self.texts.append(text))


@pytest.mark.parametrize("seed", range(3))
def test_homography_recovers_camera_shake_four_stops_apart(seed):
    scene = radiance(seed)
    shake = SHAKES[0]
    found = homography_to_reference(exposed(scene, 16.0), 16.0, exposed(scene, 1.0, shake), 1.0)
    assert found is not None
    error = cv2.perspectiveTransform(CORNERS, found) - cv2.perspectiveTransform(CORNERS, shake)
    assert np.abs(error).max() < 0.5


def test_homography_align_puts_shaken_frames_back(tmp_path):
    bracket, still = handheld(0)
    aligned = HomographyAlign("align").run(Messages().ctx, bracket=bracket)["aligned"]
    matrices = aligned.metadata["alignment"]["homographies"]
    assert matrices[1] is None and matrices[0] is not None and matrices[2] is not None
    for index in (0, 2):
        inner = (slice(24, -24), slice(24, -24))
        shaken = np.abs(bracket.frames[index][inner] - still[index][inner]).mean()
        moved_back = np.abs(aligned.frames[index][inner] - still[index][inner]).mean()
        assert moved_back < min(0.02, shaken / 5), (moved_back, shaken)


def merged_psnr_mu(bracket: Bracket, truth: np.ndarray) -> float:
    ctx = Messages().ctx
    stack = Linearise("lin").run(ctx, bracket=bracket)["stack"]
    hdr = DebevecMerge("deb").run(ctx, stack=stack)["hdr"].data
    inner = (slice(24, -24), slice(24, -24))
    error = np.mean((mu_law(hdr[inner]) - mu_law(truth[inner])) ** 2)
    return float(10 * np.log10(1 / error))


@pytest.mark.parametrize("seed", range(2))
def test_no_aligner_scores_below_no_alignment_on_handheld_brackets(seed):
    bracket, _ = handheld(seed)
    truth = np.clip(radiance(seed), 0, 1)
    scores = {
        type(node).__name__: merged_psnr_mu(
            node.run(Messages().ctx, bracket=bracket)["aligned"], truth
        )
        for node in (NoAlign("a"), MTBAlign("a"), FlowAlign("a"), HomographyAlign("a"))
    }
    assert min(scores.values()) >= scores["NoAlign"] - 0.05, scores
    assert scores["HomographyAlign"] > scores["NoAlign"] + 3, scores


def registered_dark_bracket() -> Bracket:
    """A tripod bracket, already registered, on which MTB finds a shift in the short
    frame's noise: a dark room with one window."""
    rng = np.random.default_rng(0)
    height, width = SIZE
    scene = np.full((height, width, 3), 0.002, np.float32)
    scene[60:120, 200:280] = 0.6
    scene += (10 ** rng.uniform(-3.5, -2.5, (height, width, 1))).astype(np.float32)
    scene = cv2.GaussianBlur(scene, (0, 0), 1.0)
    frames = [
        (np.clip(scene * t + rng.normal(0, 0.004, scene.shape), 0, 1) ** (1 / 2.2)).astype(
            np.float32
        )
        for t in TIMES
    ]
    names = ["short.png", "middle.png", "long.png"]
    return Bracket(frames=frames, times=np.array(TIMES), reference=1, sources=names)


def test_mtb_shift_that_does_not_help_is_not_applied_and_said(tmp_path):
    bracket = registered_dark_bracket()
    messages = Messages()
    aligned = MTBAlign("align").run(messages.ctx, bracket=bracket)["aligned"]
    alignment = aligned.metadata["alignment"]
    assert alignment["found"][0] != (0, 0)  # MTB's own answer is wrong here
    assert alignment["shifts"] == [(0, 0)] * 3
    for before, after in zip(bracket.frames, aligned.frames, strict=True):
        assert after is before
    assert any(
        text.startswith("short.png: MTB shift") and "frame left in place" in text
        for text in messages.texts
    ), messages.texts


def test_frames_without_features_are_left_in_place_and_said():
    flat = [np.full((*SIZE, 3), level, np.float32) for level in (0.2, 0.4, 0.8)]
    bracket = Bracket(frames=flat, times=np.array(TIMES), reference=1, sources=["a", "b", "c"])
    messages = Messages()
    aligned = HomographyAlign("align").run(messages.ctx, bracket=bracket)["aligned"]
    assert all(after is before for before, after in zip(flat, aligned.frames, strict=True))
    assert aligned.metadata["alignment"]["homographies"] == [None, None, None]
    assert sum("no homography found" in text for text in messages.texts) == 2
