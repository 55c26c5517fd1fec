"""``ahdr data synth`` and ``ahdr eval`` through the CLI, on tiny synthetic scenes (48x64)."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ahdr_nodes import UserError
from ahdr_nodes.graphs import bundled_graph
from ahdr_nodes.hdr.commands.size import parse_size
from ahdr_nodes.hdr.data.kalantari import list_scenes, read_scene
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, split_train_validation
from ahdr_nodes.hdr.evaluate import Score, summarise
from ahdr_nodes.hdr.io import read_ldr
from ahdr_nodes.hdr.metrics import psnr_l, psnr_mu, ssim_mu
from ahdr_nodes.hdr.ops.linearise import linearise_bracket

SEED = 5


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_refused(result, culprit: str) -> None:
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and culprit in lines[0], result.err


def synth_args(out) -> list[str]:
    """`ahdr data synth` of the two small scenes every test here shares."""
    return [
        "data",
        "synth",
        "bundled",
        str(out),
        "--scenes",
        "2",
        "--seed",
        str(SEED),
        "--size",
        "64x48",
    ]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """Two scenes from the bundled panoramas, written once through the CLI (seed 5)."""
    from ahdr_nodes.cli.main import main

    out = tmp_path_factory.mktemp("synth") / "scenes"
    main(synth_args(out))  # an error exits, failing every test that uses the scenes
    return out


def test_synth_writes_readable_kalantari_scenes(scenes):
    folders = list_scenes(scenes)
    assert [f.name for f in folders] == ["001", "002"]
    for folder in folders:
        scene = read_scene(folder)
        assert len(scene.bracket.frames) == 3
        assert scene.bracket.frames[0].shape == scene.ground_truth.shape == (48, 64, 3)
        assert scene.dynamic is not None and scene.metadata["seed"] == SEED
        assert scene.metadata["source"] in {p.name for p in bundled_hdri_files()}


def test_synth_is_reproducible_and_reports_what_it_wrote(tmp_path, ahdr, scenes):
    result = ahdr(*synth_args(tmp_path / "again"))
    assert result.code == 0, result.err
    dynamic = sum(read_scene(f).dynamic for f in list_scenes(scenes))
    assert f"wrote 2 scenes ({2 - dynamic} static, {dynamic} dynamic)" in result.out
    assert snapshot(tmp_path / "again") == snapshot(scenes)


def test_synth_refuses_existing_scenes_unless_overwrite(tmp_path, ahdr, scenes):
    out = tmp_path / "scenes"
    shutil.copytree(scenes, out)
    args = ("data", "synth", "bundled", str(out), "--scenes", "1", "--seed", "9", "--size", "64x48")
    assert_refused(ahdr(*args), f"{out / '001'}: already exists")
    assert snapshot(out) == snapshot(scenes)
    assert ahdr(*args, "--overwrite").code == 0
    assert read_scene(out / "001").metadata["seed"] == 9


def test_synth_cuts_from_the_requested_split_only(tmp_path, ahdr):
    sources = tmp_path / "sources"
    sources.mkdir()
    for path in bundled_hdri_files():
        shutil.copy(path, sources / path.name)
    train, validation = split_train_validation(sorted(sources.iterdir()))
    result = ahdr(
        "data",
        "synth",
        str(sources),
        str(tmp_path / "held_out"),
        "--scenes",
        "3",
        "--seed",
        "2",
        "--size",
        "64x48",
        "--split",
        "validation",
    )
    assert result.code == 0, result.err
    drawn = {read_scene(f).metadata["source"] for f in list_scenes(tmp_path / "held_out")}
    assert drawn == {p.name for p in validation} and not drawn & {p.name for p in train}


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_synth_refuses_a_corrupt_source_exr_leaving_nothing(tmp_path, ahdr, damage):
    source = tmp_path / "broken.exr"
    data = bundled_hdri_files()[0].read_bytes()
    source.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"")
    out = tmp_path / "out"
    result = ahdr("data", "synth", str(source), str(out), "--scenes", "1", "--size", "64x48")
    assert_refused(result, f"{source}: not a readable EXR file")
    assert not out.exists() or list(out.iterdir()) == []


def test_synth_refuses_a_single_source_for_a_split(tmp_path, ahdr):
    source = bundled_hdri_files()[0]
    result = ahdr(
        "data",
        "synth",
        str(source),
        str(tmp_path / "out"),
        "--scenes",
        "1",
        "--split",
        "validation",
    )
    assert_refused(result, "leave nothing for the validation split")


@pytest.mark.parametrize("size", ["64by48", "64x", "x48", "-64x48"])
def test_synth_refuses_a_malformed_size(tmp_path, ahdr, size):
    result = ahdr(
        "data", "synth", "bundled", str(tmp_path / "out"), "--scenes", "1", "--size", size
    )
    assert_refused(result, f"--size {size!r}")


@given(st.integers(1, 10_000), st.integers(1, 10_000), st.sampled_from(["x", "X"]))
def test_parse_size_reads_width_then_height(width, height, sep):
    assert parse_size(f"{width}{sep}{height}") == (height, width)


@pytest.mark.parametrize(
    ("text", "minimum", "culprit"),
    [("big", 1, "expected WIDTHxHEIGHT"), ("0x4", 1, "'0x4'"), ("64x31", 32, "at least 32")],
)
def test_parse_size_refuses_what_is_not_a_size(text, minimum, culprit):
    with pytest.raises(UserError, match=culprit):
        parse_size(text, minimum)


def test_eval_scores_match_the_metrics_on_the_reference_frame(tmp_path, ahdr, scenes):
    before = snapshot(scenes)
    report = tmp_path / "eval.json"
    result = ahdr(
        "eval",
        str(scenes),
        "--graph",
        "debevec",
        "--graph",
        "reference-only",
        "--json",
        str(report),
    )
    assert result.code == 0, result.err
    assert snapshot(scenes) == before  # nothing written into the data
    data = json.loads(report.read_text())
    rows = {(row["graph"], row["scene"]): row for row in data["scenes"]}
    assert sorted(rows) == [(g, s) for g in ("debevec", "reference-only") for s in ("001", "002")]
    for folder in list_scenes(scenes):
        scene = read_scene(folder)
        ref = scene.bracket.reference
        # the graph's Linearise node with its default response
        expected = linearise_bracket(scene.bracket.frames, scene.bracket.times).linear[ref]
        row = rows[("reference-only", scene.name)]
        assert row["dynamic"] == scene.dynamic
        assert row["psnr_mu"] == pytest.approx(psnr_mu(expected, scene.ground_truth), abs=1e-4)
        assert row["psnr_l"] == pytest.approx(psnr_l(expected, scene.ground_truth), abs=1e-4)
        assert row["ssim_mu"] == pytest.approx(ssim_mu(expected, scene.ground_truth), abs=1e-5)
        assert f"{scene.name}  " in result.out and f"{row['psnr_mu']:.2f}" in result.out
    assert "Mean over scenes" in result.out


def test_eval_reports_static_and_dynamic_means(tmp_path, ahdr, scenes):
    report = tmp_path / "eval.json"
    assert ahdr("eval", str(scenes), "--graph", "debevec", "--json", str(report)).code == 0
    data = json.loads(report.read_text())
    flags = [row["dynamic"] for row in data["scenes"]]
    expected = ["all"] + ["static"] * (False in flags) + ["dynamic"] * (True in flags)
    assert [row["subset"] for row in data["summary"]][: len(expected)] == expected
    everything = data["summary"][0]
    assert everything["scenes"] == 2
    mean = sum(row["psnr_mu"] for row in data["scenes"]) / 2
    assert everything["psnr_mu"] == pytest.approx(mean)


def test_eval_reports_camera_subsets_and_writes_contact_sheets(tmp_path, ahdr, scenes):
    sheets = tmp_path / "sheets"
    result = ahdr(
        "eval",
        str(scenes),
        "--graph",
        "debevec",
        "--graph",
        "reference_only",
        "--sheets",
        str(sheets),
        "--json",
        str(tmp_path / "eval.json"),
    )
    assert result.code == 0, result.err
    data = json.loads((tmp_path / "eval.json").read_text())
    for row in data["scenes"]:
        scene = read_scene(scenes / row["scene"])
        gaps = scene.metadata["ev_gaps"]
        spacing = f"ev {gaps[0]:g}" if len(set(gaps)) == 1 else "ev uneven"
        assert f"curve {scene.metadata['curve']}" in row["subsets"] and spacing in row["subsets"]
    subsets = {row["subset"] for row in data["summary"]}
    assert {s for row in data["scenes"] for s in row["subsets"]} <= subsets
    written = sorted(p.name for p in sheets.iterdir())
    assert written == ["001.png", "002.png"]
    sheet, _ = read_ldr(sheets / "001.png")
    frame = read_scene(scenes / "001").bracket.frames[0]
    # three frames, two graphs and the ground truth side by side
    assert sheet.shape[1] == 6 * frame.shape[1]
    again = ahdr("eval", str(scenes), "--graph", "debevec", "--sheets", str(sheets))
    assert_refused(again, f"{sheets / '001.png'}: contact sheet exists")


def test_eval_limit_takes_the_first_scenes(ahdr, scenes):
    result = ahdr("eval", str(scenes), "--graph", "debevec", "--limit", "1")
    assert result.code == 0, result.err
    assert "001  " in result.out and "002  " not in result.out


def test_eval_finds_the_hdr_result_declared_directly(tmp_path, ahdr, scenes):
    """A graph whose `hdr` output is the merge itself, not a writer, is evaluated too."""
    graph = tmp_path / "bare.yaml"
    graph.write_text(
        "version: 1\n"
        "inputs: {frames: load.paths, exposure_file: load.exposure_file}\n"
        "outputs: {hdr: merge.hdr}\n"
        "nodes:\n"
        "  - {id: load, type: LoadBracket, params: {paths: [a.png, b.png]}}\n"
        "  - {id: linearise, type: Linearise, inputs: {bracket: load.bracket}}\n"
        "  - {id: merge, type: ReferenceOnly, inputs: {stack: linearise.stack}}\n"
    )
    ours = ahdr("eval", str(scenes), "--graph", str(graph))
    bundled = ahdr("eval", str(scenes), "--graph", "reference_only")
    assert ours.code == bundled.code == 0, ours.err + bundled.err
    scene_rows = slice(2, 4)  # after the title and the header
    assert [line.split()[3:6] for line in ours.out.splitlines()[scene_rows]] == [
        line.split()[3:6] for line in bundled.out.splitlines()[scene_rows]
    ]


def test_eval_refuses_a_graph_without_hdr_output(ahdr, scenes):
    result = ahdr("eval", str(scenes), "--graph", "mertens")
    assert_refused(result, f"{bundled_graph('mertens')}: declares no `hdr` output")


def test_eval_refuses_an_unknown_graph_name(ahdr, scenes):
    assert_refused(ahdr("eval", str(scenes), "--graph", "nosuch"), "'nosuch'")


def test_eval_refuses_a_corrupt_ground_truth(tmp_path, ahdr, scenes):
    data = tmp_path / "scenes"
    shutil.copytree(scenes, data)
    truth = data / "002" / "HDRImg.hdr"
    truth.write_bytes(truth.read_bytes()[:100])
    result = ahdr("eval", str(data), "--graph", "debevec")
    assert_refused(result, f"{truth}: not a readable Radiance .hdr file")


def test_eval_refuses_a_folder_without_scenes(tmp_path, ahdr):
    assert_refused(ahdr("eval", str(tmp_path), "--graph", "debevec"), f"{tmp_path}: no scene")


@given(st.lists(st.tuples(st.sampled_from([True, False]), st.floats(10, 60)), min_size=1))
def test_summary_subsets_partition_the_scenes(rows):
    scores = [
        Score("g", str(i), flag, value, value, 0.5, 0.1, ("dynamic" if flag else "static",))
        for i, (flag, value) in enumerate(rows)
    ]
    summaries = {s.subset: s for s in summarise(scores)}
    parts = [summaries[k] for k in ("static", "dynamic") if k in summaries]
    assert sum(p.scenes for p in parts) == summaries["all"].scenes == len(rows)
    total = math.fsum(p.psnr_mu * p.scenes for p in parts)
    assert total / len(rows) == pytest.approx(summaries["all"].psnr_mu)
    assert np.isclose(summaries["all"].psnr_l, np.mean([v for _, v in rows]))


def test_summary_of_scenes_without_motion_flags_has_only_all():
    scores = [Score("g", "a", None, 30.0, 40.0, 0.9, 0.1)]
    assert [s.subset for s in summarise(scores)] == ["all"]
