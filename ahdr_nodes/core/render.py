"""Render a graph as Mermaid or Graphviz dot text for docs and reviews.

Ids, types and port names come from the graph file, so every one is escaped for
the target language: a node id holding quotes must not add nodes, edges or
attributes to the rendered graph.
"""

from __future__ import annotations

import re

from ahdr_nodes.core.graph_file import GraphSpec, PortRef

_MERMAID_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters that end or change a Mermaid label, written as its #NUMBER; entities.
_MERMAID_SPECIAL = set('"#<>&|[](){}\n\r')


def _edges(spec: GraphSpec) -> list[tuple[str, str, str]]:
    edges = []
    for node in spec.nodes:
        for port, text in node.inputs.items():
            ref = PortRef.parse(text)
            if ref is not None:
                edges.append((ref.node, node.id, f"{ref.port} → {port}"))
    return edges


def _mermaid_text(text: str) -> str:
    return "".join(f"#{ord(c)};" if c in _MERMAID_SPECIAL else c for c in str(text))


def _dot_text(text: str) -> str:
    """The inside of a DOT quoted string: backslashes, quotes and line breaks escaped."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r", "").replace("\n", "\\n")


def to_mermaid(spec: GraphSpec) -> str:
    # an id that is not a plain identifier (a node's, or an edge's unknown source)
    # is drawn under a generated one
    edges = _edges(spec)
    ids = dict.fromkeys([*(node.id for node in spec.nodes), *(src for src, _, _ in edges)])
    names = {
        name: name if _MERMAID_ID.fullmatch(str(name)) else f"node{index}"
        for index, name in enumerate(ids)
    }
    lines = ["flowchart LR"]
    lines += [
        f'    {names[node.id]}["{_mermaid_text(node.id)}<br/><i>{_mermaid_text(node.type)}</i>"]'
        for node in spec.nodes
    ]
    lines += [
        f'    {names[src]} -->|"{_mermaid_text(label)}"| {names[dst]}' for src, dst, label in edges
    ]
    return "\n".join(lines) + "\n"


def to_dot(spec: GraphSpec) -> str:
    lines = ["digraph graph_file {", "    rankdir=LR;", "    node [shape=box];"]
    lines += [
        f'    "{_dot_text(node.id)}" [label="{_dot_text(node.id)}\\n{_dot_text(node.type)}"];'
        for node in spec.nodes
    ]
    lines += [
        f'    "{_dot_text(src)}" -> "{_dot_text(dst)}" [label="{_dot_text(label)}"];'
        for src, dst, label in _edges(spec)
    ]
    return "\n".join(lines) + "\n}\n"
