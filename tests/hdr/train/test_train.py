"""Training: the loss falls, resume is exact, runs are deterministic, outputs are usable.

Tiny networks (AHDRNetConfig knobs) on 16-pixel crops of the bundled panoramas,
so every run takes a second or two.
"""

import dataclasses
import json
from pathlib import Path

import cv2
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.kalantari import synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, split_train_validation
from ahdr_nodes.hdr.data.synth import SynthConfig
from ahdr_nodes.hdr.model import AHDRNet, AHDRNetConfig, load_weights, resolve_weights
from ahdr_nodes.hdr.model.weights import BUILTIN_RECORD_PATH
from ahdr_nodes.hdr.train import TrainConfig, train
from ahdr_nodes.hdr.train.curves import PANEL_HEIGHT, WIDTH, draw_curves
from ahdr_nodes.hdr.train.distributed import Distributed, StepBatches

TINY = AHDRNetConfig(features=8, n_blocks=1, n_layers=2, growth=4)


def tiny_run(out: Path, **overrides) -> TrainConfig:
    train_files, validation_files = split_train_validation(bundled_hdri_files())
    values = {
        "train_files": tuple(train_files),
        "validation_files": tuple(validation_files),
        "out": out,
        "steps": 6,
        "batch": 2,
        "crop": 16,
        "lr": 1e-3,
        "lr_drop_at": 0.5,
        "val_every": 3,
        "val_examples": 2,
        "val_crop": 16,
        "checkpoint_every": 100,
        "model": TINY,
    }
    values.update(overrides)
    return TrainConfig(**values)


def tensors(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path))


def test_loss_decreases_on_a_tiny_problem(tmp_path):
    config = tiny_run(tmp_path, steps=40, batch=4, lr=3e-3, lr_drop_at=1.0, val_every=10)
    result = train(config, progress=False)
    first, last = result.losses[:5], result.losses[-10:]
    assert sum(last) / 10 < 0.7 * sum(first) / 5
    assert result.validation[-1][1] > result.validation[0][1] + 1.0


@pytest.mark.slow
def test_resume_continues_exactly_as_an_uninterrupted_run(tmp_path):
    whole = train(tiny_run(tmp_path / "whole"), progress=False)
    stopped = train(tiny_run(tmp_path / "split", stop_at=3), progress=False)
    assert stopped.weights is None and stopped.step == 3
    resumed = train(tiny_run(tmp_path / "split", resume=True), progress=False)
    # the learning-rate drop (step 3 of 6) falls in the resumed half
    assert resumed.step == whole.step == 6
    assert resumed.losses == whole.losses
    assert resumed.validation == whole.validation
    expected, actual = tensors(whole.weights), tensors(resumed.weights)
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[name], actual[name]) for name in expected)


def test_same_seed_same_weights_whatever_the_workers_other_seed_other_weights(tmp_path):
    first = train(tiny_run(tmp_path / "a", steps=3), progress=False)
    again = train(tiny_run(tmp_path / "b", steps=3, workers=2), progress=False)
    other = train(tiny_run(tmp_path / "c", steps=3, seed=1), progress=False)
    a, b, c = tensors(first.weights), tensors(again.weights), tensors(other.weights)
    assert all(torch.equal(a[name], b[name]) for name in a)
    assert not all(torch.equal(a[name], c[name]) for name in a)
    assert first.losses == again.losses != other.losses


def test_exported_weights_load_through_resolve_weights(tmp_path):
    config = tiny_run(tmp_path, steps=2)
    result = train(config, progress=False)
    resolved = resolve_weights(str(result.weights))
    assert resolved.config == TINY and not resolved.untrained
    model = AHDRNet(resolved.config)
    load_weights(model, resolved)
    expected = tensors(result.weights)
    assert all(torch.equal(value, expected[name]) for name, value in model.state_dict().items())
    log = json.loads((tmp_path / "training.json").read_text())
    assert log["step"] == 2 and log["examples_seen"] == 4
    assert log["final_validation_psnr_mu"] == pytest.approx(result.validation[-1][1])
    assert log["settings"]["validation_files"] == [p.name for p in config.validation_files]
    curves = cv2.imread(str(tmp_path / "curves.png"))
    assert curves.shape == (2 * PANEL_HEIGHT, WIDTH, 3)


def test_an_existing_checkpoint_is_not_overwritten_without_resume(tmp_path):
    train(tiny_run(tmp_path, steps=2), progress=False)
    with pytest.raises(UserError, match=str(tmp_path)):
        train(tiny_run(tmp_path, steps=2), progress=False)


