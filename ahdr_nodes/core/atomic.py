"""Atomic output: a file appears complete at its final path or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ahdr_nodes.core.errors import UserError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by the owner only; a finished output should get
# the permissions an ordinary open() would have given it.
_FILE_MODE = 0o666 & ~_current_umask()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place on success.

    The temporary file keeps the final suffix, so writers that pick the format
    from the extension (OpenCV) see the right one. Missing parent folders are
    created. On any exception the temporary file is removed and nothing is left
    at ``path``. Raises UserError when ``path`` exists and ``overwrite`` is
    false, or when its folder cannot be created or written.
    """
    target = Path(path)
    _refuse_existing(target, overwrite)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = _reason(error)
        raise UserError(f"{target}: cannot create folder {target.parent} ({reason})") from None
    try:
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent
        )
    except OSError as error:
        reason = _reason(error)
        raise UserError(f"{target}: cannot write to folder {target.parent} ({reason})") from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        _refuse_existing(target, overwrite)
        os.chmod(temp, _FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Raise UserError now if ``atomic_output(path, overwrite)`` would fail later.

    Creates nothing: it checks the file and the nearest existing ancestor folder,
    so a graph can refuse a bad output before any node has written anything.
    """
    target = Path(path)
    _refuse_existing(target, overwrite)
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{target}: cannot create folder {target.parent} ({ancestor} is a file)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserError(f"{target}: cannot write to folder {ancestor} (permission denied)")


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise UserError(f"{target}: is a folder, not a file name")
    if target.exists() and not overwrite:
        raise UserError(f"{target}: already exists (set overwrite: true to replace it)")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
