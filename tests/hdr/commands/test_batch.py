"""`ahdr batch` end to end: processes and a real Dask LocalCluster, with a corrupt
scene and a killed worker; resume, overwrite and an interrupted run."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
import yaml

from ahdr_nodes.cli.main import main
from ahdr_nodes.hdr.commands import DEFAULT_GRAPH
from ahdr_nodes.hdr.data.kalantari import synthesise_dataset
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.io import read_hdr, read_ldr, write_ldr

ROOT = Path(__file__).resolve().parents[3]
DEBEVEC = ROOT / "graphs" / "debevec.yaml"
KILL_GRAPH = Path(__file__).resolve().parents[1] / "graphs" / "debevec_kill_worker.yaml"
SMALL = SynthConfig(size=(48, 64))
GOOD = ("001", "003", "004")
CORRUPT = "002"


def ahdr(*args: object) -> int:
    """Run the ``ahdr`` CLI in this process; return its exit status."""
    try:
        main([str(arg) for arg in args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def make_scenes(folder: Path, count: int) -> list[Path]:
    return synthesise_dataset(bundled_hdri_files(), folder, count, seed=5, config=SMALL)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    """Four tiny Kalantari scene folders; one frame of scene 002 is a truncated TIFF."""
    root = tmp_path_factory.mktemp("batch") / "scenes"
    make_scenes(root, 4)
    frame = root / CORRUPT / "IMG_0002.tif"
    frame.write_bytes(frame.read_bytes()[:3000])
    return root


@pytest.fixture(scope="module")
def single_runs(scenes, tmp_path_factory) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each good scene merged on its own by `ahdr run graphs/debevec.yaml`."""
    out = tmp_path_factory.mktemp("single")
    results = {}
    for name in GOOD:
        folder = scenes / name
        frames = sorted(str(p) for p in folder.glob("*.tif"))
        exr, png = out / f"{name}.exr", out / f"{name}.png"
        code = ahdr(
            "run", DEBEVEC, "--quiet",
            "--set", f"frames={json.dumps(frames)}",
            "--set", f"exposure_file={folder / 'exposure.txt'}",
            "--set", f"output={exr}",
            "--set", f"preview={png}",
        )  # fmt: skip
        assert code == 0
        results[name] = (read_hdr(exr), read_ldr(png)[0])
    return results


