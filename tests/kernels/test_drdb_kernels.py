"""The fused DRDB kernels against a float64 eager reference.

Inputs are fresh random tensors for every example (seeded by Hypothesis, so a
failure replays); every destination is poisoned with NaN before the kernel runs so
an unwritten element cannot pass. Under the interpreter the bf16 path is emulated:
only the tl.dot operands are upcast and bf16 rounding is done to nearest even, as
compiled code does (see docs/kernels.md).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import triton
import triton.language as tl
from ahdr_kernels.conv3x3 import rounded
from ahdr_kernels.drdb import (
    PackedDRDB,
    Workspace,
    drdb_forward_triton,
    drdb_series_triton,
    interior,
    pack_drdb,
)
from ahdr_kernels.drdb_last import drdb_last
from ahdr_kernels.drdb_layer import drdb_layer
from ahdr_kernels.launch import BORDER, TileConfig, dot_settings
from ahdr_kernels.reference import drdb_reference, random_drdb_weights
from hypothesis import given, settings
from hypothesis import strategies as st

# minutes under the Triton interpreter: the fast tier leaves them to `make test`
pytestmark = pytest.mark.slow

C0 = 64
LAYERS = 6
C_BUFFER = C0 + 32 * (LAYERS - 1)  # the last layer's channels are never stored
# Relative tolerance, max |out - ref| / max |ref| against float64. fp32: the design's
# 1e-5. bf16 and fp16: twice the largest error of eager PyTorch (CPU, same dtype) on
# whole blocks, measured 3.2e-3..4.4e-3 (bf16) and 4.0e-4..6.2e-4 (fp16) over seeds
# 0..3 at 13x9; the kernels measured 3.0e-3..3.5e-3 and 3.6e-4..4.6e-4 there.
TOLERANCE = {torch.float32: 1e-5, torch.float16: 1.2e-3, torch.bfloat16: 9e-3}

sizes = st.integers(min_value=1, max_value=13)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
dtypes = st.sampled_from([torch.float32, torch.float16, torch.bfloat16])


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out.double() - ref).abs().max() / ref.abs().max()).item()


def as_float64(layers, fuse_weight, fuse_bias, dtype):
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
    buf = torch.zeros(batch, height + 2 * BORDER, width + 2 * BORDER, C_BUFFER, dtype=dtype)
    interior(buf)[..., :filled] = x.permute(0, 2, 3, 1).to(dtype)
    interior(buf)[..., filled:] = float("nan")
    return buf.to(device)


@settings(max_examples=8, deadline=None)
@given(
    layer=st.integers(min_value=0, max_value=LAYERS - 2),
    height=sizes,
    width=sizes,
    dtype=dtypes,
    seed=seeds,
    block_k=st.sampled_from([32, 64]),
)
def test_one_layer_writes_exactly_its_slice(
    device: torch.device,
    layer: int,
    height: int,
    width: int,
    dtype: torch.dtype,
    seed: int,
    block_k: int,
) -> None:
    generator = torch.Generator().manual_seed(seed)
    layers, fuse_weight, fuse_bias = random_drdb_weights(generator)
    c_in = C0 + 32 * layer
    x = torch.randn(2, c_in, height, width, generator=generator)
    packed = pack_drdb(layers, fuse_weight, fuse_bias, dtype)
    buf = poisoned_buffer(x, dtype, device, filled=c_in)
    config = TileConfig(block_h=4, block_w=8, num_warps=4, block_k=block_k)

    drdb_layer(
        buf,
        packed.layer_weights[layer].to(device),
        packed.layer_biases[layer].to(device),
        config,
    )

    weight, bias = layers[layer]
    ref = F.relu(
        F.conv2d(
            x.to(dtype).double(), weight.to(dtype).double(), bias.double(), padding=2, dilation=2
        )
    )
    buf = buf.cpu()
    written = interior(buf)[..., c_in : c_in + 32].permute(0, 3, 1, 2)
    assert not written.isnan().any()
    assert relative_error(written, ref) <= TOLERANCE[dtype]
    assert torch.equal(interior(buf)[..., :c_in], x.permute(0, 2, 3, 1).to(dtype))
    assert interior(buf)[..., c_in + 32 :].isnan().all()
    border = torch.ones(buf.shape[:3], dtype=torch.bool)
    border[:, BORDER:-BORDER, BORDER:-BORDER] = False
    assert (buf[border] == 0).all()


@settings(max_examples=4, deadline=None)
@given(height=sizes, width=sizes, dtype=dtypes, seed=seeds)
def test_last_layer_folds_the_fusion_conv_and_residual_into_two_outputs(
    device: torch.device, height: int, width: int, dtype: torch.dtype, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    layers, fuse_weight, fuse_bias = random_drdb_weights(generator)
    features = torch.randn(1, C_BUFFER, height, width, generator=generator)
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, dtype), device)
    buf = poisoned_buffer(features, dtype, device, filled=C_BUFFER)
    before = buf.clone()
    out = torch.full((1, C0, height, width), float("nan"), dtype=dtype, device=device)
    out = out.contiguous(memory_format=torch.channels_last)
    wide = torch.full((1, 3 * C0, height, width), float("nan"), dtype=dtype, device=device)

    drdb_last(
        buf,
        packed.layer_weights[-1],
        packed.layer_biases[-1],
        packed.fuse_weight,
        packed.fuse_bias,
        (out, wide[:, C0 : 2 * C0]),
        TileConfig(block_h=2, block_w=8, num_warps=4),
    )

    (weight, bias), features64 = layers[-1], features.to(dtype).double()
    grown = F.relu(F.conv2d(features64, weight.to(dtype).double(), bias.double(), 1, 2, 2))
    grown = grown.to(dtype).double()  # stored in the block's dtype by the eager block
    stacked = torch.cat((features64, grown), 1)
    ref = F.conv2d(stacked, fuse_weight.to(dtype).double(), fuse_bias.double())
    ref = ref + features64[:, :C0]
    assert not out.isnan().any()
    assert relative_error(out.cpu(), ref) <= TOLERANCE[dtype]
    assert torch.equal(wide[:, C0 : 2 * C0], out)
    assert wide[:, :C0].isnan().all() and wide[:, 2 * C0 :].isnan().all()
    assert torch.equal(buf.nan_to_num(), before.nan_to_num())  # the buffer is only read


TILE_CONFIGS = [
    TileConfig(),
    TileConfig(block_h=4, block_w=8, num_warps=2, block_k=32),
    TileConfig(block_h=16, block_w=16, num_warps=8, num_stages=2),
    TileConfig(block_h=2, block_w=16, num_warps=4, num_stages=4),
]


@pytest.mark.parametrize("config", TILE_CONFIGS, ids=repr)
@settings(max_examples=3, deadline=None)
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

    ref = drdb_reference(x.to(dtype).double(), *as_float64(layers, fuse_weight, fuse_bias, dtype))
    assert result is out
    assert not out.isnan().any()
    assert relative_error(out.cpu(), ref) <= TOLERANCE[dtype]


@settings(max_examples=2, deadline=None)
@given(height=sizes, width=sizes, dtype=dtypes, seed=seeds)
def test_blocks_in_series_write_the_concatenation(
    device: torch.device, height: int, width: int, dtype: torch.dtype, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    weights = [random_drdb_weights(generator) for _ in range(3)]
    x = torch.randn(1, C0, height, width, generator=generator)
    packs = [to_device(pack_drdb(*w, dtype), device) for w in weights]
    workspace = Workspace()

    concat = drdb_series_triton(x.to(device), packs, workspace=workspace)
    again = drdb_series_triton(x.to(device), packs, workspace=workspace)

    outputs, features = [], x.to(dtype).double()
    for w in weights:
        # each block starts from the previous block's output as stored in `dtype`
        features = drdb_reference(features, *as_float64(*w, dtype)).to(dtype).double()
        outputs.append(features)
    assert concat.is_contiguous(memory_format=torch.channels_last)
    assert concat.shape == (1, 3 * C0, height, width) and concat.dtype == dtype
    for b, ref in enumerate(outputs):
        block = concat[:, b * C0 : (b + 1) * C0].cpu()
        assert relative_error(block, ref) <= (b + 1) * TOLERANCE[dtype]
    assert torch.equal(again, concat)


def test_workspace_keeps_buffers_with_a_zero_border(device: torch.device) -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(1))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float32), device)
    x = torch.rand(2, C0, 4, 6, device=device) + 1
    workspace = Workspace()

    (first,) = workspace.buffers(x, packed, 1)
    drdb_forward_triton(x, packed, workspace=workspace)
    pair = workspace.buffers(x, packed, 2)
    (other,) = workspace.buffers(x[:, :, :3], packed, 1)

    assert first.shape == (2, 8, 10, C_BUFFER)
    assert pair[0] is first and pair[1] is not first
    assert other.shape == (2, 7, 10, C_BUFFER)
    assert torch.equal(interior(first)[..., :C0], x.permute(0, 2, 3, 1))
    assert (first[:, :2] == 0).all() and (first[:, :, -2:] == 0).all()
    assert (first[:, -2:] == 0).all() and (first[:, :, :2] == 0).all()


@triton.jit
def _round_to_bf16(x_ptr, y_ptr, UPCAST: tl.constexpr):
    offsets = tl.arange(0, 1024)
    tl.store(y_ptr + offsets, rounded(tl.load(x_ptr + offsets), tl.bfloat16, UPCAST))


def test_bf16_rounding_is_to_nearest_even(device: torch.device) -> None:
    """The emulated bf16 path rounds like torch (and compiled code), not by truncation."""
    x = torch.randn(1024, generator=torch.Generator().manual_seed(4)).to(device)
    y = torch.empty(1024, dtype=torch.bfloat16, device=device)
    _round_to_bf16[(1,)](x, y, UPCAST=dot_settings(torch.bfloat16)[0])
    assert torch.equal(y, x.to(torch.bfloat16))


def test_default_output_is_channels_last_in_the_packed_dtype(device: torch.device) -> None:
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(0))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float16), device)
    x = torch.randn(1, C0, 3, 5, device=device)

    out = drdb_forward_triton(x, packed)

    assert out.dtype == torch.float16
    assert out.shape == x.shape
    assert out.is_contiguous(memory_format=torch.channels_last)


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


def test_tile_config_chunks_never_straddle_a_tap() -> None:
    assert [TileConfig(block_k=64).chunk(c) for c in (64, 96, 128, 224)] == [64, 32, 64, 32]
    with pytest.raises(ValueError, match="block_k 48"):
        TileConfig(block_k=48)


def test_workspace_reallocates_when_inference_mode_changes(device: torch.device) -> None:
    """Inference tensors cannot be written outside inference mode (MergeNet runs both)."""
    layers, fuse_weight, fuse_bias = random_drdb_weights(torch.Generator().manual_seed(5))
    packed = to_device(pack_drdb(layers, fuse_weight, fuse_bias, torch.float32), device)
    x = torch.rand(1, C0, 3, 4, device=device)
    workspace = Workspace()
    with torch.inference_mode():
        (inside,) = workspace.buffers(x, packed, 1)
    (outside,) = workspace.buffers(x, packed, 1)
    assert inside.is_inference() and not outside.is_inference()
    assert workspace.buffers(x, packed, 1)[0] is outside
