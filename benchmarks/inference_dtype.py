"""AHDRNet inference on the CPU: float32 against bfloat16, one forward each, same run.

Channels-last, builtin weights, random inputs of the given size; bfloat16 both as
converted weights and as autocast. Prints seconds, the ratio to float32 and the
largest output difference (the quality cost a bfloat16 default would have).

    .venv/bin/python benchmarks/inference_dtype.py [HEIGHT WIDTH]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import torch

from ahdr_nodes.hdr.model import AHDRNet, load_weights, resolve_weights


def timed(forward: Callable[[], torch.Tensor]) -> tuple[float, torch.Tensor]:
    forward()  # warm-up: oneDNN picks and caches its kernels
    start = time.perf_counter()
    output = forward()
    return time.perf_counter() - start, output.float()


def main() -> None:
    height, width = (int(v) for v in sys.argv[1:3]) if len(sys.argv) > 2 else (384, 512)
    weights = resolve_weights("builtin")
    model = AHDRNet(weights.config).eval().to(memory_format=torch.channels_last)
    load_weights(model, weights)
    inputs = torch.rand(1, 3, 6, height, width, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        base, reference = timed(lambda: model(inputs))
        rows = [("float32", base, 0.0)]
        half = AHDRNet(weights.config).eval().to(memory_format=torch.channels_last)
        load_weights(half, weights)
        half = half.to(torch.bfloat16)
        seconds, output = timed(lambda: half(inputs.to(torch.bfloat16)))
        rows.append(("bfloat16 weights", seconds, float((output - reference).abs().max())))

        def autocast() -> torch.Tensor:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(inputs)

        seconds, output = timed(autocast)
        rows.append(("bfloat16 autocast", seconds, float((output - reference).abs().max())))
    print(f"AHDRNet forward, {width}x{height}, {torch.get_num_threads()} threads")
    print("| dtype | seconds | time / float32 | max abs difference |")
    print("|---|---|---|---|")
    for name, seconds, difference in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} | {difference:.4f} |")


if __name__ == "__main__":
    main()
