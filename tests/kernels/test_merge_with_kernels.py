"""The Merge network with its DRDBs on the fused kernels equals the eager network.

At fp32 the kernels use IEEE products; on a GPU eager cuDNN convs would use TF32 by
default (10-bit mantissas, errors near 1e-3), so the eager side runs with TF32 off
and the two agree to fp32 rounding.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.hdr.model import MergeNet

# a whole merging network under the Triton interpreter
pytestmark = pytest.mark.slow


@settings(max_examples=3, deadline=None)
@given(
    height=st.integers(min_value=1, max_value=13),
    width=st.integers(min_value=1, max_value=13),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_merge_net_triton_equals_eager(
    device: torch.device, height: int, width: int, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        eager = MergeNet(impl="eager").to(device)
    fused = MergeNet(impl="triton").to(device)
    fused.load_state_dict(eager.state_dict())
    attended = torch.randn(1, 192, height, width, generator=generator).to(device)
    reference = attended[:, 64:128]

    with torch.inference_mode(), torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        expected = eager(attended, reference)
        result = fused(attended, reference)

    torch.testing.assert_close(result, expected, rtol=1e-5, atol=1e-5)
