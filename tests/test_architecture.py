"""The seams: import contracts, a core without torch, a CLI that starts fast."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent

CONTRACTS = ["pure-core", "public-api", "kernels-standalone"]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_import_contract(contract):
    """pyproject.toml [tool.importlinter] names the contracts; lint-imports checks one."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is in the test extra: pip install -e .[test]"
    done = subprocess.run(
        [lint_imports, "--contract", contract, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


BLOCK_TORCH = """
import sys

class RefuseTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")

sys.meta_path.insert(0, RefuseTorch())
"""

RUN_WITHOUT_TORCH = """
import ahdr_nodes
from ahdr_nodes import Node, Output, Param, hookimpl, run_graph
from ahdr_nodes.core import executor, validate, runner
from ahdr_nodes.core.graph_file import parse_graph
from ahdr_nodes.core.plugins import Plugins

class Constant(Node):
    out = Output(float)
    value = Param(float, 1.5)

    def run(self, ctx):
        return {"out": self.value}

class Plugin:
    @hookimpl
    def register_nodes(self, register):
        register(Constant)

plugins = Plugins()
plugins.add(Plugin(), "constant", None, builtin=False)
spec = parse_graph("nodes:\\n  - {id: c, type: Constant}\\n")
assert run_graph(spec, plugins=plugins) == {"c.out": 1.5}
assert "torch" not in sys.modules
print("ok")
"""


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )


def test_the_core_imports_and_runs_with_torch_blocked():
    done = python(BLOCK_TORCH + RUN_WITHOUT_TORCH)
    assert done.stdout.strip() == "ok", done.stderr


def test_help_imports_no_heavy_module():
    """``ahdr --help`` lists every command (the plugins' too) without importing
    torch, numpy, OpenCV or any command module."""
    done = python(
        BLOCK_TORCH
        + """
from ahdr_nodes.cli.main import main
try:
    main(["--help"])
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = ("numpy", "cv2", "tqdm", "ahdr_nodes.hdr.commands.merge", "ahdr_nodes.hdr.nodes")
print(sorted(name for name in heavy if name in sys.modules))
"""
    )
    assert done.returncode == 0, done.stderr
    *help_text, loaded = done.stdout.strip().splitlines()
    assert loaded == "[]"
    assert any(line.split()[:1] == ["merge"] for line in help_text)


def test_lazy_commands_say_what_the_commands_say():
    """The HDR plugin's command table gives each command's path and first sentence;
    both must match the command it names."""
    import importlib

    from ahdr_nodes.hdr.commands import BENCH_COMMANDS, COMMANDS

    for name, (target, short_help) in {**COMMANDS, **BENCH_COMMANDS}.items():
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(f"ahdr_nodes.hdr.commands.{module}"), attribute)
        assert command.name == name
        stand_in = click.Command(name, help=short_help)
        assert stand_in.get_short_help_str(200) == command.get_short_help_str(200), name


def test_validate_loads_the_hdr_nodes_without_torch():
    """``ahdr validate`` checks the network graphs with torch blocked: node classes
    load torch when they run."""
    done = python(
        BLOCK_TORCH
        + """
from ahdr_nodes.cli.main import main
for graph in ("ahdrnet_flow", "ahdrnet_attention", "debevec", "mertens"):
    try:
        main(["validate", graph])
    except SystemExit as exc:
        assert not exc.code, exc.code
"""
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == 4
