"""What C libraries print while they decode: captured, so a bad file prints one line.

libpng, libjpeg, libtiff (through OpenCV's logger) and OpenEXR write their
complaints straight to file descriptors 1 and 2, around Python. A corrupt
frame would print their lines before the tool's own ``error:`` line, and some
of them (a libtiff error, OpenEXR's "Exception raised reading pixel data") are
the only sign that the pixels returned are garbage. Readers run their decoders
inside ``native_output()`` and judge what was said with ``complaint()``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass

_LOCK = threading.RLock()
# C stdio buffers what goes to a file or pipe (C++ streams write through it):
# flushed on entry so that earlier output is not captured, and before the
# descriptors are restored so that the block's output is.
_LIBC = ctypes.CDLL(None)
_FDS = (1, 2)
_MAX_LINE = 200
# OpenCV's log prefix, e.g. "[ERROR:0@2.805] global grfmt_tiff.cpp:117 TIFF_Error "
_OPENCV_PREFIX = re.compile(r"^\[[A-Z]+:[^\]]*\]\s*(global\s+)?\S+:\d+\s+(\w+\s+)?")


@dataclass
class Captured:
    """The text the libraries wrote while the block ran (set when it ends)."""

    text: str = ""


@contextlib.contextmanager
def native_output() -> Iterator[Captured]:
    """Redirect file descriptors 1 and 2 to a temporary file for the block.

    One block at a time in a process (a lock), nested blocks capture into the
    outermost; Python's own streams are flushed first so that nothing of theirs
    lands in the capture.
    """
    captured = Captured()
    with _LOCK, tempfile.TemporaryFile() as sink:
        _flush_all()
        saved = [os.dup(fd) for fd in _FDS]
        try:
            for fd in _FDS:
                os.dup2(sink.fileno(), fd)
            yield captured
        finally:
            _flush_all()
            for fd, copy in zip(_FDS, saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", "replace")


def _flush_all() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    _LIBC.fflush(None)


def complaint(captured: Captured) -> str | None:
    """The first line that reports an error or exception, cut short; None when none does.

    Warnings a decoder recovers from (libpng's "known incorrect sRGB profile")
    are not complaints.
    """
    for line in captured.text.splitlines():
        lowered = line.lower()
        if "error" in lowered or "exception" in lowered:
            line = _OPENCV_PREFIX.sub("", line.strip())
            return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 3] + "..."
    return None
