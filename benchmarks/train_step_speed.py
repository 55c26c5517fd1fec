"""Time AHDRNet training steps on this machine: float32 against bf16 autocast, both
channels-last, in one run (the ratio is the figure to read, not the seconds).

    python benchmarks/train_step_speed.py 64 8     # crop, batch

Each setting runs four steps on random data; the fastest of the last three is printed.
"""

from __future__ import annotations

import sys
import time

import torch

from ahdr_nodes.hdr.model import AHDRNet
from ahdr_nodes.hdr.train.loop import mu_law_l1


def step_seconds(crop: int, batch: int, bf16: bool) -> float:
    model = AHDRNet().to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), 1e-4)
    inputs, target = torch.rand(batch, 3, 6, crop, crop), torch.rand(batch, 3, crop, crop)
    times = []
    for _ in range(4):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            prediction = model(inputs)
        loss = mu_law_l1(prediction.float(), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def main() -> None:
    crop, batch = int(sys.argv[1]), int(sys.argv[2])
    fp32 = step_seconds(crop, batch, bf16=False)
    print(f"float32 channels-last: {fp32:.2f} s/step", flush=True)
    bf16 = step_seconds(crop, batch, bf16=True)
    print(f"bf16 autocast channels-last: {bf16:.2f} s/step ({fp32 / bf16:.2f}x float32)")


if __name__ == "__main__":
    main()
