"""The network's inputs, built in one place."""

import numpy as np
import torch

from ahdr_nodes.hdr.model.inputs import network_inputs
from ahdr_nodes.hdr.ops.linearise import gamma_linearise


def test_network_inputs_are_ldr_then_linear_channels():
    rng = np.random.default_rng(4)
    ldr = [rng.random((5, 6, 3), dtype=np.float32) for _ in range(3)]
    linear = [gamma_linearise(f, t) for f, t in zip(ldr, (1, 4, 16), strict=True)]
    tensor = network_inputs(ldr, linear)
    assert tensor.shape == (3, 6, 5, 6) and tensor.dtype == torch.float32
    np.testing.assert_array_equal(tensor[1, :3].numpy(), ldr[1].transpose(2, 0, 1))
    np.testing.assert_array_equal(tensor[2, 3:].numpy(), linear[2].transpose(2, 0, 1))
