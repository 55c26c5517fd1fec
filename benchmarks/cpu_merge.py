"""`ahdr merge` on the CPU against a bare AHDRNet forward: time and peak memory ratios.

Writes a hand-held-free 16-bit TIFF bracket (EV -2, 0, +2) of the bundled lobby
HDR image resized to each size, then runs, each in its own process so that
peak RSS is the whole process's: the bare model (fp32, channels-last, untiled,
random inputs of the same size; skipped where its activations would not fit
in memory) and `ahdr merge` with each graph. Prints one Markdown row per run
and the ratios, all measured in this one run.

    .venv/bin/python benchmarks/cpu_merge.py [--size 1500x1000] [--size 6000x4000]
        [--graph ahdrnet_flow] [--graph ahdrnet] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.io import read_hdr, write_ldr

# The bare forward holds every activation of the untiled network: about 4 kB a pixel
# in float32. Above this many pixels it would not fit in a laptop's memory.
BARE_MAX_PIXELS = 2_000_000
EV = (-2.0, 0.0, 2.0)


@dataclass
class Run:
    what: str
    size: str
    seconds: float
    peak_rss_mib: float


def bracket(folder: Path, width: int, height: int) -> list[Path]:
    """Three 16-bit TIFFs of the bundled lobby image, gamma 2.2, EV -2/0/+2."""
    source = next(p for p in bundled_hdri_files() if "lobby" in p.name)
    radiance = cv2.resize(read_hdr(source), (width, height), interpolation=cv2.INTER_LINEAR)
    radiance = radiance / np.percentile(radiance, 99)
    paths = []
    for index, ev in enumerate(EV):
        frame = np.clip(radiance * 2.0**ev, 0, 1) ** (1 / 2.2)
        path = folder / f"f{index}.tif"
        write_ldr(path, frame.astype(np.float32), 16)
        paths.append(path)
    return paths


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the child process alone, and its stdout."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = child.stdout.read() if child.stdout else b""
    stderr = child.stderr.read() if child.stderr else b""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="WxH (repeat); default 1500x1000")
    parser.add_argument("--graph", action="append", help="graph names (repeat)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    sizes = args.size or ["1500x1000"]
    graphs = args.graph or ["ahdrnet_flow", "ahdrnet"]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    binary = Path(sys.executable).with_name("ahdr")
    runs: list[Run] = []
    for size in sizes:
        width, height = (int(v) for v in size.lower().split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            frames = [str(p) for p in bracket(Path(tmp), width, height)]
            if width * height <= BARE_MAX_PIXELS:
                command = [sys.executable, "-m", "ahdr_nodes.hdr.bench_pipeline", "bare"]
                command += [str(height), str(width), "nhwc", "1e9"]
                _, rss, out = measured(command, env)
                runs.append(Run("bare forward", size, json.loads(out)["seconds"], rss))
            for graph in graphs:
                output = Path(tmp) / f"{graph}.exr"
                command = [str(binary), "merge", *frames, "--ev", ",".join(map(str, EV))]
                command += ["--graph", graph, "-o", str(output), "--preview", f"{output}.png"]
                seconds, rss, _ = measured(command, env)
                runs.append(Run(f"ahdr merge --graph {graph}", size, seconds, rss))
    print("| run | size | seconds | peak RSS MiB | time / bare |")
    print("|---|---|---|---|---|")
    for run in runs:
        bare = next((r for r in runs if r.size == run.size and r.what == "bare forward"), None)
        ratio = f"{run.seconds / bare.seconds:.2f}" if bare else "-"
        print(f"| {run.what} | {run.size} | {run.seconds:.1f} | {run.peak_rss_mib:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
