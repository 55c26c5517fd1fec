"""``ahdr merge`` with graphs of either output kind: HDR to .exr/.hdr, fusion to display images."""

import hashlib
import json

import numpy as np
import OpenEXR
import pytest

import ahdr_nodes
from ahdr_nodes.hdr.io import read_ldr, write_ldr


@pytest.fixture
def frames(tmp_path):
    """A real 3-frame PNG bracket, 2 stops apart."""
    rng = np.random.default_rng(3)
    radiance = rng.uniform(0.02, 1.0, (24, 32, 3))
    paths = []
    for index, stops in enumerate((-2, 0, 2)):
        path = tmp_path / f"f{index}.png"
        write_ldr(path, np.clip(radiance * 2.0**stops, 0, 1) ** (1 / 2.2))
        paths.append(str(path))
    return paths


@pytest.mark.parametrize(("name", "bits"), [("fused.png", 16), ("fused.tif", 16), ("fused.jpg", 8)])
def test_fusion_graph_writes_its_display_image_to_output(ahdr, frames, tmp_path, name, bits):
    output = tmp_path / name
    result = ahdr("merge", *frames, "--ev", "-2,0,2", "--graph", "mertens", "-o", str(output))
    assert result.code == 0, result.err
    image, info = read_ldr(output)
    assert info.bit_depth == bits
    assert image.shape == (24, 32, 3) and 0.05 < image.mean() < 0.95


def test_fusion_graph_refuses_an_hdr_output_saying_what_fits(ahdr, frames, tmp_path):
    result = ahdr("merge", *frames, "--ev", "-2,0,2", "--graph", "mertens", "-o", "x.exr")
    assert result.code != 0
    assert "mertens makes a display image, not HDR" in result.err and ".png" in result.err


def test_fusion_graph_refuses_a_second_display_output(ahdr, frames, tmp_path):
    result = ahdr(
        "merge", *frames, "--ev", "-2,0,2", "--graph", "mertens",
        "-o", str(tmp_path / "a.png"), "--preview", str(tmp_path / "b.png"),
    )  # fmt: skip
    assert result.code != 0 and "leave out --preview" in result.err
    assert not (tmp_path / "a.png").exists()


def test_hdr_graph_refuses_a_display_output_pointing_to_preview(ahdr, frames, tmp_path):
    result = ahdr("merge", *frames, "--ev", "-2,0,2", "--graph", "debevec", "-o", "x.png")
    assert result.code != 0
    assert "debevec makes an HDR image" in result.err and "--preview" in result.err


def test_exr_header_records_how_it_was_made(ahdr, frames, tmp_path):
    """Provenance: source files, exposures, graph name and hash, weights id, version."""
    output = tmp_path / "out.exr"
    result = ahdr(
        "merge", *frames, "--ev", "-2,0,2", "--graph", "ahdrnet", "--weights", "random",
        "-o", str(output),
    )  # fmt: skip
    assert result.code == 0, result.err
    with OpenEXR.File(str(output), header_only=True) as exr:
        header = dict(exr.header())  # the file's own dict is emptied on close
    assert header["ahdr:version"] == ahdr_nodes.__version__
    assert header["ahdr:graph"] == "ahdrnet.yaml"
    nodes = json.loads(header["ahdr:nodes"])
    assert [node["type"] for node in nodes][:2] == ["LoadBracket", "NoAlign"]
    assert header["ahdr:graph_sha256"] == hashlib.sha256(header["ahdr:nodes"].encode()).hexdigest()
    load = json.loads(header["ahdr:load"])
    assert load["sources"] == frames and load["relative_times"] == [1.0, 4.0, 16.0]
    assert load["exposure_source"] and load["reference"] == 1
    weights = json.loads(header["ahdr:merge"])["weights"]
    assert weights == {"label": weights["label"], "sha256": "random"}


def test_exr_header_names_the_weights_file_by_its_hash(ahdr, frames, tmp_path):
    from ahdr_nodes.hdr.model.weights import BUILTIN_PATH

    output = tmp_path / "out.exr"
    result = ahdr("merge", *frames, "--ev", "-2,0,2", "--graph", "ahdrnet", "-o", str(output))
    assert result.code == 0, result.err
    with OpenEXR.File(str(output), header_only=True) as exr:
        header = dict(exr.header())  # the file's own dict is emptied on close
    digest = hashlib.sha256(BUILTIN_PATH.read_bytes()).hexdigest()
    assert json.loads(header["ahdr:attention"])["weights"]["sha256"] == digest
    assert json.loads(header["ahdr:merge"])["weights"]["sha256"] == digest
