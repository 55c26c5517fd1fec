"""Class 2 beyond images: reports (eval and bench --json) and weights follow the same
rule as images: no existing file replaced without --overwrite, never an input, checked
before the work; and class 10 for checkpoints: one line, never advice to load unsafely."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hostile_support import assert_refused, snapshot


@pytest.fixture
def scenes(ahdr, tmp_path: Path) -> Path:
    """One small synthetic Kalantari scene in tmp_path/scenes."""
    out = tmp_path / "scenes"
    args = ["data", "synth", "bundled", str(out), "--scenes", "1", "--seed", "5"]
    result = ahdr(*args, "--size", "64x48")
    assert result.code == 0, result.err
    return out


@pytest.mark.parametrize(
    ("report", "flags", "culprit"),
    [
        ("old.json", (), "old.json: already exists (--overwrite"),
        ("scenes/001/synthetic.json", ("--overwrite",), "synthetic.json: is an input of this run"),
        ("scenes/001/exposure.txt", ("--overwrite",), "--json"),
    ],
)
def test_an_eval_report_never_replaces_a_file_or_an_input(
    ahdr, tmp_path: Path, scenes: Path, report: str, flags: tuple[str, ...], culprit: str
) -> None:
    (tmp_path / "old.json").write_text("{}\n")
    before = snapshot(tmp_path)
    json_path = str(tmp_path / report)
    result = ahdr("eval", str(scenes), "--graph", "debevec", "--json", json_path, *flags)
    assert_refused(result.code, result.err, culprit)
    assert result.out == ""  # refused before any scene was evaluated
    assert snapshot(tmp_path) == before


def test_an_eval_report_replaces_a_file_only_with_overwrite(
    ahdr, tmp_path: Path, scenes: Path
) -> None:
    report = tmp_path / "old.json"
    report.write_text("{}\n")
    result = ahdr("eval", str(scenes), "--graph", "debevec", "--json", str(report), "--overwrite")
    assert result.code == 0, result.err
    assert '"scenes"' in report.read_text()


def test_a_bench_report_is_checked_before_the_benchmark(ahdr, tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    report.write_text("keep\n")
    before = snapshot(tmp_path)
    result = ahdr("bench", "pipeline", "--size", "32x32", "--json", str(report))
    assert_refused(result.code, result.err, "bench.json: already exists")
    assert snapshot(tmp_path) == before


def test_weights_are_never_written_under_a_pickle_name_or_onto_the_checkpoint(
    ahdr, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "official.pt"
    torch.save({"conv1.weight": torch.zeros(1)}, checkpoint)
    before = snapshot(tmp_path)
    result = ahdr("weights", "import", str(checkpoint), "-o", str(tmp_path / "w.pt"))
    assert_refused(result.code, result.err, "w.pt: weights are written as safetensors")
    args = ("weights", "import", str(checkpoint), "-o", str(checkpoint), "--overwrite")
    result = ahdr(*args)
    assert_refused(result.code, result.err, "official.pt: weights are written as safetensors")
    assert snapshot(tmp_path) == before


class _Payload:
    def __reduce__(self):  # noqa: ANN204 - a pickle that would call print
        return (print, ("ran",))


@pytest.mark.parametrize(
    ("content", "culprit"),
    [
        (b"not a checkpoint at all\n", "not a PyTorch checkpoint"),
        ("pickle", "holds Python objects besides tensors; refused"),
        ("int keys", "expected a state dict of tensors"),
    ],
)
def test_a_hostile_checkpoint_is_refused_in_one_line_without_unsafe_advice(
    ahdr_fd, tmp_path: Path, content: bytes | str, culprit: str
) -> None:
    checkpoint = tmp_path / "c.pt"
    if content == "pickle":
        torch.save({"x": _Payload()}, checkpoint)
    elif content == "int keys":
        torch.save({1: torch.zeros(1)}, checkpoint)
    else:
        checkpoint.write_bytes(content)
    before = snapshot(tmp_path)
    result = ahdr_fd("weights", "import", str(checkpoint), "-o", str(tmp_path / "w.safetensors"))
    assert_refused(result.code, result.err, f"{checkpoint}: {culprit}")
    assert "weights_only" not in result.err and "ran" not in result.out
    assert snapshot(tmp_path) == before


def test_a_batch_output_never_replaces_another_scenes_frame(ahdr, tmp_path: Path) -> None:
    # scene x's preview is named like scene y's first frame, in the same folder:
    # each scene's own run cannot see it, --overwrite did replace the frame
    from hostile_support import write_frames

    write_frames(tmp_path, 16, 16)
    other = write_frames(tmp_path / "y", 16, 16)
    names = ["f0.png", "f1.png", "f2.png", "x_preview.png", "g1.png", "g2.png"]
    for path, name in zip(other, names[3:], strict=True):
        path.rename(tmp_path / name)
    (tmp_path / "y").rmdir()
    taken = tmp_path / "x_preview.png"
    rows = [f"{'x' if i < 3 else 'y'},{name},{(-2, 0, 2)[i % 3]}" for i, name in enumerate(names)]
    manifest = tmp_path / "m.csv"
    manifest.write_text("scene,frame,ev\n" + "\n".join(rows) + "\n")
    before = snapshot(tmp_path)
    args = ("batch", "debevec", str(manifest), str(tmp_path), "--scheduler", "local")
    result = ahdr(*args, "--overwrite")
    assert_refused(result.code, result.err, f"{taken}: is an input of this run")
    assert snapshot(tmp_path) == before


def test_resuming_from_a_hostile_checkpoint_is_refused_without_unsafe_advice(
    ahdr_fd, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"x": _Payload()}, out / "checkpoint.pt")
    before = snapshot(tmp_path)
    args = ("train", "--data", "bundled", "--steps", "2", "--out", str(out), "--resume")
    result = ahdr_fd(*args, "--crop", "16", "--batch", "1")
    assert_refused(result.code, result.err, f"{out / 'checkpoint.pt'}: holds Python objects")
    assert "weights_only" not in result.err and "ran" not in result.out
    assert snapshot(tmp_path) == before
