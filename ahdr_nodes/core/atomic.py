"""Atomic output: a file appears complete at its final path or not at all."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from ahdr_nodes.core.errors import UserError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by the owner only; a finished output should get
# the permissions an ordinary open() would have given it.
_FILE_MODE = 0o666 & ~_current_umask()

# Temporaries are named ``.NAME.<8 random>.ahdr-tmp.SUFFIX``: the marker lets
# cleanup recognise exactly the files this module made, and nothing a user or
# another scene named alike.
_TEMP_MARKER = ".ahdr-tmp"
_RANDOM_PART = "[a-z0-9_]{8}"


def _temp_parts(target: Path) -> tuple[str, str]:
    return f".{target.name}.", f"{_TEMP_MARKER}{target.suffix}"


def _make_temp(target: Path, folder: Path) -> Path:
    prefix, suffix = _temp_parts(target)
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(handle)
    return Path(name)


def stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Temporaries that ``atomic_output(path)`` left beside ``path`` (a killed writer)."""
    target = Path(path)
    if not target.parent.is_dir():
        return []
    prefix, suffix = _temp_parts(target)
    pattern = re.compile(re.escape(prefix) + _RANDOM_PART + re.escape(suffix))
    return [p for p in target.parent.glob(f"{glob.escape(prefix)}*") if pattern.fullmatch(p.name)]


# Files created inside all_or_nothing(), withdrawn if the block fails.
_CREATED: ContextVar[list[Path] | None] = ContextVar("ahdr_created_outputs", default=None)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """When the block raises, the files it created are removed again.

    A run whose last output is refused (a preview with NaN pixels, found only
    once it is computed) so leaves no first output behind. Files the block
    replaced (overwrite) keep their new content: the old one is gone. A process
    killed outright runs no cleanup: what it finished stays, complete (atomic),
    and a resumed batch makes only what is missing. A nested block joins the
    outer one.
    """
    if _CREATED.get() is not None:
        yield
        return
    created: list[Path] = []
    token = _CREATED.set(created)
    try:
        yield
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    finally:
        _CREATED.reset(token)


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
    temp = _try_temp(target, target.parent)
    try:
        yield temp
        _refuse_existing(target, overwrite)
        os.chmod(temp, _FILE_MODE)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    created = _CREATED.get()
    if created is not None and not target.exists():
        created.append(target)
    os.replace(temp, target)


def check_writable(path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Raise UserError now if ``atomic_output(path, overwrite)`` would fail later.

    Leaves nothing behind: it tries the temporary file in the nearest existing
    ancestor folder and removes it, so permissions (root included), read-only
    file systems and over-long names fail here, before any node has written
    anything, rather than after an earlier output was written.
    """
    target = Path(path)
    _refuse_existing(target, overwrite)
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{target}: cannot create folder {target.parent} ({ancestor} is a file)")
    _try_temp(target, ancestor).unlink()


def check_not_input(
    path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]
) -> None:
    """Raise UserError when ``path`` names one of ``inputs``, even through a link.

    No overwrite flag allows it: a run must never destroy what it reads.
    """
    check_not_inputs([path], inputs)


def check_not_inputs(
    paths: Iterable[str | os.PathLike[str]], inputs: Iterable[str | os.PathLike[str] | None]
) -> None:
    """``check_not_input`` for many outputs at once (a batch's): the inputs are
    indexed once, by file identity (device and inode, so hard and symbolic links
    count) and by resolved path (for files not there yet)."""
    identities: set[tuple[int, int]] = set()
    resolved: set[Path] = set()
    for source in inputs:
        if source is not None:
            identity = _identity(Path(source))
            if identity is not None:
                identities.add(identity)
            resolved.add(Path(source).resolve())
    for path in paths:
        target = Path(path)
        identity = _identity(target)
        if (identity in identities) if identity is not None else target.resolve() in resolved:
            raise UserError(f"{target}: is an input of this run; refusing to write over it")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _try_temp(target: Path, folder: Path) -> Path:
    try:
        return _make_temp(target, folder)
    except OSError as error:
        reason = _reason(error)
        raise UserError(f"{target}: cannot write to folder {folder} ({reason})") from None


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise UserError(f"{target}: is a folder, not a file name")
    if target.exists() and not overwrite:
        raise UserError(
            f"{target}: already exists (--overwrite, or overwrite: true in a graph, replaces it)"
        )


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
