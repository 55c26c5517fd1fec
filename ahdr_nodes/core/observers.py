"""Hook implementations registered for one run: progress bars and profiling."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ahdr_nodes.hookspecs import hookimpl

if TYPE_CHECKING:
    from tqdm import tqdm


class ProgressBars:
    """A bar over nodes, and a bar for any node that reports its own progress."""

    def __init__(self, total_nodes: int, enabled: bool = True) -> None:
        from tqdm import tqdm  # on first use: ``ahdr --help`` does not pay for it

        self._tqdm = tqdm
        self.enabled = enabled
        self.nodes = tqdm(
            total=total_nodes,
            desc="graph",
            unit="node",
            disable=not enabled,
            leave=False,
            file=sys.stderr,
        )
        self.inner: tqdm | None = None

    @hookimpl
    def before_node(self, node_id: str, node_type: str, cache_key: str) -> None:
        self.nodes.set_postfix_str(f"{node_id} ({node_type})")

    @hookimpl
    def node_progress(self, node_id: str, done: int, total: int | None, desc: str) -> None:
        if not self.enabled:
            return
        if self.inner is None or self.inner.total != total or done == 0:
            self._close_inner()
            self.inner = self._tqdm(
                total=total, desc=f"{node_id} {desc}".strip(), leave=False, file=sys.stderr
            )
        self.inner.n = done
        self.inner.refresh()

    @hookimpl
    def node_message(self, node_id: str, level: str, message: str) -> None:
        self._tqdm.write(f"{level}: {node_id}: {message}", file=sys.stderr)

    @hookimpl
    def after_node(self, node_id: str, node_type: str, seconds: float) -> None:
        self._close_inner()
        self.nodes.update(1)

    @hookimpl
    def node_cached(self, node_id: str, node_type: str, cache_key: str) -> None:
        self.nodes.update(1)

    def _close_inner(self) -> None:
        if self.inner is not None:
            self.inner.close()
            self.inner = None

    def close(self) -> None:
        self._close_inner()
        self.nodes.close()


class Profiler:
    """Per-node wall time, printed as a table by ``ahdr run --profile``."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float]] = []
        self.started = time.perf_counter()

    @hookimpl
    def after_node(self, node_id: str, node_type: str, seconds: float) -> None:
        self.rows.append((node_id, node_type, seconds))

    def table(self) -> str:
        total = time.perf_counter() - self.started
        width = max([len(r[0]) for r in self.rows] + [4])
        kind = max([len(r[1]) for r in self.rows] + [4])
        lines = [f"{'node':<{width}}  {'type':<{kind}}  {'seconds':>9}  {'share':>6}"]
        for node_id, node_type, seconds in self.rows:
            share = 100 * seconds / total if total else 0.0
            lines.append(f"{node_id:<{width}}  {node_type:<{kind}}  {seconds:9.3f}  {share:5.1f}%")
        lines.append(f"{'total':<{width}}  {'':<{kind}}  {total:9.3f}")
        return "\n".join(lines)


def describe_value(value: Any) -> str:
    """A short description of a node output for the run summary (a file: its path)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    shape = getattr(value, "shape", None) or getattr(getattr(value, "data", None), "shape", None)
    name = type(value).__name__
    return f"{name} {tuple(shape)}" if shape is not None else f"{name}: {value!s:.80}"
