"""The ``ahdr`` command: framework commands plus whatever plugins add.

Exit status: 0 ok, 2 user error (bad graph, bad input), 1 internal error.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import traceback
import warnings

import click

from ahdr_nodes import __version__
from ahdr_nodes.cli.lazy import LazyGroup
from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.executor import NodeFailed
from ahdr_nodes.core.graph_file import parse_overrides
from ahdr_nodes.core.observers import describe_value
from ahdr_nodes.core.plugins import get_plugins, load_plugins, use_plugins
from ahdr_nodes.core.render import to_dot, to_mermaid
from ahdr_nodes.core.runner import execute, load_graph, prepare
from ahdr_nodes.core.validate import GraphValidationError

HELP = ["-h", "--help"]
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
# The longest message line: room for two long paths and a reason.
MAX_MESSAGE = 600


@click.command()
@click.argument("graph")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NODE.PARAM=VALUE",
    help="Override a param (or a declared graph input NAME=VALUE). Repeatable.",
)
@click.option("--target", "targets", multiple=True, help="Run only what this node needs.")
@click.option("--profile", is_flag=True, help="Print per-node timing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def run(
    graph: str, overrides: tuple[str, ...], targets: tuple[str, ...], profile: bool, quiet: bool
) -> None:
    """Validate and run a GRAPH file (or a bundled graph name)."""
    valid = prepare(graph, parse_overrides(overrides))
    for target in targets:
        if valid.spec.node(target) is None:
            raise UserError(f"--target {target}: no such node in {valid.spec.source}")
    results, profiler = execute(valid, list(targets) or None, quiet)
    declared = set(valid.spec.graph_outputs) & set(results)
    for name, value in results.items():
        if not declared or name in declared:
            click.echo(f"{name}: {describe_value(value)}")
    if profile:
        click.echo(profiler.table())


@click.command(name="validate")
@click.argument("graph")
@click.option("--set", "overrides", multiple=True, metavar="NODE.PARAM=VALUE")
def validate_command(graph: str, overrides: tuple[str, ...]) -> None:
    """Check a GRAPH file without running it; report every problem."""
    valid = prepare(graph, parse_overrides(overrides))
    click.echo(f"{valid.spec.source}: ok ({len(valid.order)} nodes)")


@click.command()
@click.argument("graph")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
def show(graph: str, fmt: str) -> None:
    """Print a GRAPH as Mermaid or Graphviz dot."""
    spec = load_graph(graph)
    click.echo(to_mermaid(spec) if fmt == "mermaid" else to_dot(spec), nl=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def nodes(as_json: bool) -> None:
    """List the node types every loaded plugin provides."""
    registry = get_plugins().registry
    described = []
    for name in registry.names():
        entry = registry.entries[name]
        info = entry.cls.describe()
        info["plugin"] = entry.plugin
        described.append(info)
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for info in described:
        click.echo(f"{info['type']}  (plugin {info['plugin']}, v{info['version']})  {info['doc']}")
        ports_in = ", ".join(f"{n}: {p['type']}" for n, p in info["inputs"].items()) or "-"
        ports_out = ", ".join(f"{n}: {p['type']}" for n, p in info["outputs"].items()) or "-"
        click.echo(f"    in:  {ports_in}\n    out: {ports_out}")
        for pname, param in info["params"].items():
            default = "required" if param["required"] else f"default {param['default']!r}"
            choices = param.get("choices")
            options = f"; one of {', '.join(repr(c) for c in choices)}" if choices else ""
            click.echo(f"    {pname}: {param['type']} ({default}{options})")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List loaded plugins: name, version, hooks, nodes, load errors."""
    infos = [info.to_json() for info in get_plugins().status()]
    if as_json:
        click.echo(json.dumps(infos, indent=2))
        return
    for info in infos:
        version = info["version"] or ("builtin" if info["builtin"] else "no version")
        click.echo(f"{info['name']} ({version}): {info['status']}")
        if info["error"]:
            click.echo(f"    error: {info['error']}")
        click.echo(f"    hooks: {', '.join(info['hooks']) or '-'}")
        click.echo(f"    nodes: {', '.join(info['nodes']) or '-'}")


@click.command(name="executor")
@click.option(
    "--nodes",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Chain length for the overhead.",
)
@click.option(
    "--chain-mb",
    type=click.FloatRange(min=0, min_open=True, max=65536),
    default=64.0,
    show_default=True,
    help="Size of each intermediate.",
)
def bench_executor(nodes: int, chain_mb: float) -> None:
    """Executor overhead per node and peak memory of a long chain."""
    from ahdr_nodes.core.bench import chain_peak_memory, executor_overhead

    overhead = executor_overhead(nodes)
    click.echo(
        f"trivial chain of {overhead.nodes} nodes: "
        f"validate {overhead.validate_us_per_node:.1f} us/node, "
        f"run {overhead.run_us_per_node:.1f} us/node (goal < 50)"
    )
    memory = chain_peak_memory(20, chain_mb)
    click.echo(
        f"chain of {memory.nodes} x {memory.intermediate_mb:.0f} MB intermediates: "
        f"peak {memory.peak_mb:.0f} MB = {memory.intermediates_held:.2f} intermediates "
        "(goal about 2)"
    )


