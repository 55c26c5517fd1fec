"""The DRDB module and the one choice of how a network runs its blocks."""

from __future__ import annotations

import pytest
import torch
from ahdr_kernels.support import triton_available

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import DRDB, MergeNet, resolve_impl
from ahdr_nodes.hdr.model.drdb import EAGER, FUSED, FUSED_ON_CUDA


def block_and_input(channels: int = 32, n_layers: int = 2, dilation: int = 2, size: int = 9):
    torch.manual_seed(3)
    block = DRDB(channels, 32, n_layers, dilation)
    return block, torch.randn(1, channels, size, size + 2)


def small_merge(impl: str, dilation: int = 2) -> MergeNet:
    return MergeNet(features=32, n_blocks=2, n_layers=2, dilation=dilation, impl=impl)


def test_auto_on_cpu_is_the_eager_path_bit_for_bit():
    torch.manual_seed(5)
    eager = small_merge("eager")
    auto = small_merge("auto")
    auto.load_state_dict(eager.state_dict())
    attended = torch.randn(1, 96, 7, 9)
    with torch.inference_mode():
        assert torch.equal(auto(attended, attended[:, 32:64]), eager(attended, attended[:, 32:64]))


def test_eager_block_is_dense_growth_then_fusion_plus_residual():
    block, x = block_and_input(dilation=1)
    grown = x
    for conv in block.layers:
        grown = torch.cat((grown, torch.relu(conv(grown))), 1)
    assert grown.shape[1] == 32 + 2 * 32
    torch.testing.assert_close(block(x), block.fuse(grown) + x)


def test_unknown_implementation_is_refused_naming_it():
    with pytest.raises(UserError, match="'fast'"):
        resolve_impl("fast", [])
    with pytest.raises(UserError, match="'fast'"):
        small_merge("fast")


def test_triton_refuses_blocks_the_kernels_do_not_cover():
    with pytest.raises(UserError, match="dilation 1"):
        small_merge("triton", dilation=1)


def test_auto_is_resolved_once_when_the_network_is_built():
    assert small_merge("eager").resolved_impl == EAGER
    assert small_merge("auto", dilation=1).resolved_impl == EAGER
    covered = FUSED_ON_CUDA if triton_available() else EAGER
    assert small_merge("auto").resolved_impl == covered
    if triton_available():
        assert small_merge("triton").resolved_impl == FUSED


def pack_load_pack(block: DRDB) -> tuple[object, object, DRDB]:
    """Packs the block, loads other weights into it, packs again: (before, after, other)."""
    before = block.packed_for_triton(torch.float32)
    other = DRDB(32, 32, 2, 2)
    block.load_state_dict(other.state_dict())
    return before, block.packed_for_triton(torch.float32), other


def test_packed_weights_are_cached_until_weights_or_dtype_change():
    block, _ = block_and_input()
    packed = block.packed_for_triton(torch.float32)
    assert block.packed_for_triton(torch.float32) is packed
    assert block.packed_for_triton(torch.bfloat16) is not packed
    repacked, fresh, other = pack_load_pack(block)
    assert fresh is not repacked
    torch.testing.assert_close(fresh.fuse_bias, other.fuse.bias.detach())


def test_blocks_made_under_inference_mode_pack_on_every_call():
    """Their parameters carry no version counter, so a cache could not see a load."""
    with torch.inference_mode():
        block, _ = block_and_input()
        packed, fresh, other = pack_load_pack(block)
    assert fresh is not packed
    torch.testing.assert_close(fresh.fuse_bias, other.fuse.bias.detach())