def test_resume_without_a_checkpoint_names_the_folder(tmp_path):
    with pytest.raises(UserError, match="no checkpoint.pt"):
        train(tiny_run(tmp_path, resume=True), progress=False)


def test_resume_removes_only_the_checkpoints_it_wrote(tmp_path):
    train(tiny_run(tmp_path, stop_at=2, checkpoint_every=1), progress=False)
    kept = tmp_path / "checkpoint-best.safetensors"
    kept.write_bytes((tmp_path / "checkpoint-0000002.safetensors").read_bytes())
    train(tiny_run(tmp_path, resume=True, stop_at=4, checkpoint_every=1), progress=False)
    assert kept.exists() and not (tmp_path / "checkpoint-0000002.safetensors").exists()


def test_keep_checkpoints_keeps_every_checkpoint_written(tmp_path):
    train(tiny_run(tmp_path / "all", steps=3, checkpoint_every=1, keep_checkpoints=True),
          progress=False)  # fmt: skip
    train(tiny_run(tmp_path / "last", steps=3, checkpoint_every=1), progress=False)
    kept = sorted(p.name for p in (tmp_path / "all").glob("checkpoint-*.safetensors"))
    assert kept == [f"checkpoint-000000{step}.safetensors" for step in (1, 2, 3)]
    assert len(list((tmp_path / "last").glob("checkpoint-*.safetensors"))) == 1


def test_a_checkpoint_missing_its_keys_is_a_user_error(tmp_path):
    train(tiny_run(tmp_path, stop_at=2), progress=False)
    torch.save({"step": 2}, tmp_path / "checkpoint.pt")
    with pytest.raises(UserError, match="not a checkpoint of this tool"):
        train(tiny_run(tmp_path, resume=True), progress=False)


def test_curves_draw_both_panels():
    image = draw_curves([0.5, 0.3, 0.2, 0.25, 0.1], [(2, 20.0), (5, 25.0)])
    top, bottom = image[:PANEL_HEIGHT], image[PANEL_HEIGHT:]
    blue_line = (top[..., 0] > 150) & (top[..., 2] < 100)
    red_dots = (bottom[..., 2] > 150) & (bottom[..., 0] < 100)
    assert blue_line.sum() > 50 and red_dots.sum() > 20


@settings(max_examples=60, deadline=None)
@given(
    per_rank=st.integers(1, 4),
    world_size=st.integers(1, 4),
    start=st.integers(0, 5),
    seen=st.integers(0, 50),
    steps=st.integers(1, 5),
)
def test_ranks_share_out_exactly_the_one_process_batches(per_rank, world_size, start, seen, steps):
    batch = per_rank * world_size
    cpu = torch.device("cpu")
    single = list(StepBatches(start, start + steps, seen, batch, Distributed(0, 1, cpu)))
    shards = [
        list(StepBatches(start, start + steps, seen, batch, Distributed(rank, world_size, cpu)))
        for rank in range(world_size)
    ]
    for step, indices in enumerate(single):
        assert indices == [i for shard in shards for i in shard[step]]
    assert single[0][0] == seen and len(single) == steps


def test_a_batch_that_does_not_split_over_the_processes_is_refused():
    with pytest.raises(UserError, match="global batch 3"):
        StepBatches(0, 1, 0, 3, Distributed(0, 2, torch.device("cpu")))


