"""Class 9: Ctrl-C during a batch stops scheduling, cancels the scenes in flight,
writes the report of what was done and exits 130 at once; --resume does the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_support import write_frames

# real batches in subprocesses, signalled and resumed
pytestmark = pytest.mark.slow

SCENES = 32  # enough that the batch is still running when the first result lands


def _scenes(folder: Path) -> Path:
    """SCENES scene folders of three 200x300 frames and an exposure file each."""
    for index in range(SCENES):
        scene = folder / f"s{index:02d}"
        write_frames(scene, 200, 300)
        (scene / "exposure.txt").write_text("-2\n0\n2\n")
    return folder


def _interruptible() -> None:
    """Undo an ignored SIGINT the child would inherit: pytest-xdist workers ignore it,
    and Python keeps an inherited SIG_IGN, as a shell's background job does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _outputs(out: Path) -> set[str]:
    return {p.name for p in out.glob("*.exr")}


@pytest.mark.parametrize("scheduler", ["processes", "local"])
def test_ctrl_c_stops_the_batch_and_reports_what_was_done(tmp_path: Path, scheduler: str) -> None:
    source, out = _scenes(tmp_path / "in"), tmp_path / "out"
    command = [sys.executable, "-m", "ahdr_nodes", "batch", "debevec_flow", str(source), str(out)]
    command += ["--scheduler", scheduler, "--workers", "2"]
    # its own process group, signalled as a whole: what a Ctrl-C in a terminal does
    batch = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_interruptible,
    )
    deadline = time.monotonic() + 120
    while not _outputs(out) and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGINT)
    signalled, written_then = time.monotonic(), _outputs(out)
    _, err = batch.communicate(timeout=60)
    took = time.monotonic() - signalled
    assert batch.returncode == 130, err
    assert took < 5, f"{took:.1f} s to stop"
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("aborted: ") and "--resume runs the rest" in line, err
    written = _outputs(out)
    assert len(written - written_then) <= 2  # at most a scene per worker that was finishing
    assert len(written) < SCENES
    report = json.loads((out / "batch_report.json").read_text())
    # done: every scene whose result came back; a scene cancelled in flight may
    # have written its first output, and --resume makes what it lacks
    assert {f"{row['name']}.exr" for row in report if row["status"] == "done"} <= written
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left

    local = [*command[:-4], "--scheduler", "local", "--resume"]
    resumed = subprocess.run(local, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(_outputs(out)) == SCENES
