"""The part-1 HDR nodes run directly: load, align, linearise, merge, tonemap, save."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.node import NodeContext, ParamError
from ahdr_nodes.hdr.data.sources import bundled_hdri_files
from ahdr_nodes.hdr.io import read_hdr, read_ldr, write_hdr, write_ldr
from ahdr_nodes.hdr.model.inputs import network_inputs
from ahdr_nodes.hdr.nodes import (
    NODES,
    DebevecMerge,
    FlowAlign,
    HomographyAlign,
    Linearise,
    LoadBracket,
    LoadScene,
    MertensFusion,
    MTBAlign,
    NoAlign,
    ReferenceOnly,
    SaveHDR,
    SaveImage,
    Tonemap,
)
from ahdr_nodes.hdr.ops.linearise import linearise_bracket
from ahdr_nodes.hdr.ops.tonemap import mu_law
from ahdr_nodes.hdr.types import Bracket, HDRImage, LDRImage

PANORAMA = bundled_hdri_files()[1]  # the lobby: lamps, windows and shadow
EV = (0.0, 2.0, 4.0)


class Recorder:
    """A NodeContext whose warnings are kept for the test to read."""

    def __init__(self):
        self.messages = []
        self.ctx = NodeContext("node", on_message=lambda _, level, text: self.messages.append(text))


def scene_radiance() -> np.ndarray:
    """Radiance on the shortest exposure's scale: a crop of a bundled real panorama."""
    panorama = read_hdr(PANORAMA)[80:176, 192:320]
    return (panorama / np.percentile(panorama, 99.5)).astype(np.float32)


def write_bracket(folder: Path, radiance: np.ndarray, names=("a.png", "b.png", "c.png")):
    """16-bit frames of a gamma-2.2 camera at EV 0, 2, 4."""
    paths = []
    for name, stops in zip(names, EV, strict=True):
        frame = np.clip(radiance * 2.0**stops, 0, 1) ** (1 / 2.2)
        paths.append(write_ldr(folder / name, frame, 16))
    return paths


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


def test_every_node_is_listed_once_with_a_doc():
    assert len({node.type_name for node in NODES}) == len(NODES) == 18
    assert all(node.describe()["doc"] for node in NODES)
    assert [node for node in NODES if not node.cacheable] == [SaveHDR, SaveImage]


def test_load_bracket_sorts_by_exposure_and_picks_the_middle(tmp_path):
    a, b, c = write_bracket(tmp_path, scene_radiance())
    node = LoadBracket("load", paths=[c, a, b], ev=[4, 0, 2])
    bracket = node.run(Recorder().ctx)["bracket"]
    assert bracket.sources == [str(a), str(b), str(c)]
    np.testing.assert_allclose(bracket.times, [1, 4, 16])
    assert bracket.reference == 1 and bracket.metadata["exposure_source"] == "ev"
    assert bracket.metadata["bit_depths"] == [16, 16, 16]
    assert all(f.dtype == np.float32 and f.max() <= 1 for f in bracket.frames)
    assert bracket.frames[0].mean() < bracket.frames[1].mean() < bracket.frames[2].mean()


def test_load_bracket_reports_converted_frames_as_warnings(tmp_path):
    a, b = write_bracket(tmp_path, scene_radiance(), ("a.png", "b.png", "c.png"))[:2]
    grey = tmp_path / "grey.png"
    cv2.imwrite(
        str(grey), cv2.cvtColor(cv2.imread(str(b), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2GRAY)
    )
    recorder = Recorder()
    bracket = LoadBracket("load", paths=[a, grey], times=[0.01, 0.04]).run(recorder.ctx)["bracket"]
    assert bracket.frames[1].shape == bracket.frames[0].shape
    assert recorder.messages == [f"{grey}: grayscale frame repeated into RGB"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("one frame", r"at least 2 frames, got 1"),
        ("missing", r"gone.png: file not found"),
        ("corrupt", r"broken.png: cannot decode"),
        ("unsupported", r"frame.gif: unsupported image format"),
        ("size", r"small.png: frame is 64x48 but .*a.png is 128x96"),
        ("count", r"2 EV values given for 3 frames"),
        ("duplicate", r"duplicate exposure 4"),
        ("reference", r"reference index 5 is out of range for 3 frames"),
        ("no exif", r"a.png: EXIF has no ExposureTime"),
    ],
)
def test_load_bracket_refuses_bad_input_naming_the_culprit(tmp_path, case, message):
    paths = write_bracket(tmp_path, scene_radiance())
    params = {"paths": paths, "ev": list(EV)}
    if case == "one frame":
        params["paths"] = paths[:1]
    elif case == "missing":
        params["paths"] = [paths[0], tmp_path / "gone.png", paths[2]]
    elif case == "corrupt":
        broken = tmp_path / "broken.png"
        broken.write_bytes(paths[1].read_bytes()[:300])
        params["paths"] = [paths[0], broken, paths[2]]
    elif case == "unsupported":
        (tmp_path / "frame.gif").write_bytes(b"GIF89a")
        params["paths"] = [paths[0], tmp_path / "frame.gif", paths[2]]
    elif case == "size":
        params["paths"] = [
            paths[0],
            write_ldr(tmp_path / "small.png", np.zeros((48, 64, 3))),
            paths[2],
        ]
    elif case == "count":
        params["ev"] = [0, 2]
    elif case == "duplicate":
        params["ev"] = [0, 2, 2]
    elif case == "reference":
        params["reference"] = 5
    elif case == "no exif":
        del params["ev"]
    with pytest.raises(UserError, match=message):
        LoadBracket("load", **params).run(Recorder().ctx)