def test_cli_trains_and_refuses_a_single_image(ahdr, tmp_path):
    out = tmp_path / "run"
    result = ahdr(
        "train", "--data", "bundled", "--steps", "2", "--batch", "2", "--crop", "16",
        "--val-examples", "1", "--val-crop", "16", "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "trained 2 steps" in result.out
    assert resolve_weights(str(out / "ahdrnet.safetensors")).config == AHDRNetConfig()
    single = bundled_hdri_files()[0]
    refused = ahdr("train", "--data", str(single), "--steps", "1", "--out", str(tmp_path / "x"))
    assert refused.code == 2
    lines = refused.err.strip().splitlines()
    assert len(lines) == 1 and str(single) in lines[0]


def test_training_on_scene_folders_uses_their_crops(tmp_path):
    """--scenes: crops of Kalantari-layout folders instead of synthesised brackets; the
    same seed gives the same run, another folder another one."""
    config = SynthConfig(size=(48, 64))
    synthesise_dataset(bundled_hdri_files(), tmp_path / "a", 3, seed=1, config=config)
    synthesise_dataset(bundled_hdri_files(), tmp_path / "b", 3, seed=2, config=config)
    first = train(tiny_run(tmp_path / "1", steps=2, scenes=tmp_path / "a"), progress=False)
    again = train(tiny_run(tmp_path / "2", steps=2, scenes=tmp_path / "a"), progress=False)
    other = train(tiny_run(tmp_path / "3", steps=2, scenes=tmp_path / "b"), progress=False)
    synthetic = train(tiny_run(tmp_path / "4", steps=2), progress=False)
    assert first.losses == again.losses
    assert first.losses != other.losses and first.losses != synthetic.losses
    with pytest.raises(UserError, match="not a folder of scene folders"):
        tiny_run(tmp_path / "5", scenes=tmp_path / "missing")


def test_init_starts_from_the_given_weights(tmp_path):
    """--init: the run starts where the weights are (with a vanishing learning rate it stays
    there and validates as they do), not at a random initialisation."""
    trained = train(tiny_run(tmp_path / "a", steps=3), progress=False)
    tuned = train(
        tiny_run(tmp_path / "b", steps=1, lr=1e-12, init=str(trained.weights)), progress=False
    )
    start, end = tensors(trained.weights), tensors(tuned.weights)
    assert all(torch.allclose(start[name], end[name], atol=1e-6) for name in start)
    assert tuned.validation[-1][1] == pytest.approx(trained.validation[-1][1], abs=1e-3)
    fresh = tensors(train(tiny_run(tmp_path / "c", steps=1, lr=1e-12), progress=False).weights)
    assert not all(torch.allclose(start[name], fresh[name], atol=1e-6) for name in start)
    log = json.loads((tmp_path / "b" / "training.json").read_text())
    assert log["settings"]["init"] == str(trained.weights)
    # the run it started from comes along, so the log keeps the whole budget
    started_from = json.loads((tmp_path / "a" / "training.json").read_text())
    assert log["initialised_from"] == {"weights": str(trained.weights), **started_from}
    assert json.loads((tmp_path / "c" / "training.json").read_text())["initialised_from"] is None


def test_a_fine_tune_of_the_builtin_weights_carries_their_record(tmp_path):
    """--init builtin nests the shipped weights' training record (budget and all)."""
    config = tiny_run(tmp_path / "run", steps=1, init="builtin", model=AHDRNetConfig())
    train(config, progress=False)
    shipped = json.loads(BUILTIN_RECORD_PATH.read_text())
    log = json.loads((tmp_path / "run" / "training.json").read_text())
    assert log["initialised_from"] == {"weights": "builtin", **shipped}


def test_a_resumed_fine_tune_keeps_the_record_it_began_with(tmp_path):
    """The record is read when a fine-tune begins: the run it started from may go on
    (and rewrite its log) before the fine-tune resumes."""
    parent = tiny_run(tmp_path / "a", steps=4, keep_checkpoints=True)
    train(dataclasses.replace(parent, stop_at=2), progress=False)
    began = json.loads((tmp_path / "a" / "training.json").read_text())
    start = tmp_path / "a" / "checkpoint-0000002.safetensors"
    child = tiny_run(tmp_path / "b", steps=2, init=str(start))
    train(dataclasses.replace(child, stop_at=1), progress=False)
    train(dataclasses.replace(parent, resume=True), progress=False)
    assert json.loads((tmp_path / "a" / "training.json").read_text())["step"] == 4
    train(dataclasses.replace(child, resume=True), progress=False)
    log = json.loads((tmp_path / "b" / "training.json").read_text())
    assert log["step"] == 2
    assert log["initialised_from"] == {"weights": str(start), **began}


def test_cli_init_takes_the_architecture_of_its_weights_and_refuses_a_missing_file(ahdr, tmp_path):
    tiny = train(tiny_run(tmp_path / "tiny", steps=1), progress=False).weights
    out = tmp_path / "run"
    result = ahdr(
        "train", "--data", "bundled", "--steps", "1", "--batch", "1", "--crop", "16",
        "--val-examples", "1", "--val-crop", "16", "--init", str(tiny), "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert resolve_weights(str(out / "ahdrnet.safetensors")).config == TINY
    missing = tmp_path / "missing.safetensors"
    refused = ahdr("train", "--data", "bundled", "--steps", "1", "--init", str(missing),
                   "--out", str(tmp_path / "x"))  # fmt: skip
    assert refused.code == 2
    lines = refused.err.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0]
    assert not (tmp_path / "x").exists()
