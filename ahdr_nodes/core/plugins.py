"""Plugin loading: built-ins and entry points, each isolated from the others.

A plugin that fails to import or register is recorded with its error and the
rest keep working. ``AHDR_DISABLE_PLUGINS`` (comma list of entry-point names,
or ``all``) blocks third-party plugins.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from ahdr_nodes import hookspecs
from ahdr_nodes.core.node import Node

DISABLE_ENV = "AHDR_DISABLE_PLUGINS"

# Built-in plugins: modules that implement hooks, registered like any other.
BUILTIN_PLUGINS = ("ahdr_nodes.hdr.plugin",)


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


class Plugins:
    """The plugin manager plus what it loaded: nodes and per-plugin status."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.registry = NodeRegistry()
        self.infos: list[PluginInfo] = []

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def add(
        self, plugin: ModuleType | object, name: str, version: str | None, builtin: bool
    ) -> None:
        """Register one plugin and its nodes; record (not raise) any failure."""
        info = PluginInfo(name=name, version=version, builtin=builtin)
        self.infos.append(info)
        try:
            self.pm.register(plugin, name=name)
            info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            self.pm.check_pending()
        except Exception as exc:  # a broken plugin must not break the others
            info.error = f"{type(exc).__name__}: {exc}"
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            return
        impl = getattr(plugin, "register_nodes", None)
        if impl is None:
            return
        registered: list[type[Node]] = []
        try:
            impl(register=registered.append)
            for cls in registered:
                self.registry.add(cls, name)
                info.nodes.append(cls.type_name)
        except Exception as exc:
            info.error = f"{type(exc).__name__}: {exc}"
            self.pm.unregister(plugin)

    def add_commands(self, cli: Any) -> None:
        """Let every plugin add CLI commands; a failing one is recorded, not raised."""
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:
                info = next((i for i in self.infos if i.name == impl.plugin_name), None)
                if info is not None:
                    info.error = f"register_commands: {type(exc).__name__}: {exc}"


def _disabled() -> tuple[bool, set[str]]:
    raw = os.environ.get(DISABLE_ENV, "").strip()
    names = {part.strip() for part in raw.split(",") if part.strip()}
    return "all" in names, names


def load_plugins(builtins: tuple[str, ...] = BUILTIN_PLUGINS) -> Plugins:
    """Load built-in plugins, then every entry point in the ``ahdr_nodes`` group."""
    plugins = Plugins()
    for module_name in builtins:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            plugins.infos.append(
                PluginInfo(module_name, None, True, error=f"{type(exc).__name__}: {exc}")
            )
            continue
        plugins.add(module, module_name, None, builtin=True)
    block_all, blocked = _disabled()
    for entry_point in importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME):
        if block_all or entry_point.name in blocked:
            continue
        version = entry_point.dist.version if entry_point.dist else None
        try:
            module = entry_point.load()
        except Exception as exc:
            plugins.infos.append(
                PluginInfo(entry_point.name, version, False, error=f"{type(exc).__name__}: {exc}")
            )
            continue
        plugins.add(module, entry_point.name, version, builtin=False)
    return plugins


_cached: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin set, loaded once on first use."""
    global _cached
    if _cached is None:
        _cached = load_plugins()
    return _cached
