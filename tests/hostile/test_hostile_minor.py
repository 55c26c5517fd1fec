"""Class 11: rendering escapes what a graph file says, impossible counts are refused,
doomed outputs fail before the work, and a scene's exposure file is never ignored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hostile_support import assert_refused, snapshot, write_frames

_DOT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def test_dot_output_escapes_ids_so_they_add_no_nodes_or_attributes(ahdr, tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "version: 1\nnodes:\n"
        "  - id: 'a\" -> x [label=\"pwn'\n    type: Tonemap\n"
        "  - id: b\n    type: Tonemap\n    inputs: {image: 'a\" -> x [label=\"pwn.image'}\n"
    )
    result = ahdr("show", str(path), "--format", "dot")
    assert result.code == 0, result.err
    body = [_DOT_STRING.sub("S", line).strip() for line in result.out.splitlines()[3:-1]]
    # with every quoted string replaced, only the two nodes and the one edge remain
    assert body == ["S [label=S];", "S [label=S];", "S -> S [label=S];"]
    assert '"a\\" -> x [label=\\"pwn"' in result.out


def test_mermaid_output_escapes_ids(ahdr, tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("version: 1\nnodes:\n  - id: 'a\"]-->b[\"x'\n    type: Tonemap\n")
    result = ahdr("show", str(path))
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == '    node0["a#34;#93;--#62;b#91;#34;x<br/><i>Tonemap</i>"]'


@pytest.mark.parametrize("args", [("--nodes", "-1"), ("--nodes", "0"), ("--chain-mb", "-5")])
def test_a_benchmark_refuses_impossible_sizes(ahdr, args: tuple[str, str]) -> None:
    result = ahdr("bench", "executor", *args)
    assert_refused(result.code, result.err, args[0])


def test_train_refuses_a_file_as_its_output_folder_before_training(ahdr, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("a file")
    before = snapshot(tmp_path)
    result = ahdr("train", "--data", "bundled", "--steps", "1", "--out", str(out), "--crop", "16")
    assert_refused(result.code, result.err, f"cannot create folder {out} ({out} is a file)")
    assert snapshot(tmp_path) == before


def test_an_exposure_file_that_is_a_folder_is_refused_not_ignored(ahdr, tmp_path: Path) -> None:
    scene = tmp_path / "scene"
    write_frames(scene, 32, 32)
    (scene / "exposure.txt").mkdir()
    before = snapshot(tmp_path)
    result = ahdr("merge", "--scene", str(scene), "-o", str(tmp_path / "o.exr"))
    assert_refused(result.code, result.err, f"{scene / 'exposure.txt'}: is not a file")
    assert snapshot(tmp_path) == before


def test_a_fresh_training_run_refuses_a_folder_holding_its_files(ahdr, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "curves.png").write_bytes(b"the user's plot")
    before = snapshot(tmp_path)
    result = ahdr("train", "--data", "bundled", "--steps", "1", "--out", str(out), "--crop", "16")
    assert_refused(result.code, result.err, f"{out / 'curves.png'}: already exists")
    assert snapshot(tmp_path) == before
