"""The part-1 HDR graphs through the ``ahdr`` CLI: bad input refused, good input merged.

Every refusal must exit with status 2, print exactly one line that names the
culprit file or value, and leave no output behind (temporary files included).
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

from ahdr_nodes.graphs import bundled_graph
from ahdr_nodes.hdr.data.sources import bundled_hdri_files, load_sources
from ahdr_nodes.hdr.data.synth import SynthConfig, example_rng, synthesise_example
from ahdr_nodes.hdr.io import read_hdr, read_ldr, write_hdr, write_ldr
from ahdr_nodes.hdr.metrics import psnr_mu

DEBEVEC = str(bundled_graph("debevec"))
EV = (0.0, 2.0, 4.0)
SIZE = (48, 64)


def radiance(height: int = SIZE[0], width: int = SIZE[1]) -> np.ndarray:
    """A smooth procedural scene spanning 10 stops, on the shortest exposure's scale."""
    rng = np.random.default_rng(7)
    noise = rng.uniform(-3, 0, (height, width, 3)).astype(np.float32)
    return cv2.GaussianBlur(10.0**noise, (0, 0), 2)


def write_frames(folder: Path, suffix: str = ".png", bits: int = 16, size=SIZE) -> list[Path]:
    """Frames a, b, c of a gamma-2.2 camera at EV 0, 2, 4."""
    scene = radiance(*size)
    return [
        write_ldr(folder / f"{name}{suffix}", np.clip(scene * 2.0**ev, 0, 1) ** (1 / 2.2), bits)
        for name, ev in zip("abc", EV, strict=True)
    ]


def yaml_list(items) -> str:
    return "[" + ", ".join(str(item) for item in items) + "]"


def debevec_args(
    tmp_path: Path, frames, *extra: str, graph: str = DEBEVEC, hdr_output: bool = True
) -> list[str]:
    """``ahdr run GRAPH`` writing to tmp_path/out/merged.{exr,png}; ``extra`` are --set items."""
    out = tmp_path / "out"
    settings = [f"frames={yaml_list(frames)}", f"preview={out / 'merged.png'}"]
    if hdr_output:
        settings.append(f"output={out / 'merged.exr'}")
    settings.extend(extra)  # later settings win
    return ["run", graph, *(arg for item in settings for arg in ("--set", item))]


def assert_refused(result, culprit: str, out_dir: Path, kept: tuple[str, ...] = ()) -> None:
    """Exit 2, one line naming ``culprit``, and nothing in ``out_dir`` but ``kept``."""
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ") and culprit in lines[0], lines[0]
    assert "Traceback" not in result.err
    left = sorted(p.name for p in out_dir.iterdir()) if out_dir.exists() else []
    assert left == sorted(kept)


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def scramble(path: Path) -> Path:
    """Keep the file's first 16 bytes (its magic number) and replace the rest."""
    data = path.read_bytes()
    path.write_bytes(data[:16] + bytes(np.random.default_rng(1).integers(0, 256, len(data) - 16)))
    return path


def test_frames_of_different_sizes(tmp_path, ahdr):
    a, b, _ = write_frames(tmp_path)
    (c,) = write_frames(tmp_path / "small", size=(40, 64))[2:]
    result = ahdr(*debevec_args(tmp_path, [a, b, c], "ev=[0, 2, 4]"))
    assert_refused(result, str(c), tmp_path / "out")


def test_fewer_than_two_frames(tmp_path, ahdr):
    a = write_frames(tmp_path)[0]
    result = ahdr(*debevec_args(tmp_path, [a], "ev=[0]"))
    assert_refused(result, "at least 2 frames, got 1", tmp_path / "out")


def test_missing_frame_file(tmp_path, ahdr):
    a, b, _ = write_frames(tmp_path)
    missing = tmp_path / "nowhere.png"
    result = ahdr(*debevec_args(tmp_path, [a, b, missing], "ev=[0, 2, 4]"))
    assert_refused(result, f"{missing}: file not found", tmp_path / "out")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