def kalantari_scene(folder: Path, radiance: np.ndarray, with_truth: bool = True) -> Path:
    folder.mkdir()
    write_bracket(folder, radiance, ("262A01.tif", "262A02.tif", "262A03.tif"))
    (folder / "exposure.txt").write_text("\n".join(str(v) for v in EV) + "\n")
    if with_truth:
        write_hdr(folder / "HDRImg.hdr", radiance)
    return folder


def test_load_scene_reads_frames_exposures_and_ground_truth(tmp_path):
    radiance = scene_radiance()
    folder = kalantari_scene(tmp_path / "scene", radiance)
    outputs = LoadScene("scene", folder=folder).run(Recorder().ctx)
    bracket, truth = outputs["bracket"], outputs["ground_truth"]
    np.testing.assert_allclose(bracket.times, [1, 4, 16])
    assert bracket.metadata["exposure_source"] == "exposure_file"
    assert isinstance(truth, HDRImage) and truth.data.shape == radiance.shape


def test_load_scene_without_ground_truth_gives_none(tmp_path):
    folder = kalantari_scene(tmp_path / "scene", scene_radiance(), with_truth=False)
    assert LoadScene("scene", folder=folder).run(Recorder().ctx)["ground_truth"] is None


def test_load_scene_fingerprint_changes_when_a_file_changes(tmp_path):
    folder = kalantari_scene(tmp_path / "scene", scene_radiance())
    node = LoadScene("scene", folder=folder)
    before = node.fingerprint()
    exposure = folder / "exposure.txt"
    exposure.write_text("0\n3\n6\n")
    os.utime(exposure, ns=(0, 1_000_000_000))
    assert node.fingerprint() != before


