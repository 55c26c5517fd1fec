"""Source HDR images: finding, loading, and the held-out split by whole image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.data.sources import (
    HDRSource,
    bundled_hdri_files,
    find_hdr_files,
    load_sources,
    split_train_validation,
)
from ahdr_nodes.hdr.io.hdr_files import write_hdr

names = st.lists(
    st.text("abcdefghij_0123456789", min_size=1, max_size=8), min_size=1, max_size=30, unique=True
)


@settings(max_examples=50, deadline=None)
@given(names=names, fraction=st.sampled_from([0.0, 0.1, 0.2, 0.5]), data=st.data())
def test_split_is_by_name_whatever_the_order_or_folder(names, fraction, data):
    files = [Path("a") / f"{name}.exr" for name in names]
    shuffled = data.draw(st.permutations(files))
    moved = [Path("elsewhere") / p.name for p in files]
    train, validation = split_train_validation(files, fraction)
    train_2, validation_2 = split_train_validation(shuffled, fraction)
    _, validation_3 = split_train_validation(moved, fraction)
    assert (train, validation) == (train_2, validation_2)
    assert [p.name for p in validation] == [p.name for p in validation_3]
    assert sorted(train + validation) == sorted(files)
    assert not set(train) & set(validation)
    if len(files) >= 2:
        assert train
        assert bool(validation) == (fraction > 0)
        assert len(validation) <= max(fraction * len(files) + 1, 1)


def test_split_sizes():
    files = [Path(f"pano_{i:02d}.exr") for i in range(20)]
    assert [len(part) for part in split_train_validation(files, 0.2)] == [16, 4]
    assert [len(part) for part in split_train_validation(files, 0.01)] == [19, 1]
    assert [len(part) for part in split_train_validation(files[:1], 0.5)] == [1, 0]


def test_split_of_the_bundled_panoramas_holds_one_out():
    train, validation = split_train_validation(bundled_hdri_files(), 0.2)
    assert len(train) == 1 and len(validation) == 1


def test_split_refuses_duplicate_names_and_bad_fractions():
    with pytest.raises(UserError, match="distinct names"):
        split_train_validation([Path("a/x.exr"), Path("b/x.exr")])
    with pytest.raises(UserError, match="fraction"):
        split_train_validation([Path("x.exr")], 1.0)


def test_find_and_load_a_folder_of_hdr_files(tmp_path):
    image = np.random.default_rng(0).random((4, 8, 3)).astype(np.float32)
    image[0, 0] = -0.5
    write_hdr(tmp_path / "b.exr", image)
    write_hdr(tmp_path / "a.hdr", image)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "._b.exr").write_bytes(b"resource fork of a copied file")
    files = find_hdr_files(tmp_path)
    assert [p.name for p in files] == ["a.hdr", "b.exr"]
    loaded = load_sources(files)
    assert [s.name for s in loaded] == ["a.hdr", "b.exr"]
    assert all(s.equirectangular for s in loaded)
    assert loaded[1].radiance.min() == 0.0
    np.testing.assert_allclose(loaded[1].radiance[1:], image[1:], rtol=1e-3)


def test_missing_or_wrong_sources_name_the_culprit(tmp_path):
    with pytest.raises(UserError, match="no .exr or .hdr"):
        find_hdr_files(tmp_path)
    with pytest.raises(UserError, match="missing.exr: file not found"):
        find_hdr_files([tmp_path / "missing.exr"])
    with pytest.raises(UserError, match="photo.png: not an HDR file"):
        find_hdr_files([tmp_path / "photo.png"])
    with pytest.raises(UserError, match="bad: HDR image holds NaN"):
        HDRSource.from_array("bad", np.full((4, 4, 3), np.nan))
    with pytest.raises(UserError, match="black: HDR image is black"):
        HDRSource.from_array("black", np.zeros((4, 4, 3)))
    with pytest.raises(UserError, match="gray: expected an HxWx3"):
        HDRSource.from_array("gray", np.ones((4, 4)))


def test_bundled_panoramas_are_real_hdr():
    files = bundled_hdri_files()
    assert len(files) == 2
    assert (files[0].parent / "HDRI_LICENSE.txt").is_file()
    for source in load_sources(files):
        assert source.radiance.shape == (256, 512, 3) and source.equirectangular
        assert source.radiance.max() > 50.0
