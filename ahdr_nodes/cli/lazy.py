"""A click group whose commands load on use, and which refuses a taken name.

``ahdr --help`` lists every command; with commands named by import path and
their one-line help given up front, it imports none of them (nor torch).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import click


class LazyGroup(click.Group):
    """Commands added eagerly (``add_command``) or by ``module:attribute`` path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = {}  # name -> (import path, short help)

    def _claim(self, name: str) -> None:
        if name in self.commands or name in self.lazy:
            raise ValueError(f"command {self.name or 'ahdr'} {name!r} is already taken")

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        assert name is not None
        self._claim(name)
        super().add_command(cmd, name)

    def add_lazy_command(self, name: str, target: str, short_help: str) -> None:
        """Add the command at ``target`` (``package.module:attribute``), imported
        only when it runs or shows its own help; ``short_help`` is the first
        sentence of its docstring, as the command list shows it."""
        self._claim(name)
        self.lazy[name] = (target, short_help)

    def remove_commands(self, names: Iterable[str]) -> None:
        for name in names:
            self.commands.pop(name, None)
            self.lazy.pop(name, None)

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            target, _ = self.lazy.pop(cmd_name)
            module_name, _, attribute = target.partition(":")
            self.commands[cmd_name] = getattr(importlib.import_module(module_name), attribute)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, from the given short help for commands not yet loaded."""
        limit = formatter.width - 6 - max((len(n) for n in self.list_commands(ctx)), default=0)
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                stand_in = click.Command(name, help=self.lazy[name][1])
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif not self.commands[name].hidden:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
