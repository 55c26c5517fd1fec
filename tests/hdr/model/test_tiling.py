"""Tiled inference: exact stitching with a halo of the receptive radius, sizes from a budget."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.model import (
    AHDRNet,
    AHDRNetConfig,
    AttentionEncoder,
    MergeNet,
    tile_for_budget,
    tiled_forward,
)
from ahdr_nodes.hdr.nodes.network import Merge

SMALL = AHDRNetConfig(features=4, n_blocks=1, n_layers=2, growth=4)


def frames(height: int, width: int, seed: int = 2) -> torch.Tensor:
    return torch.rand(1, 3, 6, height, width, generator=torch.Generator().manual_seed(seed))


def seeded(module: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(9)
    for parameter in module.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    return module


@pytest.mark.slow
@torch.inference_mode()
def test_paper_network_tiled_equals_untiled():
    model = AHDRNet()
    x = frames(192, 128)
    calls = []
    tiled = tiled_forward(
        model, x, tile=96, halo=model.receptive_radius, progress=lambda *a: calls.append(a)
    )
    torch.testing.assert_close(tiled, model(x), rtol=0, atol=1e-5)
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.slow
@torch.inference_mode()
@given(
    height=st.integers(1, 48),
    width=st.integers(1, 48),
    tile=st.integers(4, 32),
    dilation=st.integers(1, 2),
)
@settings(max_examples=25, deadline=None)
def test_small_network_tiled_equals_untiled(height, width, tile, dilation):
    model = seeded(
        AHDRNet(AHDRNetConfig(features=4, n_blocks=1, n_layers=2, growth=4, dilation=dilation))
    )
    x = frames(height, width)
    tiled = tiled_forward(model, x, tile, model.receptive_radius)
    torch.testing.assert_close(tiled, model(x), rtol=0, atol=1e-5)


@torch.inference_mode()
def test_receptive_radius_is_tight():
    model = seeded(AHDRNet(SMALL))
    x = frames(64, 64)
    short = tiled_forward(model, x, 32, model.receptive_radius - 1)
    assert (short - model(x)).abs().max() > 1e-4


@torch.inference_mode()
def test_halves_tiled_with_their_own_radii_equal_untiled_halves():
    encoder = seeded(AttentionEncoder.from_config(SMALL))
    merge = seeded(MergeNet.from_config(SMALL))
    x = frames(50, 45)
    attended, reference, maps = tiled_forward(encoder, x, 16, SMALL.attention_radius)
    full_attended, full_reference, full_maps = encoder(x)
    torch.testing.assert_close(attended, full_attended, rtol=0, atol=1e-6)
    torch.testing.assert_close(reference, full_reference, rtol=0, atol=1e-6)
    for tiled_map, full_map in zip(maps, full_maps, strict=True):
        torch.testing.assert_close(tiled_map, full_map, rtol=0, atol=1e-6)
    merged = tiled_forward(merge, (attended, reference), 16, SMALL.merge_radius)
    torch.testing.assert_close(merged, merge(full_attended, full_reference), rtol=0, atol=1e-5)


def test_one_tile_covering_the_image_returns_the_function_output_itself():
    x = torch.rand(1, 2, 5, 7)
    result = object()
    calls = []
    assert tiled_forward(lambda t: result, x, 7, 3, lambda *a: calls.append(a)) is result
    assert calls == [(1, 1)]


def test_inputs_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="last two dimensions"):
        tiled_forward(torch.add, (torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 5)), 2, 0)


@given(
    height=st.integers(1, 5000),
    width=st.integers(1, 5000),
    budget=st.integers(2**24, 2**34),
    channels=st.integers(1, 2000),
    halo=st.integers(0, 60),
)
def test_budget_tile_fits_with_the_fewest_tiles(height, width, budget, channels, halo):
    bytes_per_pixel = 4 * channels
    try:
        tile = tile_for_budget(height, width, budget, channels, halo)
    except UserError:
        assert (max(halo, 8) + 2 * halo) ** 2 * bytes_per_pixel > budget
        return
    if tile == max(height, width):
        assert height * width * bytes_per_pixel <= budget
    else:
        assert (tile + 2 * halo) ** 2 * bytes_per_pixel <= budget
        largest = math.isqrt(budget // bytes_per_pixel) - 2 * halo
        assert (largest + 1 + 2 * halo) ** 2 * bytes_per_pixel > budget

        def count(side: int) -> int:
            return math.ceil(height / side) * math.ceil(width / side)

        assert count(tile) == count(largest)  # no more tiles than the largest core needs
        assert count(tile - 1) > count(tile)  # and no smaller core needs as few


def test_too_small_a_budget_says_how_much_is_needed():
    with pytest.raises(UserError, match="at least"):
        tile_for_budget(3000, 4000, 10**6, AHDRNetConfig().peak_channels)


def test_a_24_mp_bracket_fits_4_gib_at_the_default_budget():
    config = AHDRNetConfig()
    pixels, budget = 6000 * 4000, Merge("m").budget_bytes()
    tile = tile_for_budget(4000, 6000, budget, config.peak_channels, config.receptive_radius)
    assert tile >= 256
    # The graph holds the frames and their linear values (18 ch) and the output (3 ch)
    # whole, and one tile's activations: the network's inputs and features only per tile.
    held = pixels * 4 * (18 + 3)
    assert held + budget < 3.5 * 2**30
    assert pixels * 4 * config.peak_channels > 24 * 2**30  # untiled would not fit


# Peak resident memory of one forward above the resident memory before it: the
# kernel's high-water mark is reset first (Linux), so import-time peaks do not hide it.
MEASURE = """
import torch
from ahdr_nodes.hdr.model import AHDRNet, AHDRNetConfig

def status_bytes(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field))
    return int(line.split()[1]) * 1024

config = AHDRNetConfig(features=32, n_blocks=2, n_layers=3, growth=16)
model = AHDRNet(config)
with torch.inference_mode():
    model(torch.rand(1, 3, 6, 16, 16))
    x = torch.rand(1, 3, 6, {size}, {size})
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = status_bytes("VmRSS")
    model(x)
    print(status_bytes("VmHWM") - before, config.peak_channels * 4 * {size} ** 2)
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_peak_channel_estimate_bounds_the_measured_peak_memory():
    size = 512
    script = textwrap.dedent(MEASURE.format(size=size))
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    measured, estimated = map(int, output.split())
    assert 0.5 * estimated < measured <= estimated
