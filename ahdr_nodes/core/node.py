"""Typed nodes: ports and params declared at class level.

A node class declares its interface with descriptors::

    class Blur(Node):
        \"\"\"Gaussian blur.\"\"\"
        image = Input(Image)
        blurred = Output(Image)
        sigma = Param(float, 1.0, minimum=0.0)

        def run(self, ctx, image):
            return {"blurred": gaussian(image, self.sigma)}

The executor validates every connection and parameter before anything runs, so
``run`` receives only well-typed values.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ahdr_nodes.core.yaml_limits import shown

_MISSING: Any = object()


def compatible(received: type, expected: type) -> bool:
    """A port of type ``received`` may feed a port of type ``expected``.

    Types are real classes: a subclass may feed its base, and ``object`` accepts
    everything.
    """
    return expected is object or (isinstance(received, type) and issubclass(received, expected))


@dataclass(frozen=True)
class Input:
    """An input port. ``optional`` inputs may be left unconnected (run gets None)."""

    type: type
    doc: str = ""
    optional: bool = False
    name: str = field(default="", compare=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)


@dataclass(frozen=True)
class Output:
    """An output port."""

    type: type
    doc: str = ""
    name: str = field(default="", compare=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)


class ParamError(ValueError):
    """A parameter value that does not fit its declaration; ``param`` names it
    when one param is to blame."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Param:
    """A typed parameter with a default, optional range and choices.

    ``type`` is one of bool, int, float, str, Path, list (with ``item``) or dict.
    ``required`` params have no default and must be set in the graph file.
    ``input_file`` params name files the node reads: the executor fingerprints
    them (path, size, mtime) into the cache key, so an edited file reruns.
    ``output_file`` params name files the node writes: the executor refuses a
    run in which one of them is also an ``input_file`` of any node.
    On an instance, the descriptor returns the node's bound value.
    """

    type: type
    default: Any = _MISSING
    doc: str = ""
    choices: Sequence[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    item: type | None = None
    nullable: bool = False
    input_file: bool = False
    output_file: bool = False
    name: str = field(default="", compare=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __get__(self, instance: Node | None, owner: type) -> Any:
        if instance is None:
            return self
        return instance.param_values[self.name]

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def type_label(self) -> str:
        label = self.type.__name__
        if self.type is list and self.item is not None:
            label = f"list[{self.item.__name__}]"
        return f"{label} | None" if self.nullable else label

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to the declared type, or raise ParamError."""
        if value is None:
            if self.nullable:
                return None
            raise ParamError(f"expected {self.type_label()}, got null")
        value = _coerce_scalar(self.type, value, self.item)
        if self.choices is not None and value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise ParamError(f"expected one of {options}, got {shown(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"expected >= {self.minimum}, got {shown(value)}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"expected <= {self.maximum}, got {shown(value)}")
        return value

    def to_json(self) -> dict[str, Any]:
        info: dict[str, Any] = {"type": self.type_label(), "doc": self.doc}
        info["default"] = None if self.required else _jsonable(self.default)
        info["required"] = self.required
        if self.choices is not None:
            info["choices"] = list(self.choices)
        if self.minimum is not None:
            info["minimum"] = self.minimum
        if self.maximum is not None:
            info["maximum"] = self.maximum
        return info


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _coerce_scalar(kind: type, value: Any, item: type | None = None) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ParamError(f"expected bool, got {shown(value)}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ParamError(f"expected int, got {shown(value)}")
    if kind is float:
        # NaN passes every range check (it compares false) and infinity poisons
        # arithmetic: neither is ever a meaningful setting.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
            raise ParamError(f"expected a finite float, got {shown(value)}")
        raise ParamError(f"expected float, got {shown(value)}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ParamError(f"expected str, got {shown(value)}")
    if kind is Path:
        if isinstance(value, (str, os.PathLike)) and str(value):
            return Path(value)
        raise ParamError(f"expected a path, got {shown(value)}")
    if kind is list:
        if not isinstance(value, (list, tuple)):
            raise ParamError(f"expected a list, got {shown(value)}")
        if item is None:
            return list(value)
        return [_coerce_scalar(item, v) for v in value]
    if kind is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise ParamError(f"expected a mapping, got {shown(value)}")
    raise TypeError(f"unsupported param type {kind!r}")


@dataclass(frozen=True)
class Lineage:
    """Where a node's inputs came from, for writers that record provenance.

    ``graph``: the graph's source (file name or ``<graph>``); ``key``: the node's
    cache key, a hash of the graph upstream of it, its params and its input files'
    fingerprints; ``nodes``: every upstream node in execution order, as
    ``{"id", "type", "params", "records"}`` (``records``: what the node stated
    about its result with ``NodeContext.record``).
    """

    graph: str = "<graph>"
    key: str = ""
    nodes: tuple[dict[str, Any], ...] = ()


class NodeContext:
    """What a running node may use besides its inputs: progress, messages, which
    of its outputs anything reads (``wanted``, so costly optional outputs can be
    skipped when nothing consumes them), its ``lineage``, and ``record`` to state
    facts about its result that downstream writers may keep (provenance)."""

    def __init__(
        self,
        node_id: str,
        on_progress: Callable[[str, int, int | None, str], None] | None = None,
        on_message: Callable[[str, str, str], None] | None = None,
        wanted: frozenset[str] | None = None,
        lineage: Callable[[], Lineage] | None = None,
    ) -> None:
        self.node_id = node_id
        self.wanted = wanted
        self.records: dict[str, Any] = {}
        self._lineage = lineage or Lineage
        self._on_progress = on_progress
        self._on_message = on_message

    @property
    def lineage(self) -> Lineage:
        """Where this node's inputs came from (computed when read: writers read it)."""
        return self._lineage()

    def record(self, name: str, value: Any) -> None:
        """State a fact about this node's result (JSON-like: str, number, list, dict)."""
        self.records[name] = value

    def wants(self, output: str) -> bool:
        """Whether a consumer or a run target reads ``output`` (True if unknown)."""
        return self.wanted is None or output in self.wanted

    def progress(self, done: int, total: int | None = None, desc: str = "") -> None:
        """Report ``done`` of ``total`` work items (tiles, batches, frames)."""
        if self._on_progress is not None:
            self._on_progress(self.node_id, done, total, desc)

    def track(
        self, items: Iterable[Any], total: int | None = None, desc: str = ""
    ) -> Iterable[Any]:
        """Iterate ``items`` and report progress after each one."""
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        self.progress(0, total, desc)
        for count, item in enumerate(items, start=1):
            yield item
            self.progress(count, total, desc)

    def warn(self, message: str) -> None:
        """A warning the user should see (e.g. a converted RGBA frame)."""
        if self._on_message is not None:
            self._on_message(self.node_id, "warning", message)

    def info(self, message: str) -> None:
        if self._on_message is not None:
            self._on_message(self.node_id, "info", message)


class Node(ABC):
    """Base class of every node.

    Subclasses declare ``Input``, ``Output`` and ``Param`` attributes and
    implement :meth:`run`. ``version`` goes into the cache key: bump it when the
    node's results change for the same inputs and params. ``cacheable = False``
    marks nodes with side effects (writers), which always run.
    """

    version: ClassVar[str] = "1"
    cacheable: ClassVar[bool] = True
    type_name: ClassVar[str]
    inputs: ClassVar[dict[str, Input]]
    outputs: ClassVar[dict[str, Output]]
    params: ClassVar[dict[str, Param]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" not in cls.__dict__:
            cls.type_name = cls.__name__
        inputs: dict[str, Input] = {}
        outputs: dict[str, Output] = {}
        params: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Input):
                    inputs[name] = value
                elif isinstance(value, Output):
                    outputs[name] = value
                elif isinstance(value, Param):
                    params[name] = value
        cls.inputs, cls.outputs, cls.params = inputs, outputs, params

    def __init__(self, node_id: str, **param_values: Any) -> None:
        self.node_id = node_id
        values = {}
        for name, param in self.params.items():
            if name in param_values:
                values[name] = param.coerce(param_values[name])
            elif param.required:
                raise ParamError(f"missing required param {name!r}")
            else:
                values[name] = param.default
        unknown = set(param_values) - set(self.params)
        if unknown:
            raise ParamError(f"unknown params {sorted(unknown)}")
        type(self).check_params(values)
        self.param_values: dict[str, Any] = values

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> None:
        """What the node refuses beyond each param's type, range and choices (a
        writer's file extension, params that exclude each other): raise
        ParamError. ``values`` holds every param, coerced, defaults filled in.

        Graph validation calls this, so ``ahdr validate`` refuses what a run
        would. It must not touch files or load anything: that is ``preflight``.
        The base class has nothing to check.
        """
        return None

    @abstractmethod
    def run(self, ctx: NodeContext, **inputs: Any) -> Mapping[str, Any]:
        """Compute the outputs (a mapping from output port name to value)."""

    def preflight(self) -> None:
        """Checks that need no inputs, run for every planned node before any runs.

        Raise UserError here for what is knowable up front (an output file that
        exists, a folder that cannot be written), so a doomed run writes nothing.
        The base class has nothing to check.
        """
        return None

    def fingerprint(self) -> str:
        """Extra cache-key material for what the params do not show.

        The default stats every ``input_file`` param: path, size and mtime, so
        a rewritten file invalidates the cache without hashing its contents.
        """
        parts = []
        for path in self.files(written=False):
            try:
                st = os.stat(path)
                parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{path}:missing")
        return "|".join(parts)

    def files(self, written: bool) -> list[Path]:
        """The paths of the ``output_file`` (written) or ``input_file`` params that are set."""
        paths = []
        for name, param in self.params.items():
            if param.output_file if written else param.input_file:
                value = self.param_values[name]
                paths += [p for p in (value if isinstance(value, list) else [value]) if p]
        return paths

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A JSON-able description for ``ahdr nodes --json`` and docs."""
        return {
            "type": cls.type_name,
            "version": cls.version,
            "doc": (cls.__doc__ or "").strip().split("\n\n")[0],
            "inputs": {
                n: {"type": p.type.__name__, "optional": p.optional, "doc": p.doc}
                for n, p in cls.inputs.items()
            },
            "outputs": {n: {"type": p.type.__name__, "doc": p.doc} for n, p in cls.outputs.items()},
            "params": {n: p.to_json() for n, p in cls.params.items()},
        }
