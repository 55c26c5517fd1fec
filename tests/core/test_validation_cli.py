"""Every validation error kind, through the CLI: exit 2, all errors at once."""

from __future__ import annotations

import textwrap

import pytest


def write(tmp_path, text: str):
    path = tmp_path / "graph.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_graph_runs_and_prints_outputs(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        nodes:
          - {id: a, type: Constant, params: {value: 2}}
          - {id: b, type: Constant, params: {value: 3.5}}
          - {id: total, type: Add, inputs: {a: a.out, b: b.out}}
        """,
    )
    assert ahdr("validate", str(path)).code == 0
    result = ahdr("run", str(path), "--profile", "-q")
    assert result.code == 0, result.err
    assert "total.out: Number" in result.out
    assert "total" in result.out.splitlines()[-2]  # the profile table lists the node


def test_all_errors_reported_at_once_with_lines(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        nodes:
          - id: a
            type: Constant
            params: {value: "high", colour: 3}
          - id: a
            type: Constant
          - id: b
            type: Constnat
          - id: c
            type: Add
            inputs:
              a: nowhere.out
              x: a.out
          - id: d
            type: Add
            inputs:
              a: a.missing
              b: b.out
        """,
    )
    result = ahdr("validate", str(path))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    kinds = [line.split(": ")[2] for line in lines]
    assert sorted(kinds) == sorted(
        [
            "bad-param",
            "unknown-param",
            "duplicate-id",
            "unknown-node-type",
            "missing-node",
            "unknown-input",
            "missing-input",
            "missing-port",
        ]
    )
    text = result.err
    assert f"{path}:6: bad-param" in text
    assert "did you mean 'Constant'?" in text
    # no far-fetched hints: neither input 'x' nor node 'nowhere' resembles 'a'
    assert "did you mean 'a'?" not in text
    # b has an unknown type: the edge b.out -> d.b is not reported again
    assert "d.b" not in text and "input 'b'" not in text.split("missing-input")[0]
    assert "Traceback" not in text


def test_type_mismatch_names_expected_and_received(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        nodes:
          - {id: n, type: Constant}
          - {id: text, type: Describe, inputs: {number: n.out}}
          - {id: sum, type: Add, inputs: {a: n.out, b: text.text}}
        """,
    )
    result = ahdr("validate", str(path))
    assert result.code == 2
    assert "type-mismatch" in result.err
    assert "expected Number, received Text" in result.err


def test_cycle_names_its_members(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        nodes:
          - {id: x, type: Add, inputs: {a: y.out, b: z.out}}
          - {id: y, type: Add, inputs: {a: x.out, b: z.out}}
          - {id: z, type: Constant}
        """,
    )
    result = ahdr("run", str(path))
    assert result.code == 2
    assert "cycle" in result.err
    assert "x -> y -> x" in result.err or "y -> x -> y" in result.err


@pytest.mark.parametrize(
    "text, message",
    [
        ("nodes: [", "invalid YAML"),
        ("- just a list", "must be a mapping"),
        ("version: 7\nnodes:\n  - {id: a, type: Constant}", "unsupported graph format version"),
        ("nodes: []", "non-empty list"),
    ],
)
def test_malformed_files(tmp_path, ahdr, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = ahdr("validate", str(path))
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_missing_graph_file(tmp_path, ahdr):
    result = ahdr("run", str(tmp_path / "nope.yaml"))
    assert result.code == 2
    assert "nope.yaml: graph file not found" in result.err


def test_set_overrides_and_declared_inputs(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        inputs: {left: a.value}
        outputs: {sum: total.out}
        nodes:
          - {id: a, type: Constant}
          - {id: b, type: Constant, params: {value: 1}}
          - {id: total, type: Add, inputs: {a: a.out, b: b.out}}
        """,
    )
    from ahdr_nodes.core.runner import run_graph

    assert run_graph(path, {"left": 41, "b.value": 1.5})["sum"].value == 42.5
    bad = ahdr("run", str(path), "--set", "a.value=[1, 2]")
    assert bad.code == 2 and "bad-param" in bad.err
    unknown = ahdr("run", str(path), "--set", "right=3")
    assert unknown.code == 2 and "no such graph input" in unknown.err


def test_show_formats(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        nodes:
          - {id: a, type: Constant}
          - {id: total, type: Add, inputs: {a: a.out, b: a.out}}
        """,
    )
    mermaid = ahdr("show", str(path), "--format", "mermaid")
    assert mermaid.out.startswith("flowchart LR") and "a -->" in mermaid.out
    dot = ahdr("show", str(path), "--format", "dot")
    assert dot.out.startswith("digraph") and '"a" -> "total"' in dot.out


def test_node_user_error_is_one_line_exit_2(tmp_path, ahdr):
    path = write(
        tmp_path,
        f"""
        version: 1
        nodes:
          - {{id: r, type: ReadNumber, params: {{path: "{tmp_path / "missing.txt"}"}}}}
        """,
    )
    result = ahdr("run", str(path))
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "missing.txt" in result.err


def test_graph_input_may_set_several_params(tmp_path):
    from ahdr_nodes.core.runner import run_graph

    path = write(
        tmp_path,
        """
        version: 1
        inputs: {both: [a.value, b.value]}
        outputs: {sum: total.out}
        nodes:
          - {id: a, type: Constant}
          - {id: b, type: Constant}
          - {id: total, type: Add, inputs: {a: a.out, b: b.out}}
        """,
    )
    assert run_graph(path, {"both": 2.5})["sum"].value == 5.0


def test_declared_inputs_and_outputs_are_validated(tmp_path, ahdr):
    path = write(
        tmp_path,
        """
        version: 1
        inputs: {x: a.nope, y: ghost.value}
        outputs: {z: a.missing}
        nodes:
          - {id: a, type: Constant}
        """,
    )
    result = ahdr("validate", str(path))
    assert result.code == 2
    assert result.err.count("bad-graph-input") == 2
    assert "bad-graph-output" in result.err


def test_a_node_types_own_check_runs_in_validation():
    """``check_params`` sees every param (defaults filled in) and names the culprit."""
    from ahdr_nodes import Node, Output, Param, ParamError, hookimpl
    from ahdr_nodes.core.graph_file import parse_graph
    from ahdr_nodes.core.plugins import Plugins
    from ahdr_nodes.core.validate import GraphValidationError, validate

    class Window(Node):
        out = Output(object)
        low = Param(float, 0.0)
        high = Param(float, 1.0)

        @classmethod
        def check_params(cls, values):
            if values["low"] >= values["high"]:
                raise ParamError(f"low {values['low']} must be below high", "low")

        def run(self, ctx):
            return {"out": (self.low, self.high)}

    class Plugin:
        @hookimpl
        def register_nodes(self, register):
            register(Window)

    plugins = Plugins()
    plugins.add(Plugin(), "window", None, builtin=False)
    good = "nodes:\n  - {id: w, type: Window, params: {low: 0.5}}\n"
    assert validate(parse_graph(good), plugins.registry).order == ["w"]
    bad = "nodes:\n  - id: w\n    type: Window\n    params: {low: 2.0}\n"
    with pytest.raises(GraphValidationError) as caught:
        validate(parse_graph(bad, "g.yaml"), plugins.registry)
    (error,) = caught.value.errors
    assert error.format("g.yaml") == (
        "g.yaml:4: bad-param: node 'w' (Window) param 'low': low 2.0 must be below high"
    )
    with pytest.raises(ParamError):
        Window("w", low=2.0)  # the Python path refuses the same
