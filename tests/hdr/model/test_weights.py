"""Weights files: safetensors round trips, slice loading, clear errors, builtin and random."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import (
    ATTENTION_PREFIX,
    MERGE_PREFIX,
    AHDRNet,
    AHDRNetConfig,
    AttentionEncoder,
    MergeNet,
    average_weights,
    load_weights,
    random_weights,
    read_config,
    resolve_weights,
    save_weights,
)
from ahdr_nodes.hdr.model import weights as weights_module

SMALL = AHDRNetConfig(features=8, n_blocks=2, n_layers=2, growth=4, dilation=1)


def saved_model(path, config=SMALL, seed=5) -> AHDRNet:
    torch.manual_seed(seed)
    model = AHDRNet(config)
    save_weights(model, path)
    return model


def assert_same_tensors(module: torch.nn.Module, reference: dict[str, torch.Tensor], prefix: str):
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, reference[prefix + name]), name


def test_file_round_trip_keeps_tensors_and_config(tmp_path):
    path = tmp_path / "w.safetensors"
    model = saved_model(path)
    assert read_config(path) == SMALL
    resolved = resolve_weights(str(path))
    assert resolved.config == SMALL and not resolved.untrained
    loaded = AHDRNet(resolved.config)
    load_weights(loaded, resolved)
    assert_same_tensors(loaded, model.state_dict(), "")


def test_each_half_loads_its_slice_of_one_file(tmp_path):
    path = tmp_path / "w.safetensors"
    model = saved_model(path)
    encoder, merge = AttentionEncoder.from_config(SMALL), MergeNet.from_config(SMALL)
    load_weights(encoder, path, ATTENTION_PREFIX)
    load_weights(merge, path, MERGE_PREFIX)
    assert_same_tensors(encoder, model.state_dict(), ATTENTION_PREFIX)
    assert_same_tensors(merge, model.state_dict(), MERGE_PREFIX)


def test_loading_casts_to_the_module_dtype(tmp_path):
    path = tmp_path / "w.safetensors"
    model = saved_model(path)
    merge = MergeNet.from_config(SMALL).to(torch.bfloat16)
    load_weights(merge, path, MERGE_PREFIX)
    assert merge.to_rgb.weight.dtype == torch.bfloat16
    torch.testing.assert_close(
        merge.to_rgb.weight.float(), model.merge.to_rgb.weight, rtol=1e-2, atol=1e-2
    )


def test_shape_mismatch_names_the_first_mismatching_tensor(tmp_path):
    path = tmp_path / "w.safetensors"
    saved_model(path)
    wider = AHDRNet(AHDRNetConfig(features=16, n_blocks=2, n_layers=2, growth=4, dilation=1))
    with pytest.raises(UserError, match=r"w\.safetensors.*'attention\.encode\.weight'.*shape"):
        load_weights(wider, path)


def test_missing_and_unexpected_tensors_are_named(tmp_path):
    path = tmp_path / "w.safetensors"
    state = dict(saved_model(path).state_dict())
    deeper = AHDRNet(AHDRNetConfig(features=8, n_blocks=3, n_layers=2, growth=4, dilation=1))
    with pytest.raises(UserError, match=r"missing tensor 'merge\.blocks\.2\.layers\.0\.weight'"):
        load_weights(deeper, path)
    state["merge.extra.weight"] = torch.zeros(1)
    with pytest.raises(UserError, match=r"unexpected tensor 'merge\.extra\.weight'"):
        load_weights(MergeNet.from_config(SMALL), state, MERGE_PREFIX)
    # The other half does not care about tensors outside its slice.
    load_weights(AttentionEncoder.from_config(SMALL), state, ATTENTION_PREFIX)


def test_corrupt_or_absent_files_are_user_errors_naming_the_file(tmp_path):
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\xff" * 64)
    with pytest.raises(UserError, match="corrupt.safetensors"):
        load_weights(AHDRNet(SMALL), corrupt)
    with pytest.raises(UserError, match="absent.safetensors"):
        resolve_weights(str(tmp_path / "absent.safetensors"))


def test_a_pickle_checkpoint_is_refused_with_the_import_command(tmp_path):
    checkpoint = tmp_path / "model.pt"
    torch.save(AHDRNet(SMALL).state_dict(), checkpoint)
    with pytest.raises(UserError, match="model.pt.*ahdr weights import"):
        resolve_weights(str(checkpoint))


def test_file_without_config_metadata_is_the_paper_network(tmp_path):
    path = tmp_path / "bare.safetensors"
    save_file({"x": torch.zeros(1)}, str(path))
    assert read_config(path) == AHDRNetConfig()


def test_missing_builtin_says_so_and_how_to_pass_a_path(monkeypatch, tmp_path):
    monkeypatch.setattr(weights_module, "BUILTIN_PATH", tmp_path / "ahdrnet.safetensors")
    with pytest.raises(UserError, match="missing from this installation.*weights=PATH"):
        resolve_weights("builtin")


def test_builtin_resolves_to_the_shipped_file_when_present(monkeypatch, tmp_path):
    shipped = tmp_path / "ahdrnet.safetensors"
    saved_model(shipped)
    monkeypatch.setattr(weights_module, "BUILTIN_PATH", shipped)
    resolved = resolve_weights("builtin")
    assert resolved.tensors == shipped and resolved.config == SMALL and resolved.label == "builtin"


def test_random_weights_are_deterministic_labelled_and_leave_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = resolve_weights("random")
    assert torch.equal(torch.rand(3), expected_next)
    second = resolve_weights("random")
    assert first.untrained and "UNTRAINED" in first.label
    assert first.tensors.keys() == second.tensors.keys()
    assert all(torch.equal(first.tensors[k], second.tensors[k]) for k in first.tensors)
    assert sum(t.numel() for t in first.tensors.values()) == 1_441_283


def test_saving_is_atomic_and_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "w.safetensors"
    saved_model(path, seed=1)
    with pytest.raises(UserError, match="already exists"):
        save_weights(AHDRNet(SMALL), path)
    torch.manual_seed(2)
    replacement = AHDRNet(SMALL)
    save_weights(replacement, path, overwrite=True)
    assert torch.equal(load_file(str(path))["merge.to_rgb.bias"], replacement.merge.to_rgb.bias)
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_random_weights_fit_a_reduced_config():
    model = AHDRNet(SMALL)
    load_weights(model, random_weights(SMALL))
    assert_same_tensors(model, random_weights(SMALL).tensors, "")


def test_average_is_the_elementwise_mean_and_refuses_other_architectures(tmp_path, ahdr):
    first = saved_model(tmp_path / "a.safetensors", seed=1).state_dict()
    second = saved_model(tmp_path / "b.safetensors", seed=2).state_dict()
    state, config = average_weights(
        [str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")]
    )
    assert config == SMALL and state.keys() == first.keys()
    for name, tensor in state.items():
        assert torch.allclose(tensor, (first[name] + second[name]) / 2, atol=1e-7), name
    out = tmp_path / "mean.safetensors"
    result = ahdr("weights", "average", str(tmp_path / "a.safetensors"),
                  str(tmp_path / "b.safetensors"), "-o", str(out))  # fmt: skip
    assert result.code == 0, result.err
    written = load_file(str(out))
    assert all(torch.allclose(written[name], state[name]) for name in state)
    assert resolve_weights(str(out)).config == SMALL
    other = tmp_path / "other.safetensors"
    saved_model(other, config=AHDRNetConfig(features=8, n_blocks=1, n_layers=2, growth=4))
    refused = ahdr("weights", "average", str(tmp_path / "a.safetensors"), str(other),
                   "-o", str(tmp_path / "x.safetensors"))  # fmt: skip
    lines = refused.err.strip().splitlines()
    assert refused.code == 2 and len(lines) == 1 and str(other) in lines[0]
    assert not (tmp_path / "x.safetensors").exists()
    with pytest.raises(UserError, match="at least two"):
        average_weights([str(tmp_path / "a.safetensors")])


def test_validate_scores_weights_on_the_held_out_images_of_a_training_run(ahdr):
    """The shipped weights against untrained ones on the same brackets from the images
    `ahdr train --data bundled` holds out: the trained network is far ahead, and a file
    that is not there is named before any bracket is made."""
    result = ahdr("weights", "validate", "builtin", "random", "--data", "bundled",
                  "--examples", "2", "--crop", "48")  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    assert lines[0].startswith("2 brackets of 48 px from") and "reference frame alone" in lines[1]
    scores = {line.split("dB")[1].strip(): float(line.split()[0]) for line in lines[1:]}
    assert scores["builtin"] > scores["random"] + 10
    missing = ahdr("weights", "validate", "nope.safetensors", "--data", "bundled")
    lines = missing.err.strip().splitlines()
    assert missing.code == 2 and len(lines) == 1 and "nope.safetensors" in lines[0]
