"""YAML from users, bounded: no alias bomb, no stack overflow, no megabyte messages.

Safe loading already refuses code; what it does not refuse is size. An anchor
chain ("billion laughs") loads as a few shared objects that every later walk
(coercion, validation, a message) expands to billions of values, and deep
nesting overflows the stack. Every YAML the tool reads goes through here.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml

from ahdr_nodes.core.errors import UserError

# Values in a document, counting an alias once per use: far above any real graph,
# manifest or --set value, far below what exhausts memory.
MAX_YAML_VALUES = 200_000
MAX_YAML_DEPTH = 64

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 3, 8, 8, 80
_SHORT.maxother = 80


def shown(value: Any) -> str:
    """``repr(value)`` cut to a line's worth, for messages about users' values."""
    return _SHORT.repr(value)


def load_yaml(text: str, source: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """Load ``text`` with a safe ``loader``; raise UserError when it is too big or deep.

    yaml.YAMLError is left to the caller, which knows how to point at the line.
    """
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - always a SafeLoader
    except RecursionError:
        raise UserError(f"{source}: YAML nested too deeply") from None
    _check_expanded_size(data, source)
    return data


def _check_expanded_size(data: Any, source: str) -> None:
    """Walk the document as a consumer would, stopping at the first limit crossed."""
    budget = MAX_YAML_VALUES
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise UserError(
                f"{source}: YAML expands to more than {MAX_YAML_VALUES} values (an alias chain?)"
            )
        if depth > MAX_YAML_DEPTH:
            raise UserError(f"{source}: YAML nested more than {MAX_YAML_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
