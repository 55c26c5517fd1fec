"""torch DDP under torchrun (gloo, 2 CPU processes) trains what one process trains.

Both runs use the same global batch; each DDP rank takes half of it, and the
averaged gradients equal the one-process gradients up to float rounding.
"""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

pytestmark = pytest.mark.slow  # two torchrun processes plus a reference run

ARGS = [
    "train", "--data", "bundled", "--steps", "3", "--batch", "4", "--crop", "16",
    "--lr", "1e-3", "--val-every", "3", "--val-examples", "1", "--val-crop", "16",
    "--device", "cpu", "--threads", "1",
]  # fmt: skip


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_two_gloo_processes_match_one_process(tmp_path):
    single, double = tmp_path / "single", tmp_path / "double"
    run([sys.executable, "-m", "ahdr_nodes", *ARGS, "--out", str(single)])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    run([*torchrun, "-m", "ahdr_nodes", *ARGS, "--out", str(double)])

    log = json.loads((double / "training.json").read_text())
    assert log["processes"] == 2 and log["examples_seen"] == 12
    expected = load_file(str(single / "ahdrnet.safetensors"))
    actual = load_file(str(double / "ahdrnet.safetensors"))
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=1e-4, atol=1e-5)
