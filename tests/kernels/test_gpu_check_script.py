"""scripts/gpu_check.sh: its CPU smoke run, every stage on tiny shapes under the
Triton interpreter, as CI can run it (the GPU call itself cannot run here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.sh"
STAGES = [
    "compile",
    "env",
    "correctness",
    "drdb",
    "model",
    "layers",
    "sweep",
    "inductor-drdb",
    "inductor-model",
    "pytest",
    "drdb-4k",
    "model-4k",
]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.mark.slow  # every stage in its own process: about 80 s
def test_cpu_smoke_runs_every_stage_and_writes_as_it_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out), PYTHON=sys.executable)
    done = subprocess.run(
        ["bash", str(SCRIPT), "--cpu-smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    names = {p.name for p in out.iterdir()}
    assert names == {"run.log", "stages.tsv", "results.jsonl", "tables.md", "pytest.log"}
    stages = [line.split("\t") for line in (out / "stages.tsv").read_text().splitlines()]
    assert [s[0] for s in stages] == STAGES and all(s[1] == "0" for s in stages)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    by_stage = {stage: [r for r in records if r["stage"] == stage] for stage in STAGES}
    assert all(by_stage[s] for s in STAGES if s != "pytest")
    assert all(r["passed"] for r in by_stage["correctness"])
    assert all(r["problems"] == [] for r in by_stage["compile"])
    assert by_stage["env"][0]["torch"] == torch.__version__
    eager = [r for r in by_stage["drdb"] if r["impl"] == "eager"]
    assert eager[0]["median_ms"] > 0 and eager[0]["max_error"] < 1e-5
    assert {r["skipped"] for r in by_stage["sweep"]} == {
        "TRITON_INTERPRET=1: the interpreter is not timed"
    }
    tables = (out / "tables.md").read_text()
    assert all(f"## {s}\n" in tables for s in STAGES if s != "pytest")
    assert "passed" in (out / "pytest.log").read_text()
    assert "exit status 0" in (out / "run.log").read_text()


def test_selected_stages_only_and_a_failing_stage_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out), PYTHON=sys.executable)
    # a broken report (its imports fail) must not stop the next stage
    bad = tmp_path / "python"
    bad.write_text(f'#!/bin/sh\n[ "$2" = env ] && exit 3\nexec {sys.executable} "$@"\n')
    bad.chmod(0o755)
    done = subprocess.run(
        ["bash", str(SCRIPT), "--cpu-smoke", "env", "sweep"],
        cwd=ROOT,
        env={**env, "PYTHON": str(bad)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    stages = [line.split("\t")[:2] for line in (out / "stages.tsv").read_text().splitlines()]
    assert stages == [["env", "3"], ["sweep", "0"]]
    assert "exit status 1" in (out / "run.log").read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_cuda_it_says_so(tmp_path: Path) -> None:
    env = dict(os.environ, OUT=str(tmp_path / "out"), PYTHON=sys.executable)
    done = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "sees no CUDA GPU" in done.stderr
