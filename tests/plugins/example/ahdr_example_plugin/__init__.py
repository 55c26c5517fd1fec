"""A minimal third-party plugin: number nodes that know nothing about HDR."""

from __future__ import annotations

import os
import signal

from ahdr_nodes import Input, Node, Output, Param, UserError, hookimpl


class Number:
    """A boxed float, the port type of this plugin."""

    def __init__(self, value: float) -> None:
        self.value = value


class Text:
    """A boxed string: a second port type, to show type checks on edges."""

    def __init__(self, value: str) -> None:
        self.value = value


class Constant(Node):
    """Emit a constant number."""

    out = Output(Number)
    value = Param(float, 0.0)

    def run(self, ctx, **inputs):
        return {"out": Number(self.value)}


class Add(Node):
    """Add two numbers."""

    a = Input(Number)
    b = Input(Number)
    out = Output(Number)

    def run(self, ctx, a, b):
        return {"out": Number(a.value + b.value)}


class ReadNumber(Node):
    """Read a number from a text file (a source node with a fingerprinted file)."""

    out = Output(Number)
    path = Param(str, doc="text file holding one number", input_file=True)

    def run(self, ctx, **inputs):
        try:
            with open(self.path, encoding="utf-8") as handle:
                return {"out": Number(float(handle.read()))}
        except (OSError, ValueError) as exc:
            raise UserError(f"{self.path}: cannot read a number ({exc})") from None


class Describe(Node):
    """Format a number as text."""

    number = Input(Number)
    text = Output(Text)

    def run(self, ctx, number):
        return {"text": Text(f"{number.value:g}")}


class KillWorkerOnce(Node):
    """Fault injection for batch tests: the first run anywhere SIGKILLs its own process.

    The first run creates ``marker`` (atomically, holding its process id) and
    kills the process it runs in; every later run, in any process, passes its
    input through.
    """

    cacheable = False
    value = Input(object)
    passed = Output(object)
    marker = Param(str, doc="file whose creation claims the one kill")

    def run(self, ctx, value):
        try:
            handle = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return {"passed": value}
        os.write(handle, str(os.getpid()).encode())
        os.close(handle)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("SIGKILL did not stop the process")


@hookimpl
def register_nodes(register):
    for node_class in (Constant, Add, ReadNumber, Describe, KillWorkerOnce):
        register(node_class)
