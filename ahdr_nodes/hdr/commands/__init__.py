"""The HDR plugin's CLI commands, named by import path so ``ahdr --help`` loads none.

Each entry: command name -> (``module:attribute`` under this package, the first
sentence of the command's docstring). A test checks both against the command.
"""

from __future__ import annotations

from typing import Any

# What `ahdr merge` and `ahdr batch` run unless told otherwise: the graph that
# measures best on held-out brackets (docs/results.md).
DEFAULT_GRAPH = "ahdrnet_hybrid"

COMMANDS = {
    "batch": (
        "batch:batch",
        "Run GRAPH (default: the best measured) on every scene in INPUT_DIR, into OUTPUT_DIR.",
    ),
    "data": ("data:data", "Datasets: synthetic brackets with known ground truth."),
    "demo": (
        "demo:demo",
        "Merge a synthetic bracket with moving objects (made from a bundled CC0 HDR photo) "
        "with AHDRNet and the baselines; print PSNR against the ground truth.",
    ),
    "eval": (
        "evaluate:eval_command",
        "Run each GRAPH on each scene of DATA_DIR and print PSNR-mu, PSNR-L and SSIM-mu.",
    ),
    "merge": (
        "merge:merge",
        "Merge a bracket of FRAMES (any order) into one HDR image (or, with an "
        "exposure-fusion graph such as mertens, one display image).",
    ),
    "train": (
        "train:train_command",
        "Train AHDRNet: L1 on mu-law tonemapped output, Adam, checkpoints in OUT.",
    ),
    "weights": (
        "weights:weights",
        "Convert and inspect AHDRNet weights (safetensors only at load time).",
    ),
}

BENCH_COMMANDS = {
    "drdb": (
        "bench:bench_drdb",
        "One dilated residual dense block: fused Triton vs eager vs torch.compile.",
    ),
    "model": (
        "bench:bench_model",
        "The full AHDRNet forward (random weights) per DRDB implementation.",
    ),
    "pipeline": (
        "bench:bench_pipeline",
        "The node graph (Attention -> Merge) vs a bare AHDRNet forward, CPU float32.",
    ),
    "synth": (
        "bench:bench_synth",
        "Training examples per second from the bracket synthesiser (tensors included).",
    ),
}


def add_commands(cli: Any) -> None:
    """Add the top-level commands, and the HDR benchmarks to ``ahdr bench``."""
    groups = ((cli, COMMANDS), (cli.get_command(None, "bench"), BENCH_COMMANDS))
    for group, commands in groups:
        for name, (target, short_help) in commands.items():
            group.add_lazy_command(name, f"{__name__}.{target}", short_help)
