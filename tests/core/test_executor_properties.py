"""Property tests of the executor on random DAGs, with an in-process plugin."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ahdr_nodes import Input, Node, Output, Param, hookimpl
from ahdr_nodes.core.executor import Executor, registered
from ahdr_nodes.core.graph_file import GraphSpec, NodeSpec
from ahdr_nodes.core.plugins import Plugins
from ahdr_nodes.core.validate import GraphValidationError, validate


class Value:
    def __init__(self, total: float) -> None:
        self.total = total


class Source(Node):
    """A source with a fingerprinted file and a numeric param."""

    out = Output(Value)
    seed = Param(float, 0.0)
    path = Param(str, "", input_file=True)

    def run(self, ctx):
        extra = float(Path(self.path).read_text()) if self.path else 0.0
        return {"out": Value(self.seed + extra)}


class Combine(Node):
    """Sums up to three optional inputs plus its own param."""

    a = Input(Value, optional=True)
    b = Input(Value, optional=True)
    c = Input(Value, optional=True)
    out = Output(Value)
    seed = Param(float, 0.0)

    def run(self, ctx, a, b, c):
        return {"out": Value(self.seed + sum(v.total for v in (a, b, c) if v is not None))}


class Recorder:
    """Records which nodes ran (not cached) through the execution hooks."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.cached: list[str] = []

    @hookimpl
    def before_node(self, node_id, node_type, cache_key):
        self.ran.append(node_id)

    @hookimpl
    def node_cached(self, node_id, node_type, cache_key):
        self.cached.append(node_id)


class TestNodes:
    @hookimpl
    def register_nodes(self, register):
        register(Source)
        register(Combine)


@pytest.fixture(scope="module")
def plugins():
    loaded = Plugins()
    loaded.add(TestNodes(), "test-nodes", "1", builtin=False)
    return loaded


@st.composite
def dags(draw, max_nodes: int = 12):
    """A random DAG: node i reads from up to three of the nodes before it."""
    count = draw(st.integers(2, max_nodes))
    nodes = [NodeSpec("n0", "Source", {"seed": draw(st.floats(-5, 5))})]
    for index in range(1, count):
        parents = draw(st.lists(st.integers(0, index - 1), max_size=3, unique=True))
        if not parents:
            nodes.append(NodeSpec(f"n{index}", "Source", {"seed": float(index)}))
            continue
        inputs = {port: f"n{p}.out" for port, p in zip("abc", parents, strict=False)}
        nodes.append(NodeSpec(f"n{index}", "Combine", {"seed": float(index)}, inputs))
    targets = draw(st.lists(st.sampled_from([n.id for n in nodes]), min_size=1, unique=True))
    return GraphSpec(nodes), targets


def ancestors(spec: GraphSpec, targets: list[str]) -> set[str]:
    found, stack = set(), list(targets)
    while stack:
        node = spec.node(stack.pop())
        if node.id not in found:
            found.add(node.id)
            stack.extend(ref.split(".")[0] for ref in node.inputs.values())
    return found


@settings(max_examples=60, deadline=None)
@given(dags())
def test_runs_each_needed_node_once_after_its_inputs(plugins, dag):
    spec, targets = dag
    graph = validate(spec, plugins.registry)
    recorder = Recorder()
    with registered(plugins, recorder):
        Executor(plugins.hook).run(graph, targets)
    assert sorted(recorder.ran) == sorted(ancestors(spec, targets))
    assert len(recorder.ran) == len(set(recorder.ran))
    position = {node_id: i for i, node_id in enumerate(recorder.ran)}
    for node_id in recorder.ran:
        for ref in spec.node(node_id).inputs.values():
            assert position[ref.split(".")[0]] < position[node_id]


@settings(max_examples=40, deadline=None)
@given(dags(), st.data())
def test_cached_rerun_runs_only_what_changed(plugins, dag, data):
    spec, targets = dag
    cache: dict = {}
    executor = Executor(plugins.hook, cache=cache)
    first = executor.run(validate(spec, plugins.registry), targets)
    recorder = Recorder()
    with registered(plugins, recorder):
        again = executor.run(validate(spec, plugins.registry), targets)
    assert recorder.ran == []
    assert {k: v.total for k, v in again.items()} == {k: v.total for k, v in first.items()}
    needed = sorted(ancestors(spec, targets))
    changed = data.draw(st.sampled_from(needed))
    # A value no other node has: equal Merkle keys would rightly share the cache.
    spec.node(changed).params["seed"] = 12345.678
    downstream = {n for n in needed if changed in ancestors(spec, [n])}
    recorder = Recorder()
    with registered(plugins, recorder):
        executor.run(validate(spec, plugins.registry), targets)
    assert set(recorder.ran) == downstream


def test_changed_input_file_reruns_its_source(plugins, tmp_path):
    number = tmp_path / "n.txt"
    number.write_text("1")
    spec = GraphSpec(
        [
            NodeSpec("s", "Source", {"path": str(number)}),
            NodeSpec("c", "Combine", {}, {"a": "s.out"}),
        ]
    )
    executor = Executor(plugins.hook, cache={})
    assert executor.run(validate(spec, plugins.registry))["c.out"].total == 1.0
    number.write_text("25")  # different size, so the fingerprint changes even on coarse mtime
    recorder = Recorder()
    with registered(plugins, recorder):
        assert executor.run(validate(spec, plugins.registry))["c.out"].total == 25.0
    assert recorder.ran == ["s", "c"]