def test_load_scene_refuses_a_folder_without_frames(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty: no .tif frames"):
        LoadScene("scene", folder=tmp_path / "empty").run(Recorder().ctx)


def bracket_from(tmp_path: Path) -> Bracket:
    paths = write_bracket(tmp_path, scene_radiance())
    return LoadBracket("load", paths=paths, ev=list(EV)).run(Recorder().ctx)["bracket"]


@pytest.mark.parametrize(
    "aligner", [NoAlign("a"), MTBAlign("a"), HomographyAlign("a"), FlowAlign("a")]
)
def test_aligners_keep_a_static_bracket_in_place(tmp_path, aligner):
    bracket = bracket_from(tmp_path)
    aligned = aligner.run(Recorder().ctx, bracket=bracket)["aligned"]
    assert aligned.reference == bracket.reference and list(aligned.times) == list(bracket.times)
    assert "method" in aligned.metadata["alignment"]
    for before, after in zip(bracket.frames, aligned.frames, strict=True):
        assert np.abs(before - after)[8:-8, 8:-8].mean() < 0.01


def test_merges_on_a_static_bracket_match_the_ground_truth(tmp_path):
    radiance = scene_radiance()
    bracket = bracket_from(tmp_path)
    stack = Linearise("lin").run(Recorder().ctx, bracket=bracket)["stack"]
    assert stack.network_inputs().shape == (3, 6, *radiance.shape[:2])
    debevec = DebevecMerge("deb").run(Recorder().ctx, stack=stack)["hdr"].data
    reference = ReferenceOnly("ref").run(Recorder().ctx, stack=stack)["hdr"].data
    truth = np.clip(radiance, 0, 1)
    # Debevec draws on all three exposures, so it beats the reference alone
    assert psnr(mu_law(debevec), mu_law(truth)) > psnr(mu_law(reference), mu_law(truth))
    assert psnr(mu_law(debevec), mu_law(truth)) > 35


def test_calibrated_linearise_feeds_debevec(tmp_path):
    bracket = bracket_from(tmp_path)
    stack = Linearise("lin", response="calibrated").run(Recorder().ctx, bracket=bracket)["stack"]
    assert stack.response is not None and stack.response.shape == (256, 3)
    hdr = DebevecMerge("deb").run(Recorder().ctx, stack=stack)["hdr"].data
    assert (
        np.isfinite(hdr).all() and 0.8 < np.median(hdr / np.maximum(stack.linear[1], 1e-4)) < 1.25
    )


@pytest.mark.parametrize("response", ["gamma", "calibrated", "fitted"])
def test_network_inputs_of_a_region_are_the_region_of_the_whole(tmp_path, response):
    """The stack builds the network's inputs per tile; a crop of them must equal the
    inputs linearise_bracket gives for the whole bracket, cropped."""
    bracket = bracket_from(tmp_path)
    stack = Linearise("lin", response=response).run(Recorder().ctx, bracket=bracket)["stack"]
    whole = linearise_bracket(bracket.frames, bracket.times, response)
    expected = network_inputs(whole.network_ldr, whole.linear)
    rows, cols = slice(3, 17), slice(5, 30)
    assert torch.equal(stack.network_inputs(), expected)
    assert torch.equal(stack.network_inputs(rows, cols), expected[..., rows, cols])


@pytest.mark.parametrize("method", ["mu_law", "reinhard", "drago", "mantiuk", "exposure_gamma"])
def test_tonemap_gives_a_display_image(method):
    radiance = scene_radiance()
    image = Tonemap("tm", method=method).run(Recorder().ctx, hdr=HDRImage(radiance))["image"]
    assert isinstance(image, LDRImage) and image.data.shape == radiance.shape
    assert np.isfinite(image.data).all() and image.data.min() >= 0 and image.data.max() <= 1


def test_mertens_node_gives_a_display_image(tmp_path):
    image = MertensFusion("m").run(Recorder().ctx, bracket=bracket_from(tmp_path))["image"]
    assert image.data.dtype == np.float32 and image.data.min() >= 0 and image.data.max() <= 1


def test_save_nodes_write_exr_and_png(tmp_path):
    radiance = scene_radiance()
    exr = SaveHDR("s", path=tmp_path / "out" / "merged.exr").run(
        Recorder().ctx, hdr=HDRImage(radiance)
    )["written"]
    np.testing.assert_allclose(read_hdr(exr), radiance, rtol=2.0**-11, atol=1e-7)
    preview = mu_law(radiance)
    png = SaveImage("p", path=tmp_path / "preview.png", bits=16).run(
        Recorder().ctx, image=LDRImage(preview)
    )["written"]
    np.testing.assert_allclose(read_ldr(png)[0], preview, atol=1e-4)


def test_save_nodes_refuse_wrong_extensions_before_running(tmp_path):
    with pytest.raises(ParamError, match=r"\.exr, \.hdr"):
        SaveHDR("s", path=tmp_path / "merged.png")
    with pytest.raises(ParamError, match=r"\.png"):
        SaveImage("p", path=tmp_path / "preview.exr")
    with pytest.raises(ParamError, match="JPEG holds 8 bits only"):
        SaveImage("p", path=tmp_path / "preview.jpg", bits=16)


def test_debevec_refuses_deghost_with_the_opencv_merge_before_running():
    with pytest.raises(ParamError, match="deghost needs method: weighted"):
        DebevecMerge("d", method="opencv", deghost=0.3)
    assert DebevecMerge("d", deghost=0.3).deghost == 0.3


def test_save_refuses_existing_and_unwritable_outputs_leaving_no_file(tmp_path):
    existing = tmp_path / "merged.exr"
    existing.write_bytes(b"keep me")
    hdr = HDRImage(scene_radiance())
    with pytest.raises(UserError, match="merged.exr: already exists"):
        SaveHDR("s", path=existing).run(Recorder().ctx, hdr=hdr)
    assert existing.read_bytes() == b"keep me"
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    with pytest.raises(UserError, match="cannot create folder"):
        SaveImage("p", path=blocker / "preview.png").run(
            Recorder().ctx, image=LDRImage(mu_law(hdr.data))
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "merged.exr"]
    SaveHDR("s", path=existing, overwrite=True).run(Recorder().ctx, hdr=hdr)
    assert read_hdr(existing).shape == hdr.data.shape
