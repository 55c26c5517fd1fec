"""Every kernel variant the model launches compiles for Hopper (sm_90a) without a GPU,
with no register spills, shared memory within an H100 block's budget, and the loop
structure the design promises (one pipelined K loop per conv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ahdr_kernels.launch import SWEEP, TileConfig, last_layer_config, layer_config
from ahdr_kernels.offline import SHARED_BUDGET, Resources, block_variants

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # 18 compiles: about 30 s on 2 cores with a cold triton cache
def test_every_default_variant_compiles_for_sm90_without_spills() -> None:
    env = dict(os.environ, TRITON_INTERPRET="0", TRITON_DEFAULT_FP_FUSION="1")
    done = subprocess.run(
        [sys.executable, "-m", "ahdr_kernels.offline", "--jobs", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert len(records) == 3 * 6  # bf16, fp16, fp32 x five layer kernels and the last
    for record in records:
        assert record["problems"] == [], record
        assert record["local_bytes"] == record["stack_bytes"] == 0
        assert record["shared_bytes"] <= SHARED_BUDGET
        # layers: one K loop over taps x chunks; last: that loop and the 1x1's
        assert record["loops"] == (1 if record["kernel"] == "layer" else 2), record
        if record["dtype"] != "fp32":  # fp32 keeps IEEE products: no tensor cores
            assert record["wgmma"] >= 1 and record["dot_waits"] <= 2 * record["loops"]


def test_resources_name_spills_and_shared_memory_over_budget() -> None:
    fine = Resources(96, 0, 0, 60_000, 1, 2, 2, 1, 1.0)
    spilling = Resources(255, 0, 32, SHARED_BUDGET + 1, 1, 2, 2, 1, 1.0)
    assert fine.problems() == []
    assert spilling.problems() == [
        "local memory 0 B, stack 32 B",
        f"shared memory {SHARED_BUDGET + 1} B > {SHARED_BUDGET} B",
    ]


@pytest.mark.parametrize(
    ("config", "dtype", "block_h"),
    [
        (TileConfig(), torch.bfloat16, 8),  # 256 pixels, 8 warps: 32 a warp
        (TileConfig(), torch.float32, 2),  # fp32: 8 a warp
        (TileConfig(block_h=16, block_w=32, num_warps=8), torch.bfloat16, 8),
        (TileConfig(block_h=8, block_w=16, num_warps=4), torch.float16, 8),
        (TileConfig(block_h=8, block_w=16, num_warps=4), torch.float32, 2),
    ],
)
def test_last_layer_tile_fits_its_two_accumulators(
    config: TileConfig, dtype: torch.dtype, block_h: int
) -> None:
    last = last_layer_config(config, dtype)
    assert last.block_h == block_h
    assert (last.block_w, last.num_warps) == (config.block_w, config.num_warps)
    assert last.block_k == layer_config(config, dtype).block_k


def test_fp32_layers_take_32_channel_chunks() -> None:
    assert layer_config(TileConfig(), torch.float32) == TileConfig(block_k=32)
    assert layer_config(TileConfig(), torch.bfloat16) == TileConfig()


def test_a_block_launches_five_layer_kernels_and_the_last() -> None:
    variants = block_variants("bf16", SWEEP[0])
    assert [v.c_in for v in variants] == [64, 96, 128, 160, 192, 224]
    assert [v.kernel for v in variants] == ["layer"] * 5 + ["last"]
    assert variants[0].config == SWEEP[0]
    assert variants[-1].config == last_layer_config(SWEEP[0], torch.bfloat16)
