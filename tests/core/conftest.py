"""Helpers for driving the ``ahdr`` CLI in-process."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ahdr_nodes.cli.main import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def ahdr(capsys):
    """Run ``ahdr ARGS`` in-process and return its exit code and output."""

    def invoke(*args: str) -> CliResult:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
