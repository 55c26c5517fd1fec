"""BracketFiles discovery for `ahdr batch`: scene folders, loose frames, manifests, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.graph_file import apply_inputs, load_graph_file
from ahdr_nodes.hdr.io.exif import EXIF_IFD
from ahdr_nodes.hdr.scenes import (
    DATETIME_ORIGINAL_TAG,
    BracketFiles,
    capture_time,
    discover_scenes,
)

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
START = datetime(2024, 5, 1, 10, 0, 0)


def write_jpeg(path: Path, taken: datetime | None = None) -> Path:
    """A tiny real JPEG, with EXIF DateTimeOriginal when ``taken`` is given."""
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL_TAG] = taken.strftime("%Y:%m:%d %H:%M:%S")
    Image.fromarray(np.full((4, 6, 3), 128, np.uint8)).save(path, exif=exif)
    return path


def write_png(path: Path) -> Path:
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(path)
    return path


def test_scene_folders_become_scenes_with_their_exposure_files(tmp_path):
    for name in ("b_scene", "a_scene"):
        folder = tmp_path / name
        folder.mkdir()
        for frame in ("IMG_1.tif", "IMG_0.tif"):
            write_png(folder / frame.replace(".tif", ".png")).rename(folder / frame)
        (folder / "exposure.txt").write_text("0\n2\n")
        (folder / "HDRImg.hdr").write_bytes(b"not a frame")
    # a half-written scene folder (hidden staging name) and a frame-less folder are not scenes
    (tmp_path / ".c_scene.partial").mkdir()
    write_png(tmp_path / ".c_scene.partial" / "IMG_0.png")
    (tmp_path / "empty").mkdir()
    scenes = discover_scenes(tmp_path)
    assert [s.name for s in scenes] == ["a_scene", "b_scene"]
    assert [f.name for f in scenes[0].frames] == ["IMG_0.tif", "IMG_1.tif"]
    assert scenes[0].exposure_file == tmp_path / "a_scene" / "exposure.txt"
    assert scenes[0].ev is None and scenes[0].times is None


def test_pattern_selects_the_frames_of_each_folder(tmp_path):
    folder = tmp_path / "s1"
    folder.mkdir()
    for name in ("keep_0.png", "keep_1.png", "thumb_0.png"):
        write_png(folder / name)
    (scene,) = discover_scenes(tmp_path, pattern="keep_*")
    assert [f.name for f in scene.frames] == ["keep_0.png", "keep_1.png"]
    assert scene.exposure_file is None  # exposures then come from EXIF


def test_loose_frames_group_by_size_in_name_order(tmp_path):
    for index in range(6):
        write_png(tmp_path / f"DSC_{index:02d}.png")
    scenes = discover_scenes(tmp_path, group_size=3)
    assert [s.name for s in scenes] == ["DSC_00", "DSC_03"]
    assert [[f.name for f in s.frames] for s in scenes] == [
        ["DSC_00.png", "DSC_01.png", "DSC_02.png"],
        ["DSC_03.png", "DSC_04.png", "DSC_05.png"],
    ]


@pytest.mark.parametrize(
    ("group_size", "message"), [(1, "at least 2 frames"), (4, "do not split into brackets of 4")]
)
def test_group_sizes_that_do_not_fit_are_refused(tmp_path, group_size, message):
    for index in range(6):
        write_png(tmp_path / f"f{index}.png")
    with pytest.raises(UserError, match=message):
        discover_scenes(tmp_path, group_size=group_size)


@settings(max_examples=20, deadline=None)
@given(
    sizes=st.lists(st.integers(2, 4), min_size=1, max_size=4),
    within=st.lists(st.integers(0, 2), min_size=16, max_size=16),
    between=st.lists(st.integers(3, 600), min_size=4, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_loose_jpegs_group_by_exif_capture_time(tmp_path_factory, sizes, within, between, order):
    # shots of one bracket are at most 2 s apart; brackets are more than 2 s apart
    folder = tmp_path_factory.mktemp("loose")
    expected, taken, names = [], START, []
    for bracket, size in enumerate(sizes):
        group = []
        for shot in range(size):
            if shot:
                taken += timedelta(seconds=within[bracket * 4 + shot])
            group.append(f"b{bracket}_s{shot}.jpg")
            names.append((group[-1], taken))
        expected.append(group)
        taken += timedelta(seconds=between[bracket])
    order.shuffle(names)  # file names must not matter, only capture times
    for number, (name, when) in enumerate(names):
        write_jpeg(folder / name, when).rename(folder / f"{number:03d}_{name}")
    scenes = discover_scenes(folder)
    # frames shot in the same second may come in any order: a bracket is a set
    assert [sorted(f.name.split("_", 1)[1] for f in s.frames) for s in scenes] == expected


def test_capture_time_reads_exif_and_is_none_without_it(tmp_path):
    assert capture_time(write_jpeg(tmp_path / "a.jpg", START)) == START
    assert capture_time(write_jpeg(tmp_path / "b.jpg")) is None


def test_loose_frames_without_capture_times_need_a_group_size(tmp_path):
    write_jpeg(tmp_path / "a.jpg", START)
    write_jpeg(tmp_path / "b.jpg")
    with pytest.raises(UserError, match=r"b\.jpg: no EXIF capture time.*--group-size"):
        discover_scenes(tmp_path)


def test_csv_manifest_lists_frames_and_exposures_per_scene(tmp_path):
    (tmp_path / "m.csv").write_text(
        "scene,frame,ev\nhall,frames/h0.jpg,-2\nhall,frames/h1.jpg,0\nhall,frames/h2.jpg,2\n"
        "roof,r0.jpg,0\nroof,r1.jpg,3\n"
    )
    hall, roof = discover_scenes(tmp_path / "m.csv")
    assert hall.name == "hall" and hall.frames[0] == tmp_path / "frames" / "h0.jpg"
    assert hall.ev == [-2.0, 0.0, 2.0] and roof.ev == [0.0, 3.0]
    (tmp_path / "t.csv").write_text("scene,frame,time\ns,a.png,0.01\ns,b.png,0.04\n")
    (scene,) = discover_scenes(tmp_path / "t.csv")
    assert scene.times == [0.01, 0.04] and scene.ev is None


def test_yaml_manifest_takes_ev_times_or_an_exposure_file(tmp_path):
    manifest = {
        "scenes": [
            {"name": "by ev", "frames": ["a.png", "b.png"], "ev": [0, 2]},
            {"name": "by_time", "frames": ["/abs/c.png", "d.png"], "times": [0.5, 0.125]},
            {"frames": ["e.tif", "f.tif"], "exposure_file": "exp.txt"},
        ]
    }
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(manifest))
    by_ev, by_time, by_file = discover_scenes(tmp_path / "m.yaml")
    assert (by_ev.name, by_ev.ev, by_ev.frames[0]) == ("by_ev", [0.0, 2.0], tmp_path / "a.png")
    assert by_time.frames[0] == Path("/abs/c.png") and by_time.times == [0.5, 0.125]
    assert by_file.name == "scene003" and by_file.exposure_file == tmp_path / "exp.txt"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.csv", "scene,path\ns,a.png\n", "needs columns scene, frame"),
        ("m.csv", "scene,frame,ev\ns,a.png,0\ns,b.png,bright\n", "list of numbers"),
        ("m.csv", "scene,frame,ev\ns,a.png,0\n", "at least 2 files"),
        ("m.yaml", "scenes: {a: 1}\n", "needs a 'scenes' list"),
        ("m.yaml", "scenes: [{frames: a.png}]\n", r"scene 1: 'frames' must list"),
        ("m.yaml", "scenes: [{frames: [a.png, b.png], ev: [0]}]\n", "1 exposures for 2 frames"),
        ("m.yaml", "scenes: [{frames: [a.png, b.png], ev: '02'}]\n", "list of numbers"),
        ("m.yaml", "scenes: [a.png]\n", "scene 1: expected a mapping"),
        ("m.yaml", "scenes: [{frames: [a, b]\n", "cannot read manifest"),
        (
            "m.yaml",
            "scenes: [{name: x, frames: [a, b]}, {name: x, frames: [c, d]}]\n",
            "would both be named 'x'",
        ),
        ("m.txt", "a.png\n", "must be .csv or .yaml"),
    ],
)
def test_broken_manifests_are_refused_naming_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UserError, match=message) as error:
        discover_scenes(path)
    assert str(path) in str(error.value)


def test_missing_or_empty_inputs_are_refused(tmp_path):
    with pytest.raises(UserError, match=r"nothing: no such file or folder"):
        discover_scenes(tmp_path / "nothing")
    (tmp_path / "notes.txt").write_text("no frames here")
    with pytest.raises(UserError, match="no scene folders and no frames"):
        discover_scenes(tmp_path)


def test_scene_inputs_set_the_graph_inputs_exactly(tmp_path):
    odd = tmp_path / "a folder, with: [odd] chars"
    scene = BracketFiles("s", [odd / "a.png", odd / "b.png"], ev=[-1.5, 2.0])
    spec = load_graph_file(GRAPHS / "debevec.yaml")
    apply_inputs(spec, scene.inputs())
    params = spec.node("load").params
    assert params["paths"] == [str(odd / "a.png"), str(odd / "b.png")]
    assert params["ev"] == [-1.5, 2.0] and "times" not in params
    timed = BracketFiles("t", [odd / "a.png"], times=[0.25], exposure_file=odd / "exp.txt")
    apply_inputs(spec, timed.inputs())
    assert params["times"] == [0.25] and params["exposure_file"] == str(odd / "exp.txt")
