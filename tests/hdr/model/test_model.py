"""AHDRNet modules: exact architecture, ablation knobs, and the split into two halves."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import (
    ATTENTION_PREFIX,
    MERGE_PREFIX,
    AHDRNet,
    AHDRNetConfig,
    AttentionEncoder,
    MergeNet,
    load_weights,
    random_weights,
)

SMALL = AHDRNetConfig(features=8, n_blocks=2, n_layers=2, growth=4)


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_parameters(c_in: int, c_out: int, k: int = 3) -> int:
    return c_in * c_out * k * k + c_out


def frames(height: int = 32, width: int = 40, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, 6, height, width, generator=generator)


def test_paper_network_has_exactly_1441283_parameters():
    assert parameter_count(AHDRNet()) == 1_441_283


def test_paper_network_receptive_radius_is_43():
    assert AHDRNet().receptive_radius == 43


@given(
    attention=st.booleans(),
    dilation=st.integers(1, 3),
    n_blocks=st.integers(1, 4),
    n_layers=st.integers(1, 7),
    growth=st.sampled_from([8, 16, 32]),
)
@settings(max_examples=15, deadline=None)
def test_ablation_knobs_change_the_layers_as_the_paper_describes(
    attention, dilation, n_blocks, n_layers, growth
):
    config = AHDRNetConfig(
        attention=attention, dilation=dilation, n_blocks=n_blocks, n_layers=n_layers, growth=growth
    )
    f = 64
    attention_side = conv_parameters(6, f)
    if attention:
        attention_side += 2 * (conv_parameters(2 * f, 2 * f) + conv_parameters(2 * f, f))
    block = sum(conv_parameters(f + k * growth, growth) for k in range(n_layers))
    block += conv_parameters(f + n_layers * growth, f, 1)
    merge_side = conv_parameters(3 * f, f) + n_blocks * block + conv_parameters(n_blocks * f, f, 1)
    merge_side += 2 * conv_parameters(f, f) + conv_parameters(f, 3)
    model = AHDRNet(config)
    assert parameter_count(model.attention) == attention_side
    assert parameter_count(model.merge) == merge_side
    dilations = {conv.dilation for block in model.merge.blocks for conv in block.layers}
    assert dilations == {(dilation, dilation)}


def test_output_is_an_image_in_unit_range_of_the_input_size():
    torch.manual_seed(0)
    out = AHDRNet(SMALL)(frames(17, 23))
    assert out.shape == (1, 3, 17, 23)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_frames_as_a_list_equal_frames_as_one_tensor():
    torch.manual_seed(0)
    model = AHDRNet(SMALL)
    x = frames()
    assert torch.equal(model(x), model(list(x.unbind(1))))


@pytest.mark.parametrize(
    "bad",
    [
        torch.rand(1, 2, 6, 8, 8),
        [torch.rand(1, 6, 8, 8)] * 2,
        [torch.rand(1, 6, 8, 8), torch.rand(1, 6, 8, 9), torch.rand(1, 6, 8, 8)],
    ],
)
def test_anything_but_three_equal_frames_is_refused(bad):
    with pytest.raises(UserError, match="frames"):
        AttentionEncoder.from_config(SMALL)(bad)


def test_attention_outputs_reference_as_middle_third_and_maps_in_unit_range():
    torch.manual_seed(0)
    encoder = AttentionEncoder.from_config(SMALL)
    attended, reference, maps = encoder(frames())
    f = SMALL.features
    assert attended.shape == (1, 3 * f, 32, 40)
    assert reference.data_ptr() == attended[:, f : 2 * f].data_ptr()
    assert [m.shape for m in maps] == [(1, f, 32, 40)] * 2
    assert all(m.min() >= 0.0 and m.max() <= 1.0 for m in maps)
    assert encoder(frames(), return_maps=False)[2] == []


def test_attention_maps_weight_the_non_reference_features():
    torch.manual_seed(0)
    encoder = AttentionEncoder.from_config(SMALL)
    x = frames()
    attended, _, (a1, a3) = encoder(x)
    z = torch.nn.functional.leaky_relu(encoder.encode(x.flatten(0, 1)), 0.01)
    f = SMALL.features
    torch.testing.assert_close(attended[:, :f], z[0:1] * a1)
    torch.testing.assert_close(attended[:, 2 * f :], z[2:3] * a3)


def test_without_attention_features_pass_unweighted_and_no_maps():
    config = AHDRNetConfig(features=8, attention=False)
    encoder = AttentionEncoder.from_config(config)
    x = frames()
    attended, _, maps = encoder(x)
    z = torch.nn.functional.leaky_relu(encoder.encode(x.flatten(0, 1)), 0.01)
    assert maps == []
    torch.testing.assert_close(attended, z.reshape(1, 24, 32, 40))


def test_halves_loaded_from_one_file_equal_the_monolithic_model_bit_for_bit(tmp_path):
    weights = random_weights(SMALL)
    monolithic = AHDRNet(SMALL)
    load_weights(monolithic, weights)
    encoder = AttentionEncoder.from_config(SMALL)
    merge = MergeNet.from_config(SMALL)
    load_weights(encoder, weights, ATTENTION_PREFIX)
    load_weights(merge, weights, MERGE_PREFIX)
    x = frames()
    with torch.inference_mode():
        attended, reference, _ = encoder(x)
        assert torch.equal(merge(attended, reference), monolithic(x))


@pytest.mark.parametrize(
    "field, value",
    [("features", 0), ("dilation", -1), ("n_blocks", 1.5), ("growth", True), ("attention", 1)],
)
def test_bad_config_values_are_refused_naming_the_field(field, value):
    with pytest.raises(UserError, match=field):
        AHDRNetConfig(**{field: value})


@given(
    attention=st.booleans(),
    features=st.integers(1, 128),
    n_blocks=st.integers(1, 5),
    dilation=st.integers(1, 4),
)
def test_config_survives_its_json_form(attention, features, n_blocks, dilation):
    config = AHDRNetConfig(
        attention=attention, features=features, n_blocks=n_blocks, dilation=dilation
    )
    assert AHDRNetConfig.from_json(config.to_json(), "test") == config


@pytest.mark.parametrize("text", ["{", "[1]", '{"width": 3}'])
def test_bad_config_metadata_names_its_origin(text):
    with pytest.raises(UserError, match="model.safetensors"):
        AHDRNetConfig.from_json(text, "model.safetensors")