def build_cli() -> LazyGroup:
    """The ``ahdr`` group: the framework's commands, then each plugin's (a fresh
    group per call, so in-process callers never see a previous plugin set)."""

    @click.group(
        cls=LazyGroup, name="ahdr", context_settings={"help_option_names": ["-h", "--help"]}
    )
    @click.version_option(__version__, prog_name="ahdr")
    @click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
    def root(debug: bool) -> None:
        """Validate, show and run graphs of typed nodes; plugins add nodes and commands."""
        if debug:
            os.environ["AHDR_DEBUG"] = "1"

    @root.group(cls=LazyGroup)
    def bench() -> None:
        """Benchmarks that print numbers (plugins add their own)."""

    for command in (run, validate_command, show, nodes, plugins):
        root.add_command(command)
    bench.add_command(bench_executor)
    use_plugins(load_plugins(cli=root))
    return root


def one_line(text: object) -> str:
    """A message as one line of bounded length: the values it quotes come from users
    and libraries, and may hold newlines or megabytes. The middle is cut, so that
    the culprit (first) and the reason (last) both stay."""
    line = " ".join(str(text).splitlines())
    if len(line) <= MAX_MESSAGE:
        return line
    half = (MAX_MESSAGE - 5) // 2
    return f"{line[:half]} ... {line[-half:]}"


# What the file system says about the names and places a user gave (too long, not
# there, not allowed, full): the user can fix them, so exit status 2, not a bug.
USER_OS_ERRORS = {
    errno.ENAMETOOLONG,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
}


def _user_os_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in USER_OS_ERRORS


def _os_message(error: OSError) -> str:
    return f"{error.filename}: {error.strerror}" if error.filename else str(error)


def _say(prefix: str, text: object) -> None:
    click.echo(f"{prefix}{one_line(text)}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps errors to exit statuses and one-line messages.

    Python warnings (numpy's RuntimeWarnings, Pillow's and torch's UserWarnings)
    are for developers: shown with --debug only.
    """
    debug = os.environ.get("AHDR_DEBUG") == "1" or "--debug" in (argv or sys.argv[1:])
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.simplefilter("ignore")
            build_cli().main(args=argv, prog_name="ahdr", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        # click turns a Ctrl-C into Abort; a command may say what it saved first
        said = exc if isinstance(exc, KeyboardInterrupt) else exc.__cause__
        _say("aborted", f": {said}" if said is not None and str(said) else "")
        sys.exit(130)
    except click.ClickException as exc:
        context = getattr(exc, "ctx", None)
        hint = f" (see {context.command_path} --help)" if context is not None else ""
        _say("error: ", exc.format_message() + hint)
        sys.exit(EXIT_USER_ERROR)
    except GraphValidationError as exc:
        for error in exc.errors:
            _say("error: ", error.format(exc.source))
        if len(exc.errors) > 1:  # one error is its own one-line summary
            _say("", f"{len(exc.errors)} error(s) in {exc.source}")
        sys.exit(EXIT_USER_ERROR)
    except UserError as exc:
        if debug:
            traceback.print_exc()
        _say("error: ", exc)
        sys.exit(EXIT_USER_ERROR)
    except NodeFailed as exc:
        if debug:
            traceback.print_exception(exc.error)
        if _user_os_error(exc.error):
            _say("error: ", f"node {exc.node_id!r}: {_os_message(exc.error)}")
            sys.exit(EXIT_USER_ERROR)
        _say("internal error: ", f"{exc} (rerun with --debug for a traceback)")
        sys.exit(EXIT_INTERNAL_ERROR)
    except OSError as exc:
        if debug:
            traceback.print_exc()
        if not _user_os_error(exc):
            _say("internal error: ", f"{type(exc).__name__}: {exc} (rerun with --debug)")
            sys.exit(EXIT_INTERNAL_ERROR)
        _say("error: ", _os_message(exc))
        sys.exit(EXIT_USER_ERROR)
    except Exception as exc:  # the last resort: never a bare traceback for users
        if debug:
            traceback.print_exc()
        _say("internal error: ", f"{type(exc).__name__}: {exc} (rerun with --debug)")
        sys.exit(EXIT_INTERNAL_ERROR)