@settings(max_examples=40, deadline=None)
@given(dags(), st.data())
def test_cycles_are_named(plugins, dag, data):
    spec, _ = dag
    combines = [n for n in spec.nodes if n.type == "Combine"]
    if not combines:
        return
    child = data.draw(st.sampled_from(combines))
    parent_id = child.inputs[next(iter(child.inputs))].split(".")[0]
    parent = spec.node(parent_id)
    free = [port for port in "abc" if port not in parent.inputs]
    if parent.type != "Combine" or not free:
        return
    parent.inputs[free[0]] = f"{child.id}.out"  # a back edge: child -> parent -> child
    with pytest.raises(GraphValidationError) as info:
        validate(spec, plugins.registry)
    [error] = info.value.errors
    assert error.kind == "cycle"
    members = error.message.split(": ", 1)[1].split(" -> ")
    assert members[0] == members[-1]
    for a, b in zip(members, members[1:], strict=False):
        assert f"{a}.out" in spec.node(b).inputs.values()


class Big:
    """A large intermediate whose lifetime the test watches."""

    alive = 0

    def __init__(self) -> None:
        Big.alive += 1
        self.payload = bytearray(1024)

    def __del__(self) -> None:
        Big.alive -= 1


class MakeBig(Node):
    src = Input(object, optional=True)
    out = Output(object)

    def run(self, ctx, src):
        MakeBig.peak = max(MakeBig.peak, Big.alive + 1)
        return {"out": Big()}


MakeBig.peak = 0


def test_long_chain_holds_about_two_intermediates():
    plugins = Plugins()

    class Chain:
        @hookimpl
        def register_nodes(self, register):
            register(MakeBig)

    plugins.add(Chain(), "chain", "1", builtin=False)
    nodes = [NodeSpec("m0", "MakeBig")]
    nodes += [NodeSpec(f"m{i}", "MakeBig", {}, {"src": f"m{i - 1}.out"}) for i in range(1, 50)]
    result = Executor(plugins.hook).run(validate(GraphSpec(nodes), plugins.registry))
    assert MakeBig.peak <= 2
    alive = weakref.ref(result["m49.out"])
    del result
    gc.collect()
    assert alive() is None


def test_bench_chain_memory_is_about_two_intermediates():
    from ahdr_nodes.core.bench import chain_peak_memory

    result = chain_peak_memory(nodes=8, megabytes=4.0)
    assert 1.9 <= result.intermediates_held <= 2.5


class TwoOutputs(Node):
    """Reports which of its outputs the executor says are read."""

    cheap = Output(object)
    costly = Output(object)

    def run(self, ctx):
        return {"cheap": 1, "costly": 2 if ctx.wants("costly") else None}


def test_nodes_learn_which_outputs_are_read():
    plugins = Plugins()

    class Nodes:
        @hookimpl
        def register_nodes(self, register):
            register(TwoOutputs)
            register(MakeBig)

    plugins.add(Nodes(), "two", "1", builtin=False)
    spec = GraphSpec(
        [NodeSpec("two", "TwoOutputs"), NodeSpec("use", "MakeBig", {}, {"src": "two.cheap"})]
    )
    cache: dict = {}
    executor = Executor(plugins.hook, cache=cache)
    graph = validate(spec, plugins.registry)
    assert executor.run(graph, ["use"]).keys() == {"use.out"}
    assert {"cheap": 1, "costly": None} in cache.values()  # nobody read "costly"
    # As a target, every output is read: a new cache key, and "costly" computed.
    assert executor.run(graph, ["two"]) == {"two.cheap": 1, "two.costly": 2}


class Writer(Node):
    """A side-effect node: it must run after every pure node that is ready."""

    cacheable = False
    src = Input(object, optional=True)
    out = Output(object)

    def run(self, ctx, src):
        return {"out": src}


class Refuser(Node):
    """Fails its preflight check, so nothing in the graph may run."""

    out = Output(object)

    def preflight(self):
        from ahdr_nodes import UserError

        raise UserError("refused up front")

    def run(self, ctx):
        return {"out": 0}


def test_writers_run_last_and_preflight_runs_before_anything():
    plugins = Plugins()

    class Nodes:
        @hookimpl
        def register_nodes(self, register):
            for cls in (Writer, Refuser, MakeBig):
                register(cls)

    plugins.add(Nodes(), "writers", "1", builtin=False)
    spec = GraphSpec(
        [
            NodeSpec("a", "MakeBig"),
            NodeSpec("write_a", "Writer", {}, {"src": "a.out"}),
            NodeSpec("b", "MakeBig", {}, {"src": "a.out"}),
            NodeSpec("write_b", "Writer", {}, {"src": "b.out"}),
        ]
    )
    executor = Executor(plugins.hook)
    assert executor.needed(validate(spec, plugins.registry)) == ["a", "b", "write_a", "write_b"]
    spec.nodes.append(NodeSpec("refuse", "Refuser"))
    recorder = Recorder()
    from ahdr_nodes import UserError

    with registered(plugins, recorder), pytest.raises(UserError, match="refused up front"):
        executor.run(validate(spec, plugins.registry))
    assert recorder.ran == []
