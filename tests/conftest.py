"""Test set-up shared by the whole suite."""

import os
from collections.abc import Callable

# The Triton kernels run on the CPU through the interpreter; this must be set
# before any kernel module is imported.
os.environ.setdefault("TRITON_INTERPRET", "1")

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from ahdr_nodes.cli.main import main  # noqa: E402
from ahdr_nodes.core import plugins  # noqa: E402

TEST_PLUGINS = Path(__file__).parent / "plugins"
# The suite's own third-party plugins (one works, one fails on import), by module
# and by the entry-point name an installed copy would have.
TEST_PLUGIN_MODULES = {"example": "ahdr_example_plugin", "broken": "ahdr_broken_plugin"}


@pytest.fixture(scope="session", autouse=True)
def test_plugins():
    """Load the suite's plugins in-process (as llm's tests do), never from an install.

    ``AHDR_PLUGINS`` names their modules, so processes the tests start (batch
    workers, a Dask cluster, ``python -m ahdr_nodes``) load them too; installed
    copies, if any, are disabled so that each loads once. Session-wide, so that
    fixtures of any scope see it.
    """
    folders = [str(TEST_PLUGINS / name) for name in TEST_PLUGIN_MODULES]
    path = os.environ.get("PYTHONPATH")
    with pytest.MonkeyPatch.context() as patch:
        for folder in folders:
            patch.syspath_prepend(folder)
        patch.setenv("PYTHONPATH", os.pathsep.join([*folders, *([path] if path else [])]))
        patch.setenv(plugins.EXTRA_ENV, ",".join(TEST_PLUGIN_MODULES.values()))
        patch.setenv(plugins.DISABLE_ENV, ",".join(TEST_PLUGIN_MODULES))
        yield


@pytest.fixture(autouse=True)
def fresh_plugins():
    """Every test loads the plugin set afresh (a test may change the environment)."""
    plugins.use_plugins(None)
    yield
    plugins.use_plugins(None)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def cli_runner(capture) -> Callable[..., CliResult]:
    """``ahdr ARGS`` in-process; ``capture`` is pytest's capsys or capfd."""

    def invoke(*args: str) -> CliResult:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capture.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def ahdr(capsys):
    """Run ``ahdr ARGS`` in-process and return its exit code and output."""
    return cli_runner(capsys)


@pytest.fixture
def ahdr_fd(capfd):
    """Like ``ahdr``, but capturing file descriptors 1 and 2: what C libraries print too."""
    return cli_runner(capfd)
