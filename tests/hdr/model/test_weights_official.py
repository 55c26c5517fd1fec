"""Importing a checkpoint of the official AHDRNet code gives the same function."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import AHDRNet, import_official, load_weights, read_config
from ahdr_nodes.hdr.model.config import AHDRNetConfig


class OfficialDenseLayer(nn.Module):
    def __init__(self, channels: int, growth: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, growth, 3, padding=2, dilation=2)

    def forward(self, x):
        return torch.cat((x, torch.relu(self.conv(x))), 1)


class OfficialDRDB(nn.Module):
    def __init__(self, channels: int = 64, n_layers: int = 6, growth: int = 32) -> None:
        super().__init__()
        self.dense_layers = nn.Sequential(
            *(OfficialDenseLayer(channels + k * growth, growth) for k in range(n_layers))
        )
        self.conv_1x1 = nn.Conv2d(channels + n_layers * growth, channels, 1)

    def forward(self, x):
        return self.conv_1x1(self.dense_layers(x)) + x


class OfficialAHDR(nn.Module):
    """The official model's layer names and forward, written out for the comparison."""

    def __init__(self, f: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(6, f, 3, padding=1)
        self.conv2 = nn.Conv2d(3 * f, f, 3, padding=1)
        self.att11 = nn.Conv2d(2 * f, 2 * f, 3, padding=1)
        self.att12 = nn.Conv2d(2 * f, f, 3, padding=1)
        self.attConv1 = nn.Conv2d(f, f, 3, padding=1)
        self.att31 = nn.Conv2d(2 * f, 2 * f, 3, padding=1)
        self.att32 = nn.Conv2d(2 * f, f, 3, padding=1)
        self.attConv3 = nn.Conv2d(f, f, 3, padding=1)
        self.RDB1, self.RDB2, self.RDB3 = OfficialDRDB(), OfficialDRDB(), OfficialDRDB()
        self.GFF_1x1 = nn.Conv2d(3 * f, f, 1)
        self.GFF_3x3 = nn.Conv2d(f, f, 3, padding=1)
        self.conv_up = nn.Conv2d(f, f, 3, padding=1)
        self.conv3 = nn.Conv2d(f, 3, 3, padding=1)
        self.relu = nn.LeakyReLU()

    def forward(self, x1, x2, x3):
        f1, f2, f3 = self.relu(self.conv1(x1)), self.relu(self.conv1(x2)), self.relu(self.conv1(x3))
        a1 = torch.sigmoid(self.att12(self.relu(self.att11(torch.cat((f1, f2), 1)))))
        a3 = torch.sigmoid(self.att32(self.relu(self.att31(torch.cat((f3, f2), 1)))))
        f0 = self.conv2(torch.cat((f1 * a1, f2, f3 * a3), 1))
        r1 = self.RDB1(f0)
        r2 = self.RDB2(r1)
        r3 = self.RDB3(r2)
        fused = self.GFF_3x3(self.GFF_1x1(torch.cat((r1, r2, r3), 1)))
        return torch.sigmoid(self.conv3(self.conv_up(fused + f2)))


def official_model() -> OfficialAHDR:
    torch.manual_seed(11)
    model = OfficialAHDR()
    with torch.no_grad():  # larger biases make every layer matter to the output
        for name, parameter in model.named_parameters():
            if name.endswith("bias"):
                parameter.uniform_(-0.2, 0.2)
    return model


def test_official_model_has_the_two_unused_layers():
    assert sum(p.numel() for p in official_model().parameters()) == 1_515_139


@pytest.mark.parametrize("wrap", ["plain", "dataparallel", "checkpoint_dict"])
def test_imported_official_checkpoint_computes_the_official_function(tmp_path, wrap):
    official = official_model()
    state = official.state_dict()
    if wrap == "dataparallel":
        state = {f"module.{k}": v for k, v in state.items()}
    if wrap == "checkpoint_dict":
        state = {"epoch": torch.tensor(3), "state_dict": state}
    checkpoint, converted = tmp_path / "official.pt", tmp_path / "ours.safetensors"
    torch.save(state, checkpoint)
    import_official(checkpoint, converted)
    assert read_config(converted) == AHDRNetConfig()
    ours = AHDRNet()
    load_weights(ours, converted)
    x = torch.rand(1, 3, 6, 20, 24, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        expected = official(*x.unbind(1))
        torch.testing.assert_close(ours(x), expected, rtol=1e-5, atol=1e-6)
    assert expected.std() > 1e-3


def test_a_wrong_shape_names_the_official_key(tmp_path):
    state = official_model().state_dict()
    state["GFF_3x3.weight"] = torch.zeros(64, 64, 1, 1)
    checkpoint = tmp_path / "official.pt"
    torch.save(state, checkpoint)
    with pytest.raises(UserError, match=r"official\.pt.*'GFF_3x3\.weight'.*shape"):
        import_official(checkpoint, tmp_path / "ours.safetensors")
    assert not (tmp_path / "ours.safetensors").exists()


def test_unknown_and_missing_official_keys_are_named(tmp_path):
    state = official_model().state_dict()
    checkpoint = tmp_path / "official.pt"
    torch.save({**state, "RDB4.conv_1x1.weight": torch.zeros(1)}, checkpoint)
    with pytest.raises(UserError, match="'RDB4.conv_1x1.weight'"):
        import_official(checkpoint, tmp_path / "ours.safetensors")
    del state["conv_up.bias"]
    torch.save(state, checkpoint)
    with pytest.raises(UserError, match="missing tensor for 'merge.refine.bias'"):
        import_official(checkpoint, tmp_path / "ours.safetensors")


class Payload:
    """An arbitrary object: unpickling it would run code of the pickle's choosing."""


@pytest.mark.parametrize("content", ["object", "garbage"])
def test_checkpoints_that_are_not_plain_state_dicts_are_refused(tmp_path, content):
    checkpoint = tmp_path / "evil.pt"
    if content == "object":
        torch.save({"conv1.weight": Payload()}, checkpoint)
    else:
        checkpoint.write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match=r"evil\.pt"):
        import_official(checkpoint, tmp_path / "ours.safetensors")
