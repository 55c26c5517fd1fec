"""Classes 4 and 7: YAML that is huge once expanded, or deeply nested, is refused in
one short line, from graph files, --set values and manifests alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_support import assert_refused


def _laughs(levels: int = 9) -> str:
    """An anchor chain: 9**levels values once expanded, a few hundred bytes on disk."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        items = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{items}]")
    return "\n".join(lines)


def _graph(param_value: str, anchors: str = "") -> str:
    """A one-node graph; ``anchors`` (refused at load) go first as top-level keys."""
    return (
        f"{anchors}\nversion: 1\n"
        f"nodes:\n  - id: tonemap\n    type: Tonemap\n    params: {{mu: {param_value}}}\n"
    )


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        (_graph("*l8", _laughs()), "YAML expands to more than"),
        (_graph("[" * 50_000 + "]" * 50_000), "YAML nested too deeply"),
        (_graph("[" * 100 + "]" * 100), "YAML nested more than"),
    ],
)
def test_a_graph_file_too_big_or_deep_is_refused(ahdr, tmp_path: Path, text: str, culprit: str):
    graph = tmp_path / "g.yaml"
    graph.write_text(text)
    result = ahdr("validate", str(graph))
    assert_refused(result.code, result.err, f"{graph}: {culprit}")


def test_a_set_value_too_deep_is_refused(ahdr) -> None:
    result = ahdr("validate", "debevec", "--set", "tonemap.mu=" + "[" * 30_000 + "]" * 30_000)
    assert_refused(result.code, result.err, "--set tonemap.mu: YAML nested too deeply")


def test_a_manifest_alias_bomb_is_refused(ahdr, tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(_laughs() + "\nscenes: *l8\n")
    result = ahdr("batch", "debevec", str(manifest), str(tmp_path / "out"))
    assert_refused(result.code, result.err, f"{manifest}: YAML expands to more than")


def test_a_long_bad_value_is_cut_short_in_the_message(ahdr) -> None:
    result = ahdr("validate", "debevec", "--set", "tonemap.mu=" + "x" * 100_000)
    assert result.code == 2
    assert "expected float" in result.err
    assert max(map(len, result.err.splitlines())) < 400


@pytest.mark.parametrize("key", ["1", "yes", "null", "1.5"])
@pytest.mark.parametrize("section", ["params", "inputs"])
def test_a_key_that_yaml_reads_as_no_name_is_refused(
    ahdr, tmp_path: Path, key: str, section: str
) -> None:
    # found by the fuzz: `null: tonemap.image` ended validation with a TypeError
    graph = tmp_path / "g.yaml"
    graph.write_text(
        f"version: 1\nnodes:\n  - id: t\n    type: Tonemap\n    {section}: {{{key}: x.image}}\n"
    )
    result = ahdr("validate", str(graph))
    assert_refused(result.code, result.err, f"node 't': '{section}' keys must be names")
