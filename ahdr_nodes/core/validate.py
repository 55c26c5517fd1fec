"""Validation of a whole graph before anything runs.

Every problem is collected as a :class:`GraphError` record; nothing stops at
the first. Errors that only follow from another error (an edge from a node of
unknown type, say) are not repeated.
"""

from __future__ import annotations

import difflib
import graphlib
from dataclasses import dataclass, field
from typing import Any

from ahdr_nodes.core.graph_file import GraphSpec, NodeSpec, PortRef
from ahdr_nodes.core.node import Node, ParamError, compatible
from ahdr_nodes.core.plugins import NodeRegistry


@dataclass
class GraphError:
    """One validation problem, printable on one line."""

    kind: str
    message: str
    node: str | None = None
    field: str | None = None
    expected: str | None = None
    received: str | None = None
    hint: str | None = None
    line: int | None = None

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        text = f"{where}: {self.kind}: {self.message}"
        if self.received is not None:
            text += f" (expected {self.expected}, received {self.received})"
        elif self.expected is not None:
            text += f" (expected {self.expected})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ValidGraph:
    """A graph that passed validation: node classes resolved, edges checked."""

    spec: GraphSpec
    classes: dict[str, type[Node]]
    order: list[str]
    targets: list[str]
    nodes: dict[str, NodeSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes = {node.id: node for node in self.spec.nodes}

    def upstream(self, node_id: str) -> dict[str, PortRef]:
        """Input port -> the upstream ``node.port`` it reads."""
        inputs = self.nodes[node_id].inputs
        return {port: PortRef.parse(ref) for port, ref in inputs.items()}  # type: ignore[misc]


class GraphValidationError(Exception):
    """Raised with every collected error when a graph is not valid."""

    def __init__(self, source: str, errors: list[GraphError]) -> None:
        self.source = source
        self.errors = errors
        super().__init__("\n".join(error.format(source) for error in errors))


def _did_you_mean(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def validate(spec: GraphSpec, registry: NodeRegistry) -> ValidGraph:
    """Check a graph spec completely; raise GraphValidationError with all errors."""
    errors = [GraphError("format", message, line=line) for message, line in spec.problems]
    by_id = {node.id: node for node in reversed(spec.nodes)}
    classes: dict[str, type[Node]] = {}
    seen: set[str] = set()
    for node in spec.nodes:
        if node.id in seen:
            errors.append(
                GraphError(
                    "duplicate-id",
                    f"node id {node.id!r} is used more than once",
                    node=node.id,
                    line=node.line,
                )
            )
            continue
        seen.add(node.id)
        cls = registry.get(node.type)
        if cls is None:
            errors.append(
                GraphError(
                    "unknown-node-type",
                    f"node {node.id!r} has unknown type {node.type!r}",
                    node=node.id,
                    hint=_did_you_mean(node.type, registry.names()),
                    line=node.line_of("type"),
                )
            )
            continue
        classes[node.id] = cls
        errors.extend(_check_params(node, cls))
    for node in spec.nodes:
        if node.id in classes:
            errors.extend(_check_inputs(node, classes[node.id], by_id, classes))
    errors.extend(_check_declared(spec, by_id, classes))
    order: list[str] = []
    if not errors:
        order, cycle_error = _order(spec)
        if cycle_error:
            errors.append(cycle_error)
    if errors:
        raise GraphValidationError(spec.source, errors)
    return ValidGraph(spec, classes, order, _targets(spec))


def _check_params(node: NodeSpec, cls: type[Node]) -> list[GraphError]:
    errors = []
    values: dict[str, Any] = {}
    for name, value in node.params.items():
        param = cls.params.get(name)
        if param is None:
            errors.append(
                GraphError(
                    "unknown-param",
                    f"node {node.id!r} ({cls.type_name}) has no param {name!r}",
                    node=node.id,
                    field=name,
                    hint=_did_you_mean(name, list(cls.params)),
                    line=node.line_of("params", name),
                )
            )
            continue
        try:
            values[name] = param.coerce(value)
        except ParamError as exc:
            errors.append(
                GraphError(
                    "bad-param",
                    f"node {node.id!r} param {name!r}: {exc}",
                    node=node.id,
                    field=name,
                    line=node.line_of("params", name),
                )
            )
    for name, param in cls.params.items():
        if param.required and name not in node.params:
            errors.append(
                GraphError(
                    "missing-param",
                    f"node {node.id!r} ({cls.type_name}) needs param {name!r}",
                    node=node.id,
                    field=name,
                    expected=param.type_label(),
                    line=node.line,
                )
            )
    if not errors:
        errors.extend(_check_node(node, cls, values))
    return errors


def _check_node(node: NodeSpec, cls: type[Node], values: dict[str, Any]) -> list[GraphError]:
    """The node type's own validation step, on params that each passed theirs."""
    defaults = {name: param.default for name, param in cls.params.items() if name not in values}
    try:
        cls.check_params({**defaults, **values})
    except ParamError as exc:
        field = exc.param
        return [
            GraphError(
                "bad-param",
                f"node {node.id!r} ({cls.type_name})"
                + (f" param {field!r}" if field else "")
                + f": {exc}",
                node=node.id,
                field=field,
                line=node.line_of("params", field) if field else node.line,
            )
        ]
    return []


def _check_inputs(
    node: NodeSpec, cls: type[Node], by_id: dict[str, NodeSpec], classes: dict[str, type[Node]]
) -> list[GraphError]:
    errors = []
    for port_name, text in node.inputs.items():
        line = node.line_of("inputs", port_name)
        port = cls.inputs.get(port_name)
        if port is None:
            errors.append(
                GraphError(
                    "unknown-input",
                    f"node {node.id!r} ({cls.type_name}) has no input {port_name!r}",
                    node=node.id,
                    field=port_name,
                    hint=_did_you_mean(port_name, list(cls.inputs)),
                    line=line,
                )
            )
            continue
        ref = PortRef.parse(text)
        if ref is None:
            errors.append(
                GraphError(
                    "bad-reference",
                    f"node {node.id!r} input {port_name!r}: {text!r} is not 'node.port'",
                    node=node.id,
                    field=port_name,
                    line=line,
                )
            )
            continue
        source = by_id.get(ref.node)
        if source is None:
            errors.append(
                GraphError(
                    "missing-node",
                    f"node {node.id!r} input {port_name!r} refers to missing node {ref.node!r}",
                    node=node.id,
                    field=port_name,
                    hint=_did_you_mean(ref.node, list(by_id)),
                    line=line,
                )
            )
            continue
        source_cls = classes.get(ref.node)
        if source_cls is None:
            continue  # already reported at the source node
        output = source_cls.outputs.get(ref.port)
        if output is None:
            errors.append(
                GraphError(
                    "missing-port",
                    f"node {node.id!r} input {port_name!r}: {source_cls.type_name} "
                    f"node {ref.node!r} has no output {ref.port!r}",
                    node=node.id,
                    field=port_name,
                    hint=_did_you_mean(ref.port, list(source_cls.outputs)),
                    line=line,
                )
            )
            continue
        if not compatible(output.type, port.type):
            errors.append(
                GraphError(
                    "type-mismatch",
                    f"edge {ref} -> {node.id}.{port_name}",
                    node=node.id,
                    field=port_name,
                    expected=port.type.__name__,
                    received=output.type.__name__,
                    line=line,
                )
            )
    for port_name, port in cls.inputs.items():
        if not port.optional and port_name not in node.inputs:
            errors.append(
                GraphError(
                    "missing-input",
                    f"node {node.id!r} ({cls.type_name}) needs input {port_name!r}",
                    node=node.id,
                    field=port_name,
                    expected=port.type.__name__,
                    line=node.line,
                )
            )
    return errors


def _check_declared(
    spec: GraphSpec, by_id: dict[str, NodeSpec], classes: dict[str, type[Node]]
) -> list[GraphError]:
    errors = []
    for name, targets in spec.graph_inputs.items():
        for target in targets:
            ref = PortRef.parse(target)
            cls = classes.get(ref.node) if ref else None
            if ref is None or ref.node not in by_id:
                message = f"graph input {name!r} -> {target!r}: no such node.param"
            elif cls is not None and ref.port not in cls.params:
                message = f"graph input {name!r}: node {ref.node!r} has no param {ref.port!r}"
            else:
                continue
            errors.append(GraphError("bad-graph-input", message, field=name))
    for name, target in spec.graph_outputs.items():
        ref = PortRef.parse(target)
        cls = classes.get(ref.node) if ref else None
        if ref is None or ref.node not in by_id:
            errors.append(
                GraphError(
                    "bad-graph-output",
                    f"graph output {name!r} -> {target!r}: no such node.port",
                    field=name,
                )
            )
        elif cls is not None and ref.port not in cls.outputs:
            errors.append(
                GraphError(
                    "bad-graph-output",
                    f"graph output {name!r}: node {ref.node!r} has no output {ref.port!r}",
                    field=name,
                )
            )
    return errors


def dependencies(spec: GraphSpec) -> dict[str, set[str]]:
    """node id -> ids of the nodes it reads from."""
    deps: dict[str, set[str]] = {}
    for node in spec.nodes:
        refs = (PortRef.parse(text) for text in node.inputs.values())
        deps[node.id] = {ref.node for ref in refs if ref is not None}
    return deps


def _order(spec: GraphSpec) -> tuple[list[str], GraphError | None]:
    sorter = graphlib.TopologicalSorter(dependencies(spec))
    try:
        return list(sorter.static_order()), None
    except graphlib.CycleError as exc:
        members = exc.args[1]
        path = " -> ".join(members)
        first = spec.node(members[0])
        return [], GraphError(
            "cycle",
            f"the graph has a cycle: {path}",
            node=members[0],
            line=first.line if first else None,
        )


def _targets(spec: GraphSpec) -> list[str]:
    """The nodes a run must reach: those of declared outputs, else every sink."""
    if spec.graph_outputs:
        refs = (PortRef.parse(text) for text in spec.graph_outputs.values())
        return list(dict.fromkeys(ref.node for ref in refs if ref is not None))
    consumed = {dep for deps in dependencies(spec).values() for dep in deps}
    return [node.id for node in spec.nodes if node.id not in consumed]