@pytest.fixture(scope="module")
def dask_address():
    """A real Dask cluster: scheduler plus 2 worker processes, each under a nanny."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def read_report(out: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    rows = json.loads((out / "batch_report.json").read_text())
    with (out / "batch_report.csv").open(newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    return {r["name"]: r for r in rows}, {r["name"]: r for r in csv_rows}


def assert_same_as_single_runs(out: Path, single_runs) -> None:
    for name, (hdr, preview) in single_runs.items():
        batch_hdr = read_hdr(out / f"{name}.exr")  # decodes: a valid EXR
        assert batch_hdr.shape == (*SMALL.size, 3) and np.isfinite(batch_hdr).all()
        np.testing.assert_array_equal(batch_hdr, hdr)
        np.testing.assert_array_equal(read_ldr(out / f"{name}_preview.png")[0], preview)


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_batch_survives_a_corrupt_scene_and_a_killed_worker(
    scheduler, scenes, single_runs, tmp_path, capsys, request
):
    out, marker = tmp_path / "out", tmp_path / "kill.marker"
    if scheduler == "dask":
        chosen = ["--scheduler", f"dask://{request.getfixturevalue('dask_address')}"]
    else:
        chosen = ["--scheduler", "processes", "--workers", "2"]
    code = ahdr("batch", KILL_GRAPH, scenes, out, *chosen, "--set", f"kill.marker={marker}")
    captured = capsys.readouterr()
    assert code == 2
    assert "3 done, 1 failed, 0 skipped of 4 scenes" in captured.out
    assert "error: 1 of 4 scenes failed" in captured.err

    # a worker really died: the one that claimed the kill is gone
    killed = int(marker.read_text())
    assert killed != os.getpid() and process_gone(killed)

    rows, csv_rows = read_report(out)
    truncated = str(scenes / CORRUPT / "IMG_0002.tif")
    assert rows[CORRUPT]["status"] == "failed" and truncated in rows[CORRUPT]["error"]
    assert csv_rows[CORRUPT]["status"] == "failed" and truncated in csv_rows[CORRUPT]["error"]
    for name in GOOD:
        assert rows[name]["status"] == csv_rows[name]["status"] == "done"
        assert rows[name]["outputs"] == [str(out / f"{name}.exr"), str(out / f"{name}_preview.png")]
        assert int(rows[name]["worker"].rsplit(":", 1)[1]) != killed
    # the scene whose worker died was dispatched again and finished elsewhere
    assert any(rows[name]["attempts"] >= 2 for name in GOOD)
    assert_same_as_single_runs(out, single_runs)
    assert not list(out.glob(f"{CORRUPT}*"))
    assert not list(out.glob(".*")), "a temporary file was left behind"


def test_a_killed_run_leaves_no_truncated_file_and_resume_completes_it(tmp_path):
    scenes, out, marker = tmp_path / "scenes", tmp_path / "out", tmp_path / "kill.marker"
    make_scenes(scenes, 3)
    command = ["batch", KILL_GRAPH, scenes, out, "--scheduler", "local"]
    # the local scheduler runs scenes in the batch process itself: the kill ends the run
    killed = subprocess.run(
        [str(Path(sys.executable).parent / "ahdr"), *map(str, command)]
        + ["--set", f"kill.marker={marker}"],
        capture_output=True,
    )
    assert killed.returncode == -9
    assert not (out / "batch_report.json").exists()
    # killed between the first scene's EXR and its preview: what is there is complete
    assert sorted(p.name for p in out.iterdir()) == ["001.exr"]
    read_hdr(out / "001.exr")
    first_exr = (out / "001.exr").stat().st_mtime_ns
    # what a writer killed mid-write leaves behind: a hidden partial temporary
    (out / ".002.exr.k1ll3d00.ahdr-tmp.exr").write_bytes(b"\x76\x2f\x31\x01 partial")

    code = ahdr(*command, "--resume", "--set", f"kill.marker={marker}")
    assert code == 0
    rows, _ = read_report(out)
    assert {row["status"] for row in rows.values()} <= {"done", "skipped"} and len(rows) == 3
    for name in ("001", "002", "003"):
        read_hdr(out / f"{name}.exr")
        read_ldr(out / f"{name}_preview.png")
    assert (out / "001.exr").stat().st_mtime_ns == first_exr  # only the missing preview was made
    assert not list(out.glob(".*")), "a temporary file was left behind"


def test_resume_skips_complete_scenes_and_only_makes_what_is_missing(tmp_path, capsys):
    scenes, out = tmp_path / "scenes", tmp_path / "out"
    make_scenes(scenes, 3)
    assert ahdr("batch", DEBEVEC, scenes, out, "--scheduler", "local") == 0
    outputs = sorted(p for p in out.iterdir() if p.name.startswith("00"))
    assert len(outputs) == 6
    stamps = {p.name: p.stat().st_mtime_ns for p in outputs}

    # an existing output stops a run without --resume/--overwrite, before any work
    capsys.readouterr()
    assert ahdr("batch", DEBEVEC, scenes, out, "--scheduler", "local") == 2
    assert "001.exr: already exists (6 outputs in all)" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in outputs} == stamps

    (out / "002.exr").unlink()
    assert ahdr("batch", DEBEVEC, scenes, out, "--scheduler", "local", "--resume") == 0
    assert "1 done, 0 failed, 2 skipped of 3 scenes" in capsys.readouterr().out
    rows, _ = read_report(out)
    assert [rows[n]["status"] for n in ("001", "002", "003")] == ["skipped", "done", "skipped"]
    read_hdr(out / "002.exr")
    # only the missing file was written: the scene's preview and other scenes are untouched
    assert {p.name: p.stat().st_mtime_ns for p in outputs if p.name != "002.exr"} == {
        name: stamp for name, stamp in stamps.items() if name != "002.exr"
    }

    (out / "003.exr").write_bytes(b"not an exr")
    assert ahdr("batch", DEBEVEC, scenes, out, "--scheduler", "local", "--resume") == 2
    rows, _ = read_report(out)
    assert rows["003"]["status"] == "failed"
    assert f"{out / '003.exr'}: exists but is not a valid image" in rows["003"]["error"]
    assert (out / "003.exr").read_bytes() == b"not an exr"

    assert ahdr("batch", DEBEVEC, scenes, out, "--scheduler", "local", "--overwrite") == 0
    assert "3 done, 0 failed, 0 skipped of 3 scenes" in capsys.readouterr().out
    read_hdr(out / "003.exr")
    assert not list(out.glob(".*"))


def test_manifest_scenes_run_with_their_listed_exposures(tmp_path):
    frames_dir, out = tmp_path / "frames", tmp_path / "out"
    rows = ["scene,frame,ev"]
    sources = load_sources(bundled_hdri_files())
    for index in range(2):
        example = synthesise_example(sources, example_rng(9, index), SMALL)
        for number, (frame, time) in enumerate(zip(example.frames, example.times, strict=True)):
            path = write_ldr(frames_dir / f"s{index}_{number}.png", frame, bits=16)
            rows.append(f"shot{index},{path.relative_to(tmp_path)},{np.log2(time):g}")
    (tmp_path / "shots.csv").write_text("\n".join(rows) + "\n")
    assert ahdr("batch", DEBEVEC, tmp_path / "shots.csv", out, "--scheduler", "local") == 0

    ev = [float(line.rsplit(",", 1)[1]) for line in rows[1:4]]
    frames = [str(tmp_path / line.split(",")[1]) for line in rows[1:4]]
    single = tmp_path / "single.exr"
    code = ahdr(
        "run", DEBEVEC, "--quiet",
        "--set", f"frames={json.dumps(frames)}",
        "--set", f"ev={json.dumps(ev)}",
        "--set", f"output={single}",
        "--set", f"preview={tmp_path / 'single.png'}",
    )  # fmt: skip
    assert code == 0
    np.testing.assert_array_equal(read_hdr(out / "shot0.exr"), read_hdr(single))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "threads"], "--scheduler 'threads': expected local, processes or dask"),
        (["--set", "nosuch.param=1"], "nosuch.param: no such graph input or node.param"),
    ],
)
def test_bad_options_fail_once_before_any_work(tmp_path, capsys, args, message):
    make_scenes(tmp_path / "scenes", 1)
    assert ahdr("batch", DEBEVEC, tmp_path / "scenes", tmp_path / "out", *args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_graph_without_batch_inputs_is_refused(tmp_path, capsys):
    spec = yaml.safe_load(DEBEVEC.read_text())
    del spec["inputs"]
    graph = tmp_path / "fixed.yaml"
    graph.write_text(yaml.safe_dump(spec))
    make_scenes(tmp_path / "scenes", 1)
    assert ahdr("batch", graph, tmp_path / "scenes", tmp_path / "out") == 2
    assert "must declare inputs frames, output" in capsys.readouterr().err


def test_without_a_graph_the_default_runs_and_says_so_in_the_header(tmp_path, capsys):
    make_scenes(tmp_path / "scenes", 1)
    out = tmp_path / "out"
    assert ahdr("batch", tmp_path / "scenes", out, "--scheduler", "local") == 0
    with OpenEXR.File(str(out / "001.exr"), header_only=True) as exr:
        assert dict(exr.header())["ahdr:graph"] == f"{DEFAULT_GRAPH}.yaml"
    assert ahdr("batch", tmp_path / "scenes") == 2
    assert "expected [GRAPH] INPUT_DIR OUTPUT_DIR, got 1" in capsys.readouterr().err
