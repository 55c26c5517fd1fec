"""Errors the user can fix (exit status 2) versus bugs (exit status 1)."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: a corrupt image, a missing file, a NaN exposure, a bad graph.

    The message is one line that names the culprit; the CLI prints it without a
    traceback and exits with status 2.
    """