@pytest.mark.parametrize("damage", [truncate, scramble])
def test_truncated_or_corrupt_frame(tmp_path, ahdr, suffix, damage):
    a, b, c = write_frames(tmp_path, suffix, bits=8 if suffix == ".jpg" else 16)
    damage(b)
    result = ahdr(*debevec_args(tmp_path, [a, b, c], "ev=[0, 2, 4]"))
    assert_refused(result, str(b), tmp_path / "out")


def test_unsupported_frame_format(tmp_path, ahdr):
    a, b, _ = write_frames(tmp_path)
    bmp = tmp_path / "c.bmp"
    assert cv2.imwrite(str(bmp), np.zeros((*SIZE, 3), np.uint8))
    result = ahdr(*debevec_args(tmp_path, [a, b, bmp], "ev=[0, 2, 4]"))
    assert_refused(result, f"{bmp}: unsupported image format '.bmp'", tmp_path / "out")


@pytest.mark.parametrize(
    ("setting", "culprit"),
    [
        ("ev=[0, 2]", "2 EV values given for 3 frames"),
        ("times=[1, 2, 4, 8]", "4 exposure times given for 3 frames"),
        ("times=[0, 1, 2]", "exposure time 0 for {a} is not positive"),
        ("times=[-1, 1, 2]", "exposure time -1 for {a} is not positive"),
        ("times=[1, .nan, 2]", "param 'times': expected a finite float, got nan"),
        ("ev=[0, 2, .inf]", "param 'ev': expected a finite float, got inf"),
        ("ev=[0, 2, 2]", "duplicate exposure 4 for {b} and {c}"),
        ("times=[0.5, 0.5, 2]", "duplicate exposure 1 for {a} and {b}"),
    ],
)
def test_bad_exposure_values(tmp_path, ahdr, setting, culprit):
    a, b, c = write_frames(tmp_path)
    result = ahdr(*debevec_args(tmp_path, [a, b, c], setting))
    assert_refused(result, culprit.format(a=a, b=b, c=c), tmp_path / "out")


@pytest.mark.parametrize(
    ("lines", "culprit"),
    [
        ("0\n2\n", "{file}: 2 EV values for 3 frames"),
        ("0\nnan\n4\n", "{file}:2: EV value nan is not finite"),
    ],
)
def test_bad_exposure_file(tmp_path, ahdr, lines, culprit):
    frames = write_frames(tmp_path)
    exposure_file = tmp_path / "exposure.txt"
    exposure_file.write_text(lines)
    result = ahdr(*debevec_args(tmp_path, frames, f"exposure_file={exposure_file}"))
    assert_refused(result, culprit.format(file=exposure_file), tmp_path / "out")


def test_exif_without_exposure_data_and_no_other_source(tmp_path, ahdr):
    a, b, c = write_frames(tmp_path, ".jpg", bits=8)
    result = ahdr(*debevec_args(tmp_path, [a, b, c]))
    assert_refused(result, f"{a}: EXIF has no ExposureTime", tmp_path / "out")


