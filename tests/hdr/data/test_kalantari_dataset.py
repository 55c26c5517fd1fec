"""Training crops of scene folders in the Kalantari layout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.kalantari import read_scene, synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.data.torch_dataset import SceneCropDataset, network_inputs

CROP = 12


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    synthesise_dataset(bundled_hdri_files(), out, 2, seed=4, config=SynthConfig(size=(24, 32)))
    return out


def _locate(crop_inputs, crop_truth, scenes):
    """Find scene, window and orientation that the crop was cut from; None if none."""
    for scene in scenes:
        frames = np.stack(scene.bracket.frames)
        for turns in range(4):
            for mirror in (False, True):
                truth = np.rot90(scene.ground_truth, turns)
                stack = np.rot90(frames, turns, axes=(1, 2))
                if mirror:
                    truth, stack = truth[:, ::-1], stack[:, :, ::-1]
                for top in range(truth.shape[0] - CROP + 1):
                    for left in range(truth.shape[1] - CROP + 1):
                        window = truth[top : top + CROP, left : left + CROP]
                        if np.array_equal(window, crop_truth):
                            cut = stack[:, top : top + CROP, left : left + CROP]
                            expected = network_inputs(list(cut), scene.bracket.times)
                            torch.testing.assert_close(crop_inputs, expected)
                            return scene.name, turns, mirror
    return None


@pytest.mark.parametrize("augment", [False, True])
def test_items_are_windows_of_the_scenes(root, augment):
    scenes = [read_scene(root / name) for name in ("001", "002")]
    dataset = SceneCropDataset(root, 8, seed=3, crop=CROP, augment=augment)
    found = []
    for index in range(len(dataset)):
        inputs, target = dataset[index]
        assert inputs.shape == (3, 6, CROP, CROP) and target.shape == (3, CROP, CROP)
        place = _locate(inputs, target.permute(1, 2, 0).numpy(), scenes)
        assert place is not None
        found.append(place)
    assert {name for name, _, _ in found} == {"001", "002"}
    orientations = {(turns, mirror) for _, turns, mirror in found}
    assert (len(orientations) > 1) == augment


def test_items_are_seeded(root):
    first = SceneCropDataset(root, 4, seed=1, crop=CROP)
    again = SceneCropDataset(root, 4, seed=1, crop=CROP)
    other = SceneCropDataset(root, 4, seed=2, crop=CROP)
    torch.testing.assert_close(first[3], again[3], rtol=0, atol=0)
    assert not torch.equal(first[3][1], other[3][1])


def test_scenes_without_ground_truth_or_too_small_are_refused(root, tmp_path):
    with pytest.raises(UserError, match="smaller than the crop 64"):
        SceneCropDataset(root, 2, seed=0, crop=64)[0]
    synthesise_dataset(
        bundled_hdri_files(),
        tmp_path,
        1,
        seed=0,
        config=dataclasses.replace(SynthConfig(), size=(16, 16)),
    )
    (tmp_path / "001" / "HDRImg.hdr").unlink()
    with pytest.raises(UserError, match="001: no HDRImg.hdr ground truth"):
        SceneCropDataset(tmp_path, 2, seed=0)
    with pytest.raises(UserError, match="seed"):
        SceneCropDataset(root, 2, seed=-3)
