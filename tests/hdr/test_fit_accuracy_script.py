"""scripts/fit_accuracy.py on real synthetic scene folders: the numbers it prints are the
fit's, and a folder without synthetic scenes is refused."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from ahdr_nodes.hdr.data.kalantari import synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.data.synth import SynthConfig

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fit_accuracy.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_it_measures_the_fit_per_curve_family(tmp_path: Path) -> None:
    config = dataclasses.replace(SynthConfig(size=(96, 128)), tone_curves=("gamma", "filmic"))
    synthesise_dataset(bundled_hdri_files(), tmp_path, 4, seed=3, config=config)
    done = run(str(tmp_path))
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:]}
    assert rows["all"][0] == "4"
    assert set(rows) - {"all"} <= {"gamma", "filmic"}
    error, fitted, true = (float(value) for value in rows["all"][1:])
    # a fit of a camera curve is off by a fraction of a stop, not by stops
    assert 0 <= error < 1
    assert 10 < fitted < 80 and 10 < true < 80


def test_a_folder_without_synthetic_scenes_is_refused(tmp_path: Path) -> None:
    done = run(str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == f"fit_accuracy: no synthetic scene folders under {tmp_path}"
    done = run(str(tmp_path / "absent"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"fit_accuracy: {tmp_path / 'absent'}: no such folder"
