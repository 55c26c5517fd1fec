#!/usr/bin/env python3
"""How well the bracket's own response fit (``Linearise``'s default) recovers the camera.

Why: a merge is only as right as its linearisation, and `ahdr eval` mixes the fit's
error with alignment and merging. Synthetic scene folders (`ahdr data synth`) record the
tone curve that encoded them, so the fitted curve can be measured against the true one.
For each scene this fits the response exactly as the graphs do and prints, per curve
family: the mean absolute error of the fitted inverse curve over codes 0.1-0.95, in
stops, and PSNR-mu of a plain Debevec merge (no alignment) with the fitted curve and
with the true curve, which bounds what a better fit could give.

Usage (from the repository root):

    .venv/bin/python scripts/fit_accuracy.py /tmp/ev/tune /tmp/ev/tune3

The tuning brackets of docs/results.md: `ahdr data synth ../shared/data/hdri /tmp/ev/tune
--scenes 32 --seed 11 --size 256x256 --split train` and `... /tmp/ev/tune3 --scenes 48
--seed 13 ...`; held-out folders work too, but choose settings on tuning brackets.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ahdr_nodes.hdr.data.camera import ToneCurve
from ahdr_nodes.hdr.data.kalantari import read_scene
from ahdr_nodes.hdr.metrics import psnr_mu
from ahdr_nodes.hdr.ops.classical import debevec_merge
from ahdr_nodes.hdr.ops.linearise import fit_response, gamma_response
from ahdr_nodes.hdr.scene_folder import SYNTHETIC_FILE

# the codes a merge mostly reads: above the noise floor, below the clipped top
MEASURED_CODES = slice(26, 243)


def measure(folder: Path) -> tuple[str, float, float, float]:
    """(curve family, fit error in stops, Debevec PSNR-mu with the fit, with the truth)."""
    scene = read_scene(folder)
    curve = ToneCurve.from_description(scene.metadata["tone_curve"])
    frames, times, truth = (
        list(scene.bracket.frames),
        np.asarray(scene.bracket.times),
        scene.ground_truth,
    )
    fitted = fit_response(frames, times).table
    fitted = gamma_response() if fitted is None else fitted
    true_table = curve.inverse_table()
    error = np.abs(np.log2(fitted[MEASURED_CODES, 1] / true_table[MEASURED_CODES, 1]))
    return (
        curve.kind,
        float(error.mean()),
        psnr_mu(debevec_merge(frames, times, fitted), truth),
        psnr_mu(debevec_merge(frames, times, true_table), truth),
    )


def main(roots: list[str]) -> int:
    missing = [root for root in roots if not Path(root).is_dir()]
    if missing:
        print(f"fit_accuracy: {missing[0]}: no such folder", file=sys.stderr)
        return 2
    folders = [
        folder
        for root in roots
        for folder in sorted(Path(root).iterdir())
        if (folder / SYNTHETIC_FILE).is_file()
    ]
    if not folders:
        print(f"fit_accuracy: no synthetic scene folders under {' '.join(roots)}", file=sys.stderr)
        return 2
    by_family: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    with threadpool_limits(1):
        for folder in folders:
            kind, *numbers = measure(folder)
            by_family[kind].append(tuple(numbers))
            by_family["all"].append(tuple(numbers))
    header = ("curves", "scenes", "fit error (stops)", "Debevec, fitted", "Debevec, true")
    print(f"{header[0]:8} {header[1]:>6} {header[2]:>18} {header[3]:>16} {header[4]:>14}")
    for family in ["all", *sorted(set(by_family) - {"all"})]:
        rows = np.array(by_family[family])
        error, fitted, true = rows.mean(axis=0)
        print(f"{family:8} {len(rows):>6} {error:>18.3f} {fitted:>16.2f} {true:>14.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) > 1 else 2)
    sys.exit(main(sys.argv[1:]))
