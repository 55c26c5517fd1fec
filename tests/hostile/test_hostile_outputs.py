"""Classes 2, 3 and 5: no file replaced without --overwrite, never an input, no
silent loss of a scene, no partial output when a later output is doomed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_support import assert_refused, snapshot, write_frames


def _manifest(folder: Path, names: list[str]) -> Path:
    frames = write_frames(folder / "frames", 32, 32)
    exposures = list(zip(frames, (-2, 0, 2), strict=True))
    rows = [f"{name},frames/{p.name},{ev}" for name in names for p, ev in exposures]
    path = folder / "m.csv"
    path.write_text("scene,frame,ev\n" + "\n".join(rows) + "\n")
    return path


def _batch(ahdr, source: Path, out: Path, *args: str):
    return ahdr("batch", "debevec", str(source), str(out), "--scheduler", "local", *args)


@pytest.mark.parametrize(
    ("report", "flags", "culprit"),
    [
        ("m.json", ("--overwrite",), "m.csv: is an input of this run"),
        ("frames/f0.png", (), "--report"),
        ("out/batch_report.json", (), "batch_report.json: already exists"),
    ],
)
def test_a_batch_report_never_replaces_a_file_or_an_input(
    ahdr, tmp_path: Path, report: str, flags: tuple[str, ...], culprit: str
) -> None:
    manifest = _manifest(tmp_path, ["a"])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "batch_report.json").write_text("[]\n")
    before = snapshot(tmp_path)
    result = _batch(ahdr, manifest, tmp_path / "out", "--report", str(tmp_path / report), *flags)
    assert_refused(result.code, result.err, culprit)
    assert snapshot(tmp_path) == before


def test_an_output_onto_an_input_frame_is_refused_even_with_overwrite(
    ahdr, tmp_path: Path, frames: list[Path]
) -> None:
    before = snapshot(tmp_path)
    result = ahdr(
        "merge", *map(str, frames), "--ev", "-2,0,2", "--graph", "debevec",
        "-o", str(tmp_path / "o.exr"), "--preview", str(frames[0]), "--overwrite",
    )  # fmt: skip
    assert_refused(result.code, result.err, f"{frames[0]}: is an input of this run")
    assert snapshot(tmp_path) == before


def test_loose_frames_whose_scene_names_collide_are_refused(ahdr, tmp_path: Path) -> None:
    for stem in ("a b", "a_b"):
        for index, path in enumerate(write_frames(tmp_path / "in", 32, 32)):
            path.rename(tmp_path / "in" / f"{stem}{index}.png")
    before = snapshot(tmp_path)
    result = _batch(ahdr, tmp_path / "in", tmp_path / "out", "--group-size", "3")
    assert_refused(result.code, result.err, "would both be named 'a_b0'")
    assert snapshot(tmp_path) == before


def test_stale_temporary_cleanup_only_removes_the_tools_own_files(ahdr, tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, ["a", ".a.exr.b"])
    out = tmp_path / "out"
    out.mkdir()
    mine = out / ".a.exr.notes"
    mine.write_text("the user's")
    result = _batch(ahdr, manifest, out)
    assert result.code == 0, result.err
    assert mine.read_text() == "the user's"
    assert {p.name for p in out.iterdir()} >= {"a.exr", "a.exr.b.exr", ".a.exr.notes"}


@pytest.mark.parametrize(
    ("preview", "culprit"),
    [
        ("p" * 246 + ".png", "File name too long"),
        ("blocker/p.png", "blocker is a file"),
    ],
)
def test_a_doomed_output_stops_the_run_before_any_file_is_written(
    ahdr, tmp_path: Path, frames: list[Path], preview: str, culprit: str
) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    before = snapshot(tmp_path)
    result = ahdr(
        "merge", *map(str, frames), "--ev", "-2,0,2", "--graph", "debevec",
        "-o", str(tmp_path / "o.exr"), "--preview", str(tmp_path / preview),
    )  # fmt: skip
    assert_refused(result.code, result.err, culprit)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_a_worker_count_below_one_is_refused(ahdr, tmp_path: Path, workers: str) -> None:
    manifest = _manifest(tmp_path, ["a"])
    before = snapshot(tmp_path)
    result = ahdr("batch", "debevec", str(manifest), str(tmp_path / "out"), "--workers", workers)
    assert result.code == 2
    assert "--workers" in result.err and "Traceback" not in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("setting", "culprit"),
    [
        ("save.path=out.txt", "param 'path': expected a path ending in .exr, .hdr"),
        ("preview.path=out.exr", "param 'path': expected a path ending in .png"),
        ("preview.path=out", "param 'path': expected a path ending in .png"),
    ],
)
def test_validate_refuses_what_run_refuses(
    ahdr, tmp_path: Path, frames: list[Path], setting: str, culprit: str
) -> None:
    """A node type's own validation step runs in ``ahdr validate`` as in ``ahdr run``."""
    frame_list = "frames=[" + ", ".join(str(p) for p in frames) + "]"
    for command in ("validate", "run"):
        outcome = ahdr(command, "debevec", "--set", frame_list, "--set", setting)
        assert_refused(outcome.code, outcome.err, culprit)
