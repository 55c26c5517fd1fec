"""The DAG executor: runs a validated graph, only what the targets need.

Cache keys are Merkle hashes: node type + version + params + fingerprint (file
stats for source nodes) + the keys of the upstream nodes. Tensors are never
hashed. Without a cache, each intermediate is dropped right after its last
consumer has run, so a long chain holds about two intermediates at a time.
"""

from __future__ import annotations

import contextlib
import functools
import graphlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from ahdr_nodes.core.atomic import all_or_nothing, check_not_input
from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.graph_file import PortRef
from ahdr_nodes.core.node import Lineage, Node, NodeContext
from ahdr_nodes.core.validate import ValidGraph, dependencies


class NodeFailed(Exception):
    """A node raised something that is not a UserError: a bug, exit status 1."""

    def __init__(self, node_id: str, node_type: str, error: BaseException) -> None:
        self.node_id, self.node_type, self.error = node_id, node_type, error
        super().__init__(f"node {node_id!r} ({node_type}) failed: {type(error).__name__}: {error}")


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def cache_key(node: Node, upstream: dict[str, tuple[str, str]], wanted: frozenset[str]) -> str:
    """The Merkle key of one node; ``upstream`` maps input port -> (key, port).

    ``wanted`` (the outputs anything reads) is part of the key because a node may
    skip outputs nobody reads.
    """
    payload = {
        "wanted": sorted(wanted),
        "type": node.type_name,
        "version": node.version,
        "params": _canonical(node.param_values),
        "fingerprint": node.fingerprint(),
        "inputs": {port: list(src) for port, src in sorted(upstream.items())},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


class Executor:
    """Runs validated graphs and calls the execution hooks around each node.

    ``cache``, if given, maps cache keys to node outputs and persists across
    runs: a rerun executes only nodes whose key changed.
    """

    def __init__(self, hook: Any, cache: MutableMapping[str, dict[str, Any]] | None = None) -> None:
        self.hook = hook
        self.cache = cache
        self.records: dict[str, dict[str, Any]] = {}  # cache key -> what the node recorded

    def needed(self, graph: ValidGraph, targets: list[str] | None = None) -> list[str]:
        """The target nodes and their ancestors, in execution order.

        Within the topological order, nodes with side effects (writers) run as
        late as possible, so a failure anywhere else leaves no output behind.
        """
        deps = dependencies(graph.spec)
        wanted: set[str] = set()
        stack = list(targets if targets is not None else graph.targets)
        while stack:
            node_id = stack.pop()
            if node_id not in wanted:
                wanted.add(node_id)
                stack.extend(deps[node_id])
        sorter = graphlib.TopologicalSorter({n: deps[n] for n in wanted})
        sorter.prepare()
        position = {node_id: i for i, node_id in enumerate(graph.order)}
        order: list[str] = []
        ready: list[str] = []
        while sorter.is_active():
            ready = sorted([*ready, *sorter.get_ready()], key=position.__getitem__)
            pure = [n for n in ready if graph.classes[n].cacheable]
            step = pure or ready[:1]
            for node_id in step:
                order.append(node_id)
                sorter.done(node_id)
            ready = [n for n in ready if n not in step]
        return order

    def run(self, graph: ValidGraph, targets: list[str] | None = None) -> dict[str, Any]:
        """Run what ``targets`` (default: the graph's) need.

        Returns ``{"node.port": value}`` for every output of the target nodes,
        plus the declared graph outputs under their names.
        """
        target_ids = list(targets if targets is not None else graph.targets)
        cached = self.cache if self.cache is not None else {}
        self.records = {key: kept for key, kept in self.records.items() if key in cached}
        plan = self.needed(graph, target_ids)
        remaining, wanted = self._consumers(graph, plan, target_ids)
        nodes = {node_id: self._instantiate(graph, node_id) for node_id in plan}
        read = [path for node in nodes.values() for path in node.files(written=False)]
        for node in nodes.values():
            for path in node.files(written=True):
                check_not_input(path, read)
            node.preflight()
        values: dict[str, dict[str, Any]] = {}
        keys: dict[str, str] = {}
        deps = dependencies(graph.spec)
        with contextlib.ExitStack() as contexts:
            contexts.enter_context(all_or_nothing())  # no partial set of outputs on failure
            for context in self.hook.run_context():
                if context is not None:
                    contexts.enter_context(context)
            for node_id in plan:
                node = nodes.pop(node_id)
                links = graph.upstream(node_id)
                upstream = {p: (keys[r.node], r.port) for p, r in links.items()}
                key = cache_key(node, upstream, wanted[node_id])
                keys[node_id] = key
                lineage = functools.partial(self._lineage, graph, plan, deps, node_id, keys)
                values[node_id] = self._outputs(node, key, links, values, wanted[node_id], lineage)
                for ref in links.values():
                    remaining[ref.node] -= 1
                    if remaining[ref.node] == 0 and ref.node not in target_ids:
                        del values[ref.node]
        results = {f"{n}.{p}": v for n in target_ids for p, v in values[n].items()}
        for name, text in graph.spec.graph_outputs.items():
            ref = PortRef.parse(text)
            if ref is not None and ref.node in values:
                results[name] = values[ref.node][ref.port]
        return results

    @staticmethod
    def _consumers(
        graph: ValidGraph, plan: list[str], targets: list[str]
    ) -> tuple[dict[str, int], dict[str, frozenset[str]]]:
        """Per node: how many inputs read it, and which of its outputs are read."""
        counts = dict.fromkeys(plan, 0)
        read: dict[str, set[str]] = {node_id: set() for node_id in plan}
        for node_id in plan:
            for ref in graph.upstream(node_id).values():
                counts[ref.node] += 1
                read[ref.node].add(ref.port)
        for node_id in targets:
            read[node_id].update(graph.classes[node_id].outputs)
        return counts, {node_id: frozenset(ports) for node_id, ports in read.items()}

    def _lineage(
        self,
        graph: ValidGraph,
        plan: list[str],
        deps: dict[str, set[str]],
        node_id: str,
        keys: dict[str, str],
    ) -> Lineage:
        """Built only when a node reads ``ctx.lineage`` (writers): walking the ancestors
        of every node would make a long chain quadratic."""
        ancestors: set[str] = set()
        stack = list(deps[node_id])
        while stack:
            ancestor = stack.pop()
            if ancestor not in ancestors:
                ancestors.add(ancestor)
                stack.extend(deps[ancestor])
        nodes = tuple(
            {
                "id": upstream,
                "type": graph.nodes[upstream].type,
                "params": _canonical(graph.nodes[upstream].params),
                "records": self.records.get(keys[upstream], {}),
            }
            for upstream in plan
            if upstream in ancestors
        )
        return Lineage(graph.spec.source, keys[node_id], nodes)

    @staticmethod
    def _instantiate(graph: ValidGraph, node_id: str) -> Node:
        spec = graph.nodes[node_id]
        return graph.classes[node_id](node_id, **spec.params)

    def _outputs(
        self,
        node: Node,
        key: str,
        links: dict[str, PortRef],
        values: dict[str, dict[str, Any]],
        wanted: frozenset[str],
        lineage: Callable[[], Lineage],
    ) -> dict[str, Any]:
        if node.cacheable and self.cache is not None and key in self.cache:
            self.hook.node_cached(node_id=node.node_id, node_type=node.type_name, cache_key=key)
            return self.cache[key]
        inputs = {port: values[ref.node][ref.port] for port, ref in links.items()}
        for port_name, port in node.inputs.items():
            if port_name not in inputs:
                inputs[port_name] = None
            elif inputs[port_name] is None and not port.optional:
                source = links[port_name]
                raise UserError(
                    f"node {node.node_id!r} input {port_name!r}: {source} produced "
                    "nothing (is the upstream data present?)"
                )
        outputs = self._call(node, key, inputs, wanted, lineage)
        if node.cacheable and self.cache is not None:
            self.cache[key] = outputs
        return outputs

    def _call(
        self,
        node: Node,
        key: str,
        inputs: dict[str, Any],
        wanted: frozenset[str],
        lineage: Callable[[], Lineage],
    ) -> dict[str, Any]:
        hook = self.hook
        ctx = NodeContext(
            node.node_id,
            on_progress=lambda n, d, t, desc: hook.node_progress(
                node_id=n, done=d, total=t, desc=desc
            ),
            on_message=lambda n, lvl, msg: hook.node_message(node_id=n, level=lvl, message=msg),
            wanted=wanted,
            lineage=lineage,
        )
        hook.before_node(node_id=node.node_id, node_type=node.type_name, cache_key=key)
        start = time.perf_counter()
        try:
            outputs = dict(node.run(ctx, **inputs))
            _check_outputs(node, outputs)
            self.records[key] = ctx.records
        except UserError as exc:
            hook.node_error(node_id=node.node_id, node_type=node.type_name, error=exc)
            raise
        except Exception as exc:
            hook.node_error(node_id=node.node_id, node_type=node.type_name, error=exc)
            raise NodeFailed(node.node_id, node.type_name, exc) from exc
        hook.after_node(
            node_id=node.node_id, node_type=node.type_name, seconds=time.perf_counter() - start
        )
        return outputs


def _check_outputs(node: Node, outputs: dict[str, Any]) -> None:
    """A node must return every declared output with the declared type (or None)."""
    missing = set(node.outputs) - set(outputs)
    if missing:
        raise TypeError(f"{node.type_name}.run() did not return outputs {sorted(missing)}")
    for name, port in node.outputs.items():
        value = outputs[name]
        if value is not None and port.type is not object and not isinstance(value, port.type):
            raise TypeError(
                f"{node.type_name}.run() returned {type(value).__name__} for output "
                f"{name!r}, declared {port.type.__name__}"
            )


@contextlib.contextmanager
def registered(plugins: Any, *objects: object) -> Iterator[None]:
    """Temporarily register hook implementations (progress bars, profilers)."""
    for obj in objects:
        plugins.pm.register(obj)
    try:
        yield
    finally:
        for obj in objects:
            plugins.pm.unregister(obj)
