"""``--json`` reports of ``ahdr eval`` and ``ahdr bench``: the rule every output follows.

A report is checked before the work it reports on (a benchmark or an evaluation
may take hours): a ``.json`` name, never one of the run's inputs, not an existing
file unless ``--overwrite``, in a folder that can be written. It is then written
atomically, so a killed run leaves no half report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ahdr_nodes import UserError, atomic_output, check_not_input, check_writable


def check_report(path: Path | None, overwrite: bool, inputs: Iterable[Path] = ()) -> None:
    """Refuse a report path now that ``write_report`` would refuse later, or that names an input."""
    if path is None:
        return
    if path.suffix.lower() != ".json":
        raise UserError(f"--json {path}: expected a path ending in .json")
    check_not_input(path, inputs)
    check_writable(path, overwrite)


def write_report(path: Path | None, payload: Any, overwrite: bool) -> None:
    """Write ``payload`` as indented JSON to ``path`` atomically (nothing when None)."""
    if path is None:
        return
    with atomic_output(path, overwrite) as temp:
        temp.write_text(json.dumps(payload, indent=2) + "\n")
