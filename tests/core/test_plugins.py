"""Plugin loading: the suite's plugins in-process, hostile plugins, and one real
entry-point install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ahdr_nodes import Node, Output, hookimpl
from ahdr_nodes.core.plugins import DISABLE_ENV, EXTRA_ENV, Plugins

TEST_PLUGINS = Path(__file__).parent.parent / "plugins"


def plugin_named(infos, name):
    return next(info for info in infos if info["name"] == name)


def test_third_party_plugin_listed_with_nodes(ahdr):
    result = ahdr("plugins", "--json")
    assert result.code == 0
    infos = json.loads(result.out)
    example = plugin_named(infos, "ahdr_example_plugin")
    assert example["status"] == "loaded" and not example["builtin"]
    assert {"Constant", "Add", "ReadNumber", "Describe"} <= set(example["nodes"])
    assert example["hooks"] == ["register_nodes"]
    hdr = plugin_named(infos, "hdr")
    assert hdr["builtin"] and "Merge" in hdr["nodes"] and "run_context" in hdr["hooks"]


def test_broken_plugin_reported_others_keep_working(ahdr):
    infos = json.loads(ahdr("plugins", "--json").out)
    broken = plugin_named(infos, "ahdr_broken_plugin")
    assert broken["status"] == "failed"
    assert "broken on purpose" in broken["error"]
    nodes = json.loads(ahdr("nodes", "--json").out)
    assert {"Constant", "Add"} <= {node["type"] for node in nodes}


def test_nodes_json_describes_ports_and_params(ahdr):
    nodes = {node["type"]: node for node in json.loads(ahdr("nodes", "--json").out)}
    constant = nodes["Constant"]
    assert constant["plugin"] == "ahdr_example_plugin"
    assert constant["outputs"] == {"out": {"type": "Number", "doc": ""}}
    assert constant["params"]["value"]["default"] == 0.0


HOSTILE = {
    "exits_on_import": "import sys\nsys.exit(4)\n",
    "interrupts_on_import": "raise KeyboardInterrupt\n",
    "exits_registering": """
        import sys
        from ahdr_nodes import hookimpl

        @hookimpl
        def register_nodes(register):
            sys.exit(3)
        """,
    "takes_merge": """
        import click
        from ahdr_nodes import hookimpl

        @click.command()
        def merge():
            \"\"\"A rogue merge.\"\"\"
            click.echo("rogue")

        @hookimpl
        def register_commands(cli):
            cli.add_command(merge)
        """,
}


@pytest.fixture
def hostile_plugins(tmp_path, monkeypatch):
    """Plugins that exit, interrupt, or take the name of a built-in command."""
    for name, source in HOSTILE.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(EXTRA_ENV, ",".join(["ahdr_example_plugin", *HOSTILE]))


def test_hostile_plugins_leave_every_command_working(hostile_plugins, ahdr):
    helped = ahdr("--help")
    assert helped.code == 0 and "merge" in helped.out and "Traceback" not in helped.err
    infos = {info["name"]: info for info in json.loads(ahdr("plugins", "--json").out)}
    assert "sys.exit(4)" in infos["exits_on_import"]["error"]
    assert "KeyboardInterrupt raised by the plugin" in infos["interrupts_on_import"]["error"]
    assert "sys.exit(3)" in infos["exits_registering"]["error"]
    assert "register_nodes" in infos["exits_registering"]["error"]
    assert "'merge' is already taken" in infos["takes_merge"]["error"]
    assert infos["ahdr_example_plugin"]["status"] == "loaded"
    merge_help = ahdr("merge", "--help")
    assert merge_help.code == 0 and "Merge a bracket of FRAMES" in merge_help.out


def test_a_clashing_plugin_adds_none_of_its_commands():
    from ahdr_nodes.cli.lazy import LazyGroup

    class TwoCommands:
        @hookimpl
        def register_commands(self, cli):
            cli.add_lazy_command("fresh", "nowhere:nothing", "A new command.")
            cli.add_lazy_command("run", "nowhere:nothing", "Takes run.")

    group = LazyGroup(name="ahdr")
    group.add_lazy_command("run", "somewhere:run", "The real run.")
    plugins = Plugins(cli=group)
    plugins.add(TwoCommands(), "two", "1", builtin=False)
    assert "already taken" in plugins.infos[-1].error
    assert group.list_commands(None) == ["run"]


def test_misspelt_hook_is_caught_in_process():
    class Misspelt:
        @hookimpl
        def register_node(self, register):  # missing "s"
            raise AssertionError("never called")

    plugins = Plugins()
    plugins.add(Misspelt(), "misspelt", "1.0", builtin=False)
    info = plugins.infos[-1]
    assert info.error and "register_node" in info.error
    assert not plugins.pm.is_registered(info)


def test_duplicate_node_name_is_a_plugin_error():
    class Constant(Node):
        out = Output(object)

        def run(self, ctx):
            return {"out": 1}

    class Twin(Node):
        type_name = "Constant"
        out = Output(object)

        def run(self, ctx):
            return {"out": 2}

    def registering(node_class):
        class Plugin:
            @hookimpl
            def register_nodes(self, register):
                register(node_class)

        return Plugin()

    plugins = Plugins()
    plugins.add(registering(Constant), "first", "1.0", builtin=False)
    plugins.add(registering(Twin), "clash", "1.0", builtin=False)
    assert "already registered" in plugins.status()[-1].error
    assert plugins.registry.get("Constant") is Constant


def run_cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "ahdr_nodes", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_installed_entry_point_plugins(tmp_path):
    """The real mechanism: pip installs the example and broken plugins (into a
    folder of their own), and ``ahdr`` finds them by entry point."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--target", str(target), str(TEST_PLUGINS / "example"), str(TEST_PLUGINS / "broken")],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in (EXTRA_ENV, DISABLE_ENV)}
    env["PYTHONPATH"] = str(target)
    infos = json.loads(run_cli("plugins", "--json", env=env).stdout)
    example = plugin_named(infos, "example")
    assert example["version"] == "0.3.1" and example["status"] == "loaded"
    assert {"Constant", "Add", "ReadNumber", "Describe"} <= set(example["nodes"])
    assert "broken on purpose" in plugin_named(infos, "broken")["error"]
    named = run_cli("plugins", "--json", env={**env, DISABLE_ENV: "example"})
    names = {info["name"] for info in json.loads(named.stdout)}
    assert "example" not in names and "broken" in names
    every = json.loads(run_cli("plugins", "--json", env={**env, DISABLE_ENV: "all"}).stdout)
    assert [info["name"] for info in every] == ["hdr"]  # built in: never disabled


def test_a_real_ctrl_c_while_plugins_load_stops_the_command(tmp_path):
    """The user's Ctrl-C is not a plugin failure: the command stops with 130."""
    import signal
    import time

    marker = tmp_path / "loading"
    (tmp_path / "slow_to_load.py").write_text(
        f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(60)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path), **{EXTRA_ENV: "slow_to_load"})
    process = subprocess.Popen(
        [sys.executable, "-m", "ahdr_nodes", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.strip() == "aborted" and "Usage" not in out
