"""ahdr-nodes: ghost-free HDR merging with AHDRNet on a pluggy node-graph framework."""

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.node import Input, Node, NodeContext, Output, Param
from ahdr_nodes.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Node",
    "NodeContext",
    "Output",
    "Param",
    "UserError",
    "hookimpl",
    "__version__",
]
