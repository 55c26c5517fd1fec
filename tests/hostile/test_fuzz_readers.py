"""Fuzz every reader of files from users: images (PNG, JPEG, TIFF), EXR, Radiance .hdr,
YAML graphs, manifests (CSV, YAML), exposure files and safetensors weights.

Mutated files run in worker processes (fuzz_worker.py) under a memory limit and a
per-case alarm, many cases per process. A case passes when the reader returns or
refuses with the project's user error; any other exception, a crash, a hang or
running out of memory fails, naming the case so that it can be written again::

    python tests/hostile/fuzz_worker.py READER SEED INDEX 1 /tmp/progress --keep /tmp

CI runs a few hundred cases in all. ``AHDR_FUZZ_LONG=1`` runs thousands
(``AHDR_FUZZ_CASES`` sets the count per reader, ``AHDR_FUZZ_SEED`` the seed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fuzz_corpus import FORMATS

HERE = Path(__file__).resolve().parent
LONG = os.environ.get("AHDR_FUZZ_LONG") == "1"
CASES = int(os.environ.get("AHDR_FUZZ_CASES") or (2000 if LONG else 60))
SEED = int(os.environ.get("AHDR_FUZZ_SEED") or 13)
CHUNK = 500  # cases per worker process
PARALLEL = max(1, min(2, os.cpu_count() or 1))


def _run_chunk(reader: str, start: int, count: int, folder: Path) -> dict:
    """One worker process over cases start..start+count; its summary, or the case
    that ended it (crash, hang, memory)."""
    progress = folder / f"{reader}-{start}.progress"
    args = [sys.executable, str(HERE / "fuzz_worker.py"), reader, str(SEED), str(start)]
    done = subprocess.run(
        [*args, str(count), str(progress)],
        capture_output=True,
        text=True,
        timeout=60 + 25 * count,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"},
    )
    if done.returncode == 0:
        return json.loads(done.stdout.strip().splitlines()[-1])
    last = progress.read_text().split()[-1] if progress.exists() else "?"
    how = (
        f"killed by {signal.Signals(-done.returncode).name}"
        if done.returncode < 0
        else f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
    )
    return {"reader": reader, "cases": 0, "died": f"case {last} (seed {SEED}): {how}"}


@pytest.mark.parametrize("reader", sorted(FORMATS))
def test_a_reader_refuses_or_reads_every_fuzzed_file(reader: str, tmp_path: Path) -> None:
    chunks = [(start, min(CHUNK, CASES - start)) for start in range(0, CASES, CHUNK)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        summaries = list(pool.map(lambda c: _run_chunk(reader, *c, tmp_path), chunks))
    died = [s["died"] for s in summaries if "died" in s]
    failures = [f for s in summaries for f in s.get("failures", [])]
    assert not died, f"{reader}: {died}"
    assert not failures, f"{reader} (seed {SEED}): {failures[:5]}"
    cases = sum(s["cases"] for s in summaries)
    refused = sum(s["refused"] for s in summaries)
    assert cases == CASES
    print(f"fuzz {reader}: {cases} cases, {refused} refused, {cases - refused} read")
