"""The fused DRDB kernels against a float64 eager reference.

Inputs are fresh random tensors for every example (seeded by Hypothesis, so a
failure replays); every destination is poisoned with NaN before the kernel runs so
an unwritten element cannot pass.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from ahdr_kernels.drdb import (
    PackedDRDB,
    drdb_forward_triton,
    drdb_reference,
    new_block_buffer,
    pack_drdb,
    random_drdb_weights,
)
from ahdr_kernels.drdb_fuse import drdb_fuse
from ahdr_kernels.drdb_layer import drdb_layer
from ahdr_kernels.launch import BORDER, TileConfig
from hypothesis import given, settings
from hypothesis import strategies as st

C0 = 64
C_TOTAL = 256
LAYERS = 6
# Relative tolerance: max |out - ref| / max |ref|.
TOLERANCE = {torch.float32: 1e-5, torch.float16: 1e-2, torch.bfloat16: 3e-2}

sizes = st.integers(min_value=1, max_value=21)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
dtypes = st.sampled_from([torch.float32, torch.float16, torch.bfloat16])


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out.double() - ref).abs().max() / ref.abs().max()).item()


def as_float64_reference(
    layers: list[tuple[torch.Tensor, torch.Tensor]],
    fuse_weight: torch.Tensor,
    fuse_bias: torch.Tensor,
    dtype: torch.dtype,
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor, torch.Tensor]:
    """The weights as the kernels see them (rounded to `dtype`), in float64."""
    layers64 = [(w.to(dtype).double(), b.double()) for w, b in layers]
    return layers64, fuse_weight.to(dtype).double(), fuse_bias.double()


def to_device(packed: PackedDRDB, device: torch.device) -> PackedDRDB:
    return PackedDRDB(
        layer_weights=tuple(w.to(device) for w in packed.layer_weights),
        layer_biases=tuple(b.to(device) for b in packed.layer_biases),
        fuse_weight=packed.fuse_weight.to(device),
        fuse_bias=packed.fuse_bias.to(device),
        dtype=packed.dtype,
    )


def poisoned_buffer(
    x: torch.Tensor, dtype: torch.dtype, device: torch.device, filled: int
) -> torch.Tensor:
    """Block buffer holding x in channels [0, filled), NaN past them, zero border."""
    batch, _, height, width = x.shape
    buf = torch.zeros(batch, height + 2 * BORDER, width + 2 * BORDER, C_TOTAL, dtype=dtype)
    interior = buf[:, BORDER:-BORDER, BORDER:-BORDER]
    interior[..., :filled] = x.permute(0, 2, 3, 1).to(dtype)
    interior[..., filled:] = float("nan")
    return buf.to(device)


@settings(max_examples=16, deadline=None)
@given(
    layer=st.integers(min_value=0, max_value=LAYERS - 1),
    height=sizes,
    width=sizes,
    dtype=dtypes,
    seed=seeds,
)
def test_one_layer_writes_exactly_its_slice(
    device: torch.device, layer: int, height: int, width: int, dtype: torch.dtype, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    layers, fuse_weight, fuse_bias = random_drdb_weights(generator)
    c_in = C0 + 32 * layer
    x = torch.randn(2, c_in, height, width, generator=generator)
    packed = pack_drdb(layers, fuse_weight, fuse_bias, dtype)
    buf = poisoned_buffer(x, dtype, device, filled=c_in)

    drdb_layer(
        buf,
        packed.layer_weights[layer].to(device),
        packed.layer_biases[layer].to(device),
        TileConfig(),
    )

    weight, bias = layers[layer]
    ref = F.relu(
        F.conv2d(
            x.to(dtype).double(), weight.to(dtype).double(), bias.double(), padding=2, dilation=2
        )
    )
    buf = buf.cpu()
    interior = buf[:, BORDER:-BORDER, BORDER:-BORDER]
    written = interior[..., c_in : c_in + 32].permute(0, 3, 1, 2)
    assert not written.isnan().any()
    assert relative_error(written, ref) <= TOLERANCE[dtype]
    assert torch.equal(interior[..., :c_in], x.permute(0, 2, 3, 1).to(dtype))
    assert interior[..., c_in + 32 :].isnan().all()
    border = torch.ones(buf.shape[:3], dtype=torch.bool)
    border[:, BORDER:-BORDER, BORDER:-BORDER] = False
    assert (buf[border] == 0).all()


@settings(max_examples=8, deadline=None)
@given(height=sizes, width=sizes, dtype=dtypes, seed=seeds)
def test_fusion_conv_adds_the_block_input(
    device: torch.device, height: int, width: int, dtype: torch.dtype, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    layers, fuse_weight, fuse_bias = random_drdb_weights(generator)
    features = torch.randn(1, C_TOTAL, height, width, generator=generator)
    packed = pack_drdb(layers, fuse_weight, fuse_bias, dtype)
    buf = poisoned_buffer(features, dtype, device, filled=C_TOTAL)
    out = torch.full((1, C0, height, width), float("nan"), dtype=dtype, device=device)

    drdb_fuse(buf, packed.fuse_weight.to(device), packed.fuse_bias.to(device), out, TileConfig())

    features64 = features.to(dtype).double()
    ref = F.conv2d(features64, fuse_weight.to(dtype).double(), fuse_bias.double())
    ref = ref + features64[:, :C0]
    assert not out.isnan().any()
    assert relative_error(out.cpu(), ref) <= TOLERANCE[dtype]


TILE_CONFIGS = [
    TileConfig(),
    TileConfig(block_h=4, block_w=8, num_warps=2),
    TileConfig(block_h=16, block_w=16, num_warps=8),
    TileConfig(block_h=2, block_w=16, num_warps=8, num_stages=2),
]


@pytest.mark.parametrize("config", TILE_CONFIGS, ids=repr)
@settings(max_examples=4, deadline=None)
@given(height=sizes, width=sizes, dtype=dtypes, seed=seeds, channels_last_out=st.booleans())
def test_whole_block_matches_float64_reference(
    device: torch.device,
    config: TileConfig,
    height: int,
    width: int,
    dtype: torch.dtype,
    seed: int,
    channels_last_out: bool,
) -> None:
    generator = torch.Generator().manual_seed(seed)
    layers, fuse_weight, fuse_bias = random_drdb_weights(generator)
    x = torch.randn(1, C0, height, width, generator=generator)
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, dtype), device)
    memory_format = torch.channels_last if channels_last_out else torch.contiguous_format
    out = torch.full((1, C0, height, width), float("nan"), dtype=dtype, device=device)
    out = out.contiguous(memory_format=memory_format)

    result = drdb_forward_triton(x.to(device), packed, out=out, config=config)

    ref = drdb_reference(
        x.to(dtype).double(), *as_float64_reference(layers, fuse_weight, fuse_bias, dtype)
    )
    assert result is out
    assert not out.isnan().any()
    assert relative_error(out.cpu(), ref) <= TOLERANCE[dtype]


def test_default_output_is_channels_last_in_the_packed_dtype(device: torch.device) -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(0))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float16), device)
    x = torch.randn(1, C0, 3, 5, device=device)

    out = drdb_forward_triton(x, packed)

    assert out.dtype == torch.float16
    assert out.shape == x.shape
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_block_buffer_has_zero_border_and_input_in_front(device: torch.device) -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(1))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float32), device)
    x = torch.rand(2, C0, 4, 6, device=device) + 1

    buf = new_block_buffer(x, packed)

    assert buf.shape == (2, 8, 10, C_TOTAL)
    assert torch.equal(buf[:, 2:-2, 2:-2, :C0], x.permute(0, 2, 3, 1))
    padded = F.pad(x, (2, 2, 2, 2)).permute(0, 2, 3, 1)
    assert torch.equal(buf[..., :C0], padded)
    assert (buf[:, :2] == 0).all() and (buf[:, :, -2:] == 0).all()


def test_pack_rejects_a_layer_of_the_wrong_width() -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(2))
    layers[3] = (layers[3][0][:, :100], layers[3][1])
    with pytest.raises(ValueError, match="layer 3"):
        pack_drdb(layers, fuse_weight, fuse_bias, torch.float32)


def test_forward_rejects_an_input_of_the_wrong_width(device: torch.device) -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(3))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float32), device)
    with pytest.raises(ValueError, match=r"\(N, 64, H, W\)"):
        drdb_forward_triton(torch.zeros(1, 32, 4, 4, device=device), packed)


def test_tile_config_rejects_a_tile_that_is_not_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="12x16"):
        TileConfig(block_h=12, block_w=16)
