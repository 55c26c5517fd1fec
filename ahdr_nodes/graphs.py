"""Graph files bundled with the package: the repository's graphs/ folder.

A wheel installs graphs/ as the package ``ahdr_nodes.bundled_graphs``; an
editable install reads the folder in the checkout directly.
"""

from __future__ import annotations

from pathlib import Path

from ahdr_nodes.core.errors import UserError

_PACKAGE_DIR = Path(__file__).resolve().parent
_SEARCH = (_PACKAGE_DIR / "bundled_graphs", _PACKAGE_DIR.parent / "graphs")


def graphs_folder() -> Path:
    """The folder that holds the bundled graph files."""
    return next((folder for folder in _SEARCH if folder.is_dir()), _SEARCH[-1])


def bundled_graph(name: str) -> Path:
    """Path of a bundled graph by name, e.g. ``ahdrnet`` or ``reference-only``."""
    for stem in (name, name.replace("-", "_")):
        candidate = graphs_folder() / f"{stem}.yaml"
        if candidate.is_file():
            return candidate
    names = sorted(p.stem for p in graphs_folder().glob("*.yaml"))
    raise UserError(
        f"graph {name!r} is neither a file nor a bundled graph "
        f"(bundled: {', '.join(names) or 'none'})"
    )