def test_output_folder_that_is_a_file(tmp_path, ahdr):
    frames = write_frames(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the output folder should be")
    output = blocker / "merged.exr"
    result = ahdr(*debevec_args(tmp_path, frames, "ev=[0, 2, 4]", f"output={output}"))
    assert_refused(result, str(output), tmp_path / "out")
    assert blocker.read_text() == "a file where the output folder should be"


def test_existing_output_without_overwrite(tmp_path, ahdr):
    frames = write_frames(tmp_path)
    existing = tmp_path / "out" / "merged.exr"
    write_hdr(existing, radiance())
    before = existing.read_bytes()
    result = ahdr(*debevec_args(tmp_path, frames, "ev=[0, 2, 4]"))
    assert_refused(result, f"{existing}: already exists", tmp_path / "out", kept=("merged.exr",))
    assert existing.read_bytes() == before


@pytest.mark.parametrize("preview_blocked_by", ["existing file", "file as folder"])
def test_unwritable_preview_leaves_no_exr_behind(tmp_path, ahdr, preview_blocked_by):
    frames = write_frames(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    if preview_blocked_by == "existing file":
        preview = out / "merged.png"
        write_ldr(preview, np.zeros((*SIZE, 3)))
    else:
        (out / "blocker").write_text("not a folder")
        preview = out / "blocker" / "merged.png"
    result = ahdr(*debevec_args(tmp_path, frames, "ev=[0, 2, 4]", f"preview={preview}"))
    kept = ("merged.png",) if preview_blocked_by == "existing file" else ("blocker",)
    assert_refused(result, str(preview), out, kept=kept)


def test_corrupt_ground_truth_hdr_through_load_scene(tmp_path, ahdr):
    """LoadScene reads a Kalantari folder's HDRImg.hdr; a truncated one is refused."""
    scene = tmp_path / "scene"
    write_frames(scene, ".tif")
    (scene / "exposure.txt").write_text("0\n2\n4\n")
    truth = truncate(write_hdr(scene / "HDRImg.hdr", radiance()))
    graph = tmp_path / "truth.yaml"
    graph.write_text(
        "version: 1\n"
        "nodes:\n"
        f"  - {{id: load, type: LoadScene, params: {{folder: {scene}}}}}\n"
        "  - {id: tonemap, type: Tonemap, inputs: {hdr: load.ground_truth}}\n"
        f"  - {{id: save, type: SaveImage, params: {{path: {tmp_path / 'out' / 'gt.png'}}},"
        " inputs: {image: tonemap.image}}\n"
    )
    result = ahdr("run", str(graph))
    assert_refused(result, f"{truth}: not a readable Radiance .hdr file", tmp_path / "out")


def test_grayscale_and_rgba_frames_are_converted_with_a_warning(tmp_path, ahdr):
    a, b, c = write_frames(tmp_path)
    gray = cv2.imread(str(a), cv2.IMREAD_UNCHANGED)[..., 0]
    assert cv2.imwrite(str(a), gray)
    rgba = cv2.imread(str(c), cv2.IMREAD_UNCHANGED)
    assert cv2.imwrite(str(c), np.dstack([rgba, np.full(SIZE, 65535, np.uint16)]))
    result = ahdr(*debevec_args(tmp_path, [a, b, c], "ev=[0, 2, 4]"))
    assert result.code == 0, result.err
    assert f"{a}: grayscale frame repeated into RGB" in result.err
    assert f"{c}: alpha channel dropped" in result.err
    assert read_hdr(tmp_path / "out" / "merged.exr").shape == (*SIZE, 3)


@pytest.fixture(scope="module")
def synthetic_bracket(tmp_path_factory):
    """A static bracket cut from a bundled panorama (seed 3): 16-bit PNGs + ground truth."""
    folder = tmp_path_factory.mktemp("bracket")
    sources = load_sources(bundled_hdri_files())
    config = SynthConfig(size=SIZE, static_fraction=1.0).plain_camera()
    example = synthesise_example(sources, example_rng(3, 0), config)
    frames = [
        write_ldr(folder / f"frame{index}.png", frame, 16)
        for index, frame in enumerate(example.frames)
    ]
    return frames, np.log2(example.times / example.times[0]), example.ground_truth


@pytest.mark.parametrize(
    "graph", ["debevec", "debevec_mtb", "debevec_homography", "debevec_flow", "mertens"]
)
def test_graphs_run_end_to_end_on_a_synthetic_bracket(tmp_path, ahdr, synthetic_bracket, graph):
    frames, evs, truth = synthetic_bracket
    fusion = graph == "mertens"  # exposure fusion makes a display image, no radiance map
    ev = f"ev={yaml_list(evs.tolist())}"
    result = ahdr(*debevec_args(tmp_path, frames, ev, graph=graph, hdr_output=not fusion))
    assert result.code == 0, result.err
    preview, _ = read_ldr(tmp_path / "out" / "merged.png")
    assert preview.shape == (*SIZE, 3) and 0.05 < preview.mean() < 0.95
    if not fusion:
        merged = read_hdr(tmp_path / "out" / "merged.exr")
        assert merged.shape == truth.shape and np.isfinite(merged).all()
        assert psnr_mu(merged, truth) > psnr_mu(np.zeros_like(truth), truth) + 15
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert leftovers == []
