"""Render a graph as Mermaid or Graphviz dot text for docs and reviews."""

from __future__ import annotations

from ahdr_nodes.core.graph_file import GraphSpec, PortRef


def _edges(spec: GraphSpec) -> list[tuple[str, str, str]]:
    edges = []
    for node in spec.nodes:
        for port, text in node.inputs.items():
            ref = PortRef.parse(text)
            if ref is not None:
                edges.append((ref.node, node.id, f"{ref.port} → {port}"))
    return edges


def to_mermaid(spec: GraphSpec) -> str:
    lines = ["flowchart LR"]
    lines += [f'    {node.id}["{node.id}<br/><i>{node.type}</i>"]' for node in spec.nodes]
    lines += [f'    {src} -->|"{label}"| {dst}' for src, dst, label in _edges(spec)]
    return "\n".join(lines) + "\n"


def to_dot(spec: GraphSpec) -> str:
    lines = ["digraph graph_file {", "    rankdir=LR;", "    node [shape=box];"]
    lines += [f'    "{node.id}" [label="{node.id}\\n{node.type}"];' for node in spec.nodes]
    lines += [f'    "{src}" -> "{dst}" [label="{label}"];' for src, dst, label in _edges(spec)]
    return "\n".join(lines) + "\n}\n"
