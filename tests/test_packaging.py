"""The explicit package list in pyproject.toml must name every package folder."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the project itself supports 3.10

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "ahdr_nodes").rglob("__init__.py")
    }
    assert folders <= listed, f"add to pyproject packages: {sorted(folders - listed)}"
    assert config["package-dir"]["ahdr_kernels"] == "kernels"
    # data-only folders are packages too, or setuptools warns on every install
    assert set(config["package-data"]) <= listed


def test_bundled_graphs_are_found():
    from ahdr_nodes.graphs import bundled_graph

    assert bundled_graph("debevec").read_text() == (ROOT / "graphs" / "debevec.yaml").read_text()
