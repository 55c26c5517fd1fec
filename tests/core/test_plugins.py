"""Plugin loading with real entry-point packages installed by the test set-up."""

from __future__ import annotations

import json
import subprocess
import sys

from ahdr_nodes import Node, Output, hookimpl
from ahdr_nodes.core.plugins import load_plugins


def plugin_named(infos, name):
    return next(info for info in infos if info["name"] == name)


def test_third_party_plugin_listed_with_nodes(ahdr):
    result = ahdr("plugins", "--json")
    assert result.code == 0
    infos = json.loads(result.out)
    example = plugin_named(infos, "example")
    assert example["version"] == "0.3.1"
    assert example["status"] == "loaded"
    assert {"Constant", "Add", "ReadNumber", "Describe"} <= set(example["nodes"])
    assert example["hooks"] == ["register_nodes"]


def test_broken_plugin_reported_others_keep_working(ahdr):
    infos = json.loads(ahdr("plugins", "--json").out)
    broken = plugin_named(infos, "broken")
    assert broken["status"] == "failed"
    assert "broken on purpose" in broken["error"]
    nodes = json.loads(ahdr("nodes", "--json").out)
    assert {"Constant", "Add"} <= {node["type"] for node in nodes}


def test_nodes_json_describes_ports_and_params(ahdr):
    nodes = {node["type"]: node for node in json.loads(ahdr("nodes", "--json").out)}
    constant = nodes["Constant"]
    assert constant["plugin"] == "example"
    assert constant["outputs"] == {"out": {"type": "Number", "doc": ""}}
    assert constant["params"]["value"]["default"] == 0.0


def run_cli(*args, env_extra):
    import os

    env = dict(os.environ, **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "ahdr_nodes", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_disable_env_var_blocks_named_and_all():
    named = run_cli("plugins", "--json", env_extra={"AHDR_DISABLE_PLUGINS": "example"})
    names = {info["name"] for info in json.loads(named.stdout)}
    assert "example" not in names and "broken" in names
    every = run_cli("plugins", "--json", env_extra={"AHDR_DISABLE_PLUGINS": "all"})
    infos = json.loads(every.stdout)
    assert all(info["builtin"] for info in infos)


def test_misspelt_hook_is_caught_in_process():
    class Misspelt:
        @hookimpl
        def register_node(self, register):  # missing "s"
            raise AssertionError("never called")

    plugins = load_plugins(builtins=())
    plugins.add(Misspelt(), "misspelt", "1.0", builtin=False)
    info = plugins.infos[-1]
    assert info.error and "register_node" in info.error
    assert not plugins.pm.is_registered(info)


def test_duplicate_node_name_is_a_plugin_error():
    class Twin(Node):
        type_name = "Constant"
        out = Output(object)

        def run(self, ctx):
            return {"out": 1}

    class Clash:
        @hookimpl
        def register_nodes(self, register):
            register(Twin)

    plugins = load_plugins(builtins=())
    plugins.add(Clash(), "clash", "1.0", builtin=False)
    assert "already registered" in plugins.infos[-1].error
    assert plugins.registry.get("Constant") is not Twin
