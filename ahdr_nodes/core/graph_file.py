"""Reading YAML graph files into specs that remember their line numbers.

Only ``yaml.safe_load`` semantics are used; the loader merely records where
each mapping and key stood so validation can point at the right line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.yaml_limits import load_yaml, shown

GRAPH_FORMAT_VERSION = 1


class _LineDict(dict):
    """A dict that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class PortRef:
    """``node_id.port`` as written in a graph file."""

    node: str
    port: str

    @classmethod
    def parse(cls, text: Any) -> PortRef | None:
        if not isinstance(text, str) or text.count(".") != 1:
            return None
        node, port = text.split(".")
        return cls(node, port) if node and port else None

    def __str__(self) -> str:
        return f"{self.node}.{self.port}"


@dataclass
class NodeSpec:
    """One node entry of a graph file, before validation."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, section: str, key: str | None = None) -> int | None:
        return self.lines.get(f"{section}.{key}") or self.lines.get(section) or self.line


@dataclass
class GraphSpec:
    """A parsed graph file: nodes plus optional declared inputs and outputs.

    ``graph_inputs`` maps a public name to one or more ``node.param`` so
    ``--set name=value`` (or ``inputs={name: value}``) works without knowing
    node ids; ``graph_outputs`` maps a name to ``node.port`` and selects what a
    run must produce.
    """

    nodes: list[NodeSpec]
    graph_inputs: dict[str, list[str]] = field(default_factory=dict)
    graph_outputs: dict[str, str] = field(default_factory=dict)
    source: str = "<graph>"
    version: int = GRAPH_FORMAT_VERSION
    problems: list[tuple[str, int | None]] = field(default_factory=list)

    def node(self, node_id: str) -> NodeSpec | None:
        return next((spec for spec in self.nodes if spec.id == node_id), None)


def load_graph_file(path: str | Path) -> GraphSpec:
    """Read a graph file; a missing or malformed file is a UserError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: graph file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read graph file ({exc})") from None
    return parse_graph(text, source=str(path))


def parse_graph(text: str, source: str = "<graph>") -> GraphSpec:
    """Parse graph YAML text. Structural problems are collected, not raised."""
    try:
        data = load_yaml(text, source, _LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{source}{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{source}: a graph file must be a mapping with a 'nodes' list")
    spec = GraphSpec(nodes=[], source=source)
    lines = getattr(data, "key_lines", {})
    version = data.get("version", GRAPH_FORMAT_VERSION)
    if version != GRAPH_FORMAT_VERSION:
        spec.problems.append(
            (
                f"unsupported graph format version {version!r} "
                f"(this tool reads {GRAPH_FORMAT_VERSION})",
                lines.get("version"),
            )
        )
    for key in set(data) - {"version", "nodes", "inputs", "outputs", "description"}:
        spec.problems.append((f"unknown top-level key {key!r}", lines.get(key)))
    inputs = data.get("inputs") or {}
    if isinstance(inputs, dict) and all(_is_targets(v) for v in inputs.values()):
        spec.graph_inputs = {
            str(k): [v] if isinstance(v, str) else list(v) for k, v in inputs.items()
        }
    else:
        spec.problems.append(
            ("'inputs' must map names to 'node.param' (or a list of them)", lines.get("inputs"))
        )
    outputs = data.get("outputs") or {}
    if isinstance(outputs, dict) and all(isinstance(v, str) for v in outputs.values()):
        spec.graph_outputs = {str(k): v for k, v in outputs.items()}
    else:
        spec.problems.append(("'outputs' must map names to 'node.port'", lines.get("outputs")))
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        spec.problems.append(("'nodes' must be a non-empty list", lines.get("nodes")))
        return spec
    for index, entry in enumerate(nodes):
        node = _parse_node(entry, index, spec)
        if node is not None:
            spec.nodes.append(node)
    return spec


def _is_targets(value: Any) -> bool:
    """A graph input names one ``node.param`` or a list of them."""
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _parse_node(entry: Any, index: int, spec: GraphSpec) -> NodeSpec | None:
    line = getattr(entry, "line", None)
    if not isinstance(entry, dict):
        spec.problems.append((f"nodes[{index}] must be a mapping with 'id' and 'type'", line))
        return None
    node_id, node_type = entry.get("id"), entry.get("type")
    if not isinstance(node_id, str) or not node_id or "." in node_id:
        spec.problems.append((f"nodes[{index}] needs an 'id' string without dots", line))
        return None
    if not isinstance(node_type, str):
        spec.problems.append((f"node {node_id!r} needs a 'type' string", line))
        return None
    unknown = set(entry) - {"id", "type", "params", "inputs"}
    for key in sorted(unknown, key=str):  # keys may be ints or booleans too
        spec.problems.append((f"node {node_id!r}: unknown key {key!r}", entry.key_lines.get(key)))
    params, inputs = entry.get("params") or {}, entry.get("inputs") or {}
    lines = {
        section: entry.key_lines[section]
        for section in ("params", "inputs", "type")
        if section in entry.key_lines
    }
    for section, value in (("params", params), ("inputs", inputs)):
        if not isinstance(value, dict):
            spec.problems.append(
                (f"node {node_id!r}: '{section}' must be a mapping", lines.get(section, line))
            )
            return None
        odd = [key for key in value if not isinstance(key, str)]
        if odd:  # YAML reads `1:`, `yes:` or `null:` as a number, boolean or None
            spec.problems.append(
                (
                    f"node {node_id!r}: '{section}' keys must be names, got {shown(odd[0])}",
                    lines.get(section, line),
                )
            )
            return None
        for key, key_line in getattr(value, "key_lines", {}).items():
            lines[f"{section}.{key}"] = key_line
    return NodeSpec(node_id, node_type, dict(params), dict(inputs), line, lines)


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``--set`` strings -> typed inputs: ``NAME=VALUE`` or ``NODE.PARAM=VALUE``,
    values as YAML (``[a, b]``, ``2.5``, ``true``). Only the CLI parses strings;
    Python callers pass values to :func:`apply_inputs` directly."""
    inputs: dict[str, Any] = {}
    for item in items:
        target, sep, raw = item.partition("=")
        if not sep or not target:
            raise UserError(f"--set {item!r}: expected NAME=VALUE or NODE.PARAM=VALUE")
        try:
            inputs[target] = load_yaml(raw, f"--set {target}") if raw.strip() else ""
        except yaml.YAMLError:
            inputs[target] = raw
    return inputs


def apply_inputs(spec: GraphSpec, inputs: Mapping[str, Any]) -> None:
    """Set each declared graph input ``NAME`` (every ``node.param`` it names) or
    ``NODE.PARAM`` to its value; the values are checked when the graph is validated."""
    for target, value in inputs.items():
        targets = spec.graph_inputs.get(target, [target])
        for node_param in targets:
            node_id, dot, param = node_param.partition(".")
            node = spec.node(node_id) if dot else None
            if node is None or not param:
                names = ", ".join(sorted(spec.graph_inputs)) or "none declared"
                raise UserError(
                    f"{target}: no such graph input or node.param (graph inputs: {names})"
                )
            node.params[param] = value
