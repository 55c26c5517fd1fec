"""Plugin loading: entry points (the HDR plugin among them), each isolated from the others.

A plugin that fails to import, register or add its commands, even by calling
``sys.exit`` or raising ``KeyboardInterrupt``, is recorded with its error and
the rest keep working; only a real Ctrl-C from the user stops the loading.
``AHDR_DISABLE_PLUGINS`` (comma list of entry-point names, or ``all``) blocks
third-party plugins; ``AHDR_PLUGINS`` (comma list of module names) loads extra
plugin modules, as pytest's ``PYTEST_PLUGINS`` does.

Node classes are collected on the first use of :attr:`Plugins.registry`, so
``ahdr --help`` does not import any plugin's nodes.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ahdr_nodes import hookspecs
from ahdr_nodes.core.node import Node

DISABLE_ENV = "AHDR_DISABLE_PLUGINS"
EXTRA_ENV = "AHDR_PLUGINS"
# The distribution whose entry points are built in: never disabled, loaded first.
OWN_DISTRIBUTION = "ahdr-nodes"


@dataclass
class PluginInfo:
    """What ``ahdr plugins`` shows about one plugin."""

    name: str
    version: str | None
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "nodes": self.nodes,
            "error": self.error,
            "status": "failed" if self.error else "loaded",
        }


@dataclass
class NodeEntry:
    cls: type[Node]
    plugin: str


class NodeRegistry:
    """Node type name -> class, with the plugin that registered it."""

    def __init__(self) -> None:
        self.entries: dict[str, NodeEntry] = {}

    def add(self, cls: type[Node], plugin: str) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Node)):
            raise TypeError(f"register() expects a Node subclass, got {cls!r}")
        existing = self.entries.get(cls.type_name)
        if existing is not None and existing.cls is not cls:
            raise ValueError(
                f"node type {cls.type_name!r} is already registered by plugin {existing.plugin!r}"
            )
        self.entries[cls.type_name] = NodeEntry(cls, plugin)

    def get(self, type_name: str) -> type[Node] | None:
        entry = self.entries.get(type_name)
        return entry.cls if entry else None

    def names(self) -> list[str]:
        return sorted(self.entries)


class PluginFailed(Exception):
    """Plugin code raised (anything but the user's Ctrl-C); the message says what."""


@contextlib.contextmanager
def plugin_code() -> Iterator[None]:
    """Run plugin code: any BaseException becomes :class:`PluginFailed`, except
    a KeyboardInterrupt from a real SIGINT, which passes (the user's Ctrl-C)."""
    interrupted = [False]
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_sigint(signum: int, frame: Any) -> None:
            interrupted[0] = True
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    except KeyboardInterrupt as exc:
        if interrupted[0]:
            raise
        raise PluginFailed(f"KeyboardInterrupt raised by the plugin: {exc}") from exc
    except SystemExit as exc:
        raise PluginFailed(f"SystemExit: the plugin called sys.exit({exc.code!r})") from exc
    except BaseException as exc:
        raise PluginFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


class Plugins:
    """The plugin manager plus what it loaded: nodes and per-plugin status.

    With ``cli`` (a :class:`~ahdr_nodes.cli.lazy.LazyGroup`), every plugin adds
    its commands as it registers: ``register_commands`` is a historic hook.
    """

    def __init__(self, cli: Any = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        self.cli = cli
        self._registry: NodeRegistry | None = None
        if cli is not None:
            self.pm.hook.register_commands.call_historic(kwargs={"cli": cli})

    @property
    def hook(self) -> Any:
        return self.pm.hook

    @property
    def registry(self) -> NodeRegistry:
        """Every loaded plugin's node classes, collected on first use."""
        if self._registry is None:
            self._registry = NodeRegistry()
            for impl in self.pm.hook.register_nodes.get_hookimpls():
                self._collect_nodes(impl.plugin, impl.plugin_name, impl.function)
        return self._registry

    def status(self) -> list[PluginInfo]:
        """Every plugin's status, once its nodes are collected (which may fail)."""
        _ = self.registry
        return self.infos

    def add(self, plugin: object, name: str, version: str | None, builtin: bool) -> None:
        """Register one plugin (and, with a CLI, its commands); record any failure."""
        self.load(lambda: plugin, name, version, builtin)

    def load(
        self, loader: Callable[[], object], name: str, version: str | None, builtin: bool
    ) -> None:
        """Import a plugin with ``loader`` and register it; record (not raise) any failure."""
        info = PluginInfo(name=name, version=version, builtin=builtin)
        self.infos.append(info)
        commands = set(self.cli.list_commands(None)) if self.cli is not None else set()
        plugin = None
        try:
            with plugin_code():
                plugin = loader()
                self.pm.register(plugin, name=name)
                self.pm.check_pending()
        except PluginFailed as exc:  # a broken plugin must not break the others
            info.error = str(exc)
            if plugin is not None and self.pm.get_plugin(name) is plugin:
                self.pm.unregister(name=name)
            if self.cli is not None:
                self.cli.remove_commands(set(self.cli.list_commands(None)) - commands)
            return
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        if self._registry is not None:  # nodes already collected: add this plugin's too
            impl = getattr(plugin, "register_nodes", None)
            if impl is not None:
                self._collect_nodes(plugin, name, impl)

    def _collect_nodes(self, plugin: object, name: str, impl: Callable[..., None]) -> None:
        assert self._registry is not None
        info = next(i for i in self.infos if i.name == name)
        registered: list[type[Node]] = []
        try:
            with plugin_code():
                impl(register=registered.append)
                for cls in registered:
                    self._registry.add(cls, name)
                    info.nodes.append(cls.type_name)
        except PluginFailed as exc:
            info.error = f"register_nodes: {exc}"
            for cls in registered:
                entry = self._registry.entries.get(cls.type_name)
                if entry is not None and entry.plugin == name:
                    del self._registry.entries[cls.type_name]
            info.nodes.clear()
            self.pm.unregister(plugin)


def _disabled() -> tuple[bool, set[str]]:
    raw = os.environ.get(DISABLE_ENV, "").strip()
    names = {part.strip() for part in raw.split(",") if part.strip()}
    return "all" in names, names


def _own(entry_point: importlib.metadata.EntryPoint) -> bool:
    return entry_point.dist is not None and entry_point.dist.name == OWN_DISTRIBUTION


def load_plugins(cli: Any = None) -> Plugins:
    """Load this package's plugins, then every other entry point in the
    ``ahdr_nodes`` group, then the modules named in ``AHDR_PLUGINS``."""
    plugins = Plugins(cli)
    block_all, blocked = _disabled()
    found = importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME)
    for entry_point in sorted(found, key=lambda ep: not _own(ep)):
        builtin = _own(entry_point)
        if not builtin and (block_all or entry_point.name in blocked):
            continue
        version = entry_point.dist.version if entry_point.dist else None
        plugins.load(entry_point.load, entry_point.name, None if builtin else version, builtin)
    for module_name in os.environ.get(EXTRA_ENV, "").split(","):
        if module_name.strip():
            name = module_name.strip()
            plugins.load(lambda name=name: importlib.import_module(name), name, None, False)
    return plugins


_cached: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin set, loaded once on first use."""
    global _cached
    if _cached is None:
        _cached = load_plugins()
    return _cached


def use_plugins(plugins: Plugins | None) -> None:
    """Make ``plugins`` the process-wide set (the CLI's, which carries its
    commands); None forgets it, so the next use loads afresh."""
    global _cached
    _cached = plugins
