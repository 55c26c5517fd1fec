"""ahdr-nodes: typed node graphs on pluggy; the HDR merging plugin ships with it.

This module is the public API: what a plugin (the built-in HDR plugin included)
and a Python caller may use. Everything under ``ahdr_nodes.core`` and
``ahdr_nodes.cli`` is internal; architecture contracts (``lint-imports``) keep
the plugin on this surface.
"""

from ahdr_nodes.core.atomic import (
    atomic_output,
    check_not_input,
    check_not_inputs,
    check_writable,
)
from ahdr_nodes.core.batch import (
    STATUSES,
    Job,
    JobResult,
    check_scheduler,
    remove_stale_temps,
    run_batch,
)
from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.executor import Executor, NodeFailed, registered
from ahdr_nodes.core.graph_file import GraphSpec, NodeSpec, PortRef, parse_graph, parse_overrides
from ahdr_nodes.core.node import (
    Input,
    Lineage,
    Node,
    NodeContext,
    Output,
    Param,
    ParamError,
    compatible,
)
from ahdr_nodes.core.plugins import Plugins, get_plugins, load_plugins
from ahdr_nodes.core.runner import execute, load_graph, prepare, resolve_graph_path, run_graph
from ahdr_nodes.core.validate import GraphValidationError, ValidGraph
from ahdr_nodes.core.yaml_limits import load_yaml, shown
from ahdr_nodes.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "STATUSES",
    "Executor",
    "GraphSpec",
    "GraphValidationError",
    "Input",
    "Job",
    "JobResult",
    "Node",
    "Lineage",
    "NodeContext",
    "NodeFailed",
    "NodeSpec",
    "Output",
    "Param",
    "ParamError",
    "Plugins",
    "PortRef",
    "UserError",
    "ValidGraph",
    "__version__",
    "atomic_output",
    "check_not_input",
    "check_not_inputs",
    "check_scheduler",
    "check_writable",
    "compatible",
    "execute",
    "get_plugins",
    "hookimpl",
    "load_graph",
    "load_plugins",
    "load_yaml",
    "parse_graph",
    "parse_overrides",
    "prepare",
    "registered",
    "remove_stale_temps",
    "resolve_graph_path",
    "run_batch",
    "run_graph",
    "shown",
]
