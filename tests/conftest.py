"""Test set-up shared by the whole suite."""

import os

# The Triton kernels run on the CPU through the interpreter; this must be set
# before any kernel module is imported.
os.environ.setdefault("TRITON_INTERPRET", "1")

from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402

from ahdr_nodes.cli.main import main  # noqa: E402


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
