"""The DRDB forward switch: eager reference, fused Triton kernels, and the automatic choice."""

from __future__ import annotations

import pytest
import torch

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import DRDB, MergeNet, drdb_forward


def block_and_input(channels: int = 32, n_layers: int = 2, dilation: int = 2, size: int = 9):
    torch.manual_seed(3)
    block = DRDB(channels, 32, n_layers, dilation)
    return block, torch.randn(1, channels, size, size + 2)


def test_auto_on_cpu_is_the_eager_path_bit_for_bit():
    block, x = block_and_input()
    assert torch.equal(drdb_forward(block, x, "auto"), drdb_forward(block, x, "eager"))


def test_eager_block_is_dense_growth_then_fusion_plus_residual():
    block, x = block_and_input(dilation=1)
    grown = x
    for conv in block.layers:
        grown = torch.cat((grown, torch.relu(conv(grown))), 1)
    assert grown.shape[1] == 32 + 2 * 32
    torch.testing.assert_close(drdb_forward(block, x), block.fuse(grown) + x)


def test_unknown_implementation_is_refused_naming_it():
    block, x = block_and_input()
    with pytest.raises(UserError, match="'fast'"):
        drdb_forward(block, x, "fast")
    with pytest.raises(ValueError, match="'fast'"):
        MergeNet(impl="fast")


def test_triton_refuses_blocks_the_kernels_do_not_cover():
    block, x = block_and_input(dilation=1)
    with pytest.raises(UserError, match="dilation 1"):
        drdb_forward(block, x, "triton")


def test_packed_weights_are_cached_until_weights_or_dtype_change():
    pytest.importorskip("ahdr_kernels.drdb")
    block, _ = block_and_input()
    packed = block.packed_for_triton(torch.float32)
    assert block.packed_for_triton(torch.float32) is packed
    assert block.packed_for_triton(torch.bfloat16) is not packed
    repacked = block.packed_for_triton(torch.float32)
    other = DRDB(32, 32, 2, 2)
    block.load_state_dict(other.state_dict())
    fresh = block.packed_for_triton(torch.float32)
    assert fresh is not repacked
    torch.testing.assert_close(fresh.fuse_bias, other.fuse.bias.detach())


def test_triton_path_matches_eager():
    pytest.importorskip("triton")
    pytest.importorskip("ahdr_kernels.drdb")
    block, x = block_and_input(size=6)
    with torch.inference_mode():
        fused = drdb_forward(block, x, "triton")
        eager = drdb_forward(block, x, "eager")
    torch.testing.assert_close(fused, eager, rtol=1e-4, atol=1e-4)
