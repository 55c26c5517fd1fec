"""Scene folders in the Kalantari layout: written, read back, and refused when broken."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.kalantari import (
    list_scenes,
    read_scene,
    synthesise_dataset,
    write_scene,
)
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import Example, SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.io.ldr_files import write_ldr

SMALL = SynthConfig(size=(40, 56))


@pytest.fixture(scope="module")
def example():
    return synthesise_example(load_sources(bundled_hdri_files()), example_rng(3, 0), SMALL)


def _assert_rgbe_close(read, written):
    """Radiance RGBE shares one exponent per pixel: 8 bits relative to its brightest channel."""
    step = written.max(axis=-1, keepdims=True) / 128
    assert np.all(np.abs(read - written) <= step + 1e-7)


def test_round_trip_of_a_synthetic_scene(tmp_path, example):
    folder = write_scene(tmp_path / "001", example, seed=3, index=0)
    assert sorted(p.name for p in folder.iterdir()) == [
        "HDRImg.hdr",
        "IMG_0001.tif",
        "IMG_0002.tif",
        "IMG_0003.tif",
        "exposure.txt",
        "synthetic.json",
    ]
    first, second = example.metadata["ev_gaps"]
    expected = ["0", f"{first:g}", f"{first + second:g}"]
    assert (folder / "exposure.txt").read_text().split() == expected
    scene = read_scene(folder)
    assert scene.name == "001" and scene.dynamic == example.dynamic
    assert scene.metadata["seed"] == 3 and scene.metadata["source"] == example.metadata["source"]
    np.testing.assert_allclose(scene.bracket.times, example.times)
    assert scene.bracket.reference == 1
    for read, written in zip(scene.bracket.frames, example.frames, strict=True):
        np.testing.assert_allclose(read, written, atol=0.5 / 65535 + 1e-7)
    _assert_rgbe_close(scene.ground_truth, example.ground_truth)
    assert not list(tmp_path.glob(".*")), "a staging folder was left behind"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(2, 5),
    step=st.sampled_from([1.0, 2.0, 3.0, 1.5]),
    dynamic=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_any_bracket_survives_the_round_trip(tmp_path_factory, count, step, dynamic, seed):
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 65536, (count, 5, 7, 3))
    written = Example(
        frames=list((levels / 65535).astype(np.float32)),
        times=2.0 ** (step * np.arange(count)),
        reference=count // 2,
        ground_truth=rng.random((5, 7, 3)).astype(np.float32),
        dynamic=dynamic,
    )
    scene = read_scene(write_scene(tmp_path_factory.mktemp("scene") / "s", written))
    assert scene.dynamic == dynamic and scene.bracket.reference == count // 2
    np.testing.assert_allclose(scene.bracket.times, written.times)
    for read, frame in zip(scene.bracket.frames, written.frames, strict=True):
        np.testing.assert_array_equal(np.rint(read * 65535), np.rint(frame * 65535))
    _assert_rgbe_close(scene.ground_truth, written.ground_truth)


def test_frames_are_sorted_by_exposure_not_by_name(tmp_path):
    # the i-th line of exposure.txt belongs to the i-th .tif in name order
    frames = [np.full((4, 6, 3), value, np.float32) for value in (0.9, 0.1, 0.5)]
    for name, frame in zip(["a.tif", "b.tif", "c.tif"], frames, strict=True):
        write_ldr(tmp_path / name, frame, bits=16)
    (tmp_path / "._a.tif").write_bytes(b"resource fork of a copied file")
    (tmp_path / "exposure.txt").write_text("3.0\n-3.0\n\n0.0\n")
    scene = read_scene(tmp_path)
    np.testing.assert_allclose(scene.bracket.times, [1.0, 8.0, 64.0])
    assert [round(float(f.mean()), 3) for f in scene.bracket.frames] == [0.1, 0.5, 0.9]
    assert [s.rsplit("/", 1)[-1] for s in scene.bracket.sources] == ["b.tif", "c.tif", "a.tif"]
    assert scene.ground_truth is None and scene.dynamic is None


def test_synthesise_dataset_writes_the_seeded_series(tmp_path):
    calls = []
    src = bundled_hdri_files()
    config = dataclasses.replace(SMALL, size=(24, 24))
    folders = synthesise_dataset(
        src, tmp_path / "out", 3, seed=8, progress=lambda *a: calls.append(a), config=config
    )
    assert [f.name for f in folders] == ["001", "002", "003"]
    assert list_scenes(tmp_path / "out") == folders
    assert calls == [(1, 3), (2, 3), (3, 3)]
    expected = synthesise_example(load_sources(src), example_rng(8, 2), config)
    scene = read_scene(folders[2])
    assert scene.metadata["index"] == 2 and scene.dynamic == expected.dynamic
    _assert_rgbe_close(scene.ground_truth, expected.ground_truth)
    # a second run into the same folder is refused unless asked to overwrite
    with pytest.raises(UserError, match="already exists"):
        synthesise_dataset(src[0].parent, tmp_path / "out", 1, seed=9, config=config)
    synthesise_dataset(src[0].parent, tmp_path / "out", 1, seed=9, config=config, overwrite=True)
    assert read_scene(folders[0]).metadata["seed"] == 9
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["001", "002", "003"]


def _scene(folder, exposures, shapes=((4, 6, 3),) * 3):
    folder.mkdir()
    for number, shape in enumerate(shapes, start=1):
        write_ldr(folder / f"IMG_{number:04d}.tif", np.zeros(shape, np.float32), bits=16)
    (folder / "exposure.txt").write_text(exposures)
    return folder


def test_broken_scenes_name_the_culprit(tmp_path):
    with pytest.raises(UserError, match=r"exposure.txt: 2 EV values for 3 frames"):
        read_scene(_scene(tmp_path / "count", "0\n2\n"))
    with pytest.raises(UserError, match=r"exposure.txt:2: 'two' is not an EV value"):
        read_scene(_scene(tmp_path / "word", "0\ntwo\n4\n"))
    with pytest.raises(UserError, match=r"exposure.txt:3: EV value nan is not finite"):
        read_scene(_scene(tmp_path / "nan", "0\n2\nnan\n"))
    with pytest.raises(UserError, match="IMG_0003.tif: frame is 6x5 but"):
        read_scene(_scene(tmp_path / "sizes", "0\n2\n4\n", ((4, 6, 3), (4, 6, 3), (5, 6, 3))))
    with pytest.raises(UserError, match="a bracket needs at least 2 frames, got 1"):
        read_scene(_scene(tmp_path / "one", "0\n", ((4, 6, 3),)))
    with pytest.raises(UserError, match="exposure.txt: exposure file not found"):
        (tmp_path / "count" / "exposure.txt").unlink()
        read_scene(tmp_path / "count")
    gt_scene = _scene(tmp_path / "gt", "0\n2\n4\n")
    (gt_scene / "HDRImg.hdr").write_bytes(b"not radiance")
    with pytest.raises(UserError, match="HDRImg.hdr"):
        read_scene(gt_scene)
    with pytest.raises(UserError, match="no scene folders"):
        list_scenes(tmp_path / "count")
    with pytest.raises(UserError, match="already exists"):
        write_scene(
            tmp_path / "gt",
            synthesise_example(load_sources(bundled_hdri_files()), example_rng(0, 0), SMALL),
        )


def test_synthetic_json_must_be_an_object(tmp_path):
    folder = _scene(tmp_path / "scene", "0\n2\n4\n")
    (folder / "synthetic.json").write_text(json.dumps([1, 2]))
    with pytest.raises(UserError, match="synthetic.json: expected a JSON object"):
        read_scene(folder)


def test_the_scene_reader_and_the_load_scene_node_agree(tmp_path):
    """One reader: hidden temporaries are no frames, duplicate exposures are refused."""
    from ahdr_nodes import NodeContext
    from ahdr_nodes.hdr.nodes import LoadScene

    def node_bracket(folder):
        return LoadScene("scene", folder=folder).run(NodeContext("scene"))["bracket"]

    scene = _scene(tmp_path / "temp", "0\n2\n4\n")
    write_ldr(scene / ".IMG_0004.tif.tmp.tif", np.zeros((4, 6, 3), np.float32), bits=16)
    for bracket in (read_scene(scene).bracket, node_bracket(scene)):
        assert [Path(p).name for p in bracket.sources] == [
            "IMG_0001.tif",
            "IMG_0002.tif",
            "IMG_0003.tif",
        ]
        np.testing.assert_array_equal(bracket.times, [1.0, 4.0, 16.0])
    same = _scene(tmp_path / "same", "0\n2\n2\n")
    for read in (read_scene, node_bracket):
        with pytest.raises(UserError, match="duplicate exposure 4"):
            read(same)
