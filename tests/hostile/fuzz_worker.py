"""Run a batch of fuzz cases through one reader, in a process with hard limits.

usage: fuzz_worker.py READER SEED START COUNT PROGRESS [--keep FOLDER]

Each case is written to a file and given to the reader. A UserError (or a graph's
validation error) is the expected refusal; any other exception is a failure and
is reported. A crash, a hang (a per-case limit on CPU time, SIGXCPU, and a wall
clock alarm, SIGALRM, both ending the process) or running out of the memory limit
ends the process: PROGRESS then holds the index of the case that did it. The last
line on stdout is a JSON summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

MEMORY_LIMIT = 3 << 30  # address space, bytes: far above any case under the pixel limit
CASE_CPU_SECONDS = 10  # CPU time, so that a loaded machine does not fail a slow case
CASE_WALL_SECONDS = 120  # for a case blocked without using CPU
FUZZ_MAX_PIXELS = "4000000"  # the limit the cases run under: a lying header hits it fast


def _readers() -> dict[str, Callable[[Path], object]]:
    from ahdr_nodes import UserError
    from ahdr_nodes.hdr.exposure import exif_exposures, resolve_exposures
    from ahdr_nodes.hdr.io import read_hdr, read_ldr
    from ahdr_nodes.hdr.scenes import capture_time, read_manifest

    def frame(path: Path) -> object:
        """A frame as a bracket uses it: its EXIF capture time and exposure, then pixels."""
        capture_time(path)
        with contextlib.suppress(UserError):  # no exposure tags: refused, yet decode it
            exif_exposures([path])
        return read_ldr(path)

    def exposures(path: Path) -> object:
        return resolve_exposures(["a.png", "b.png", "c.png"], exposure_file=path)

    def graph(path: Path) -> object:
        from ahdr_nodes import prepare

        return prepare(path)

    def weights(path: Path) -> object:
        from ahdr_nodes.hdr.model import AHDRNet, load_weights, resolve_weights

        resolved = resolve_weights(path)
        model = AHDRNet(resolved.config)
        load_weights(model, resolved)
        return model

    return {
        "png": frame,
        "jpeg": frame,
        "tiff": frame,
        "exr": read_hdr,
        "hdr": read_hdr,
        "exposure": exposures,
        "graph": graph,
        "manifest_csv": read_manifest,
        "manifest_yaml": read_manifest,
        "safetensors": weights,
    }


def case_bytes(reader: str, seed: int, index: int) -> bytes:
    """The exact bytes of one case: a pure function of its reader, seed and index."""
    from fuzz_corpus import FORMATS, mutate

    return mutate(FORMATS[reader], _seeds(reader), random.Random(f"{reader}:{seed}:{index}"))


_SEED_CACHE: dict[str, list[bytes]] = {}


def _seeds(reader: str) -> list[bytes]:
    from fuzz_corpus import FORMATS

    if reader not in _SEED_CACHE:
        _SEED_CACHE[reader] = FORMATS[reader].seeds()
    return _SEED_CACHE[reader]


def run(reader: str, seed: int, start: int, count: int, progress: Path, keep: Path | None) -> dict:
    from fuzz_corpus import FORMATS

    from ahdr_nodes import GraphValidationError, UserError

    read = _readers()[reader]
    suffix = FORMATS[reader].suffix
    summary = {"reader": reader, "cases": 0, "refused": 0, "accepted": 0, "failures": []}
    with tempfile.TemporaryDirectory() as folder, progress.open("w") as log:
        for index in range(start, start + count):
            log.write(f"{index}\n")
            log.flush()
            path = (keep or Path(folder)) / f"{reader}-{seed}-{index}{suffix}"
            path.write_bytes(case_bytes(reader, seed, index))
            _limit_case_time()
            try:
                read(path)
                summary["accepted"] += 1
            except (UserError, GraphValidationError):
                summary["refused"] += 1
            except Exception as error:
                detail = traceback.format_exception_only(type(error), error)[-1].strip()
                summary["failures"].append({"index": index, "error": detail[:300]})
            finally:
                signal.alarm(0)
            summary["cases"] += 1
            if keep is None:
                path.unlink()
    return summary


def _limit_case_time() -> None:
    """The next case may use CASE_CPU_SECONDS more of CPU time, CASE_WALL_SECONDS of wall time."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (spent + CASE_CPU_SECONDS, hard))
    signal.alarm(CASE_WALL_SECONDS)


def main(argv: list[str]) -> None:
    reader, seed, start, count, progress = argv[:5]
    keep = Path(argv[6]) if len(argv) > 6 and argv[5] == "--keep" else None
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    os.environ["AHDR_MAX_PIXELS"] = FUZZ_MAX_PIXELS
    summary = run(reader, int(seed), int(start), int(count), Path(progress), keep)
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
