"""atomic_output: complete file or nothing, never a half-written one."""

import os
import stat

import pytest

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.hdr.io import atomic_output


def test_file_appears_only_after_the_block_succeeds(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as temp:
        assert temp.parent == tmp_path and temp.suffix == ".bin"
        temp.write_bytes(b"done")
        assert not target.exists()
    assert target.read_bytes() == b"done"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failure_inside_the_block_leaves_nothing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("encoder crashed")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_old_file_when_overwriting(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as temp:
        temp.write_bytes(b"new")
        raise RuntimeError("encoder crashed")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_existing_file_is_refused_without_overwrite(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(UserError, match="out.bin: already exists"), atomic_output(target):
        pytest.fail("the block must not run")
    assert target.read_bytes() == b"old"


def test_folder_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file where a folder should be")
    with (
        pytest.raises(UserError, match="cannot create folder .*blocker"),
        atomic_output(blocker / "out.bin"),
    ):
        pytest.fail("the block must not run")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with (
            pytest.raises(UserError, match="cannot write to folder"),
            atomic_output(locked / "out.bin"),
        ):
            pytest.fail("the block must not run")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_output_gets_ordinary_permissions(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as temp:
        temp.write_bytes(b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_folder_in_the_way_is_refused(tmp_path):
    (tmp_path / "out.bin").mkdir()
    with (
        pytest.raises(UserError, match="is a folder"),
        atomic_output(tmp_path / "out.bin", overwrite=True),
    ):
        pytest.fail("the block must not run")
