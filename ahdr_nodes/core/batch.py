"""A graph-level map: run one graph over many jobs, each with its own inputs.

Three schedulers share one job function: ``local`` (this process, one job at a
time), ``processes`` (a pool of spawned worker processes; a worker keeps its
loaded plugins and any model caches across jobs) and ``dask://HOST:PORT`` (an
existing Dask distributed cluster). A failing job is reported, not fatal; a
killed worker process has its jobs retried elsewhere.

A job names the files its writer nodes produce. A writer whose file already
exists is not run again (unless the job overwrites): a retried or resumed job
only makes what is missing, and never replaces what an earlier attempt wrote.
A worker keeps nothing of a job once it has returned: no executor cache, only
the small JobResult goes back.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ahdr_nodes.core.atomic import stale_temps
from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.executor import Executor, NodeFailed
from ahdr_nodes.core.validate import GraphValidationError

STATUSES = ("done", "failed", "skipped")


@dataclass
class Job:
    """One run of the graph.

    ``inputs``: graph input ``NAME`` or ``NODE.PARAM`` -> value, as ``prepare``
    takes them. ``outputs``: writer node id -> the file it writes. ``overwrite``:
    rerun writers whose file exists (the graph's own ``overwrite`` input must be
    among the inputs for the file to be replaced).
    """

    name: str
    inputs: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)
    overwrite: bool = False


@dataclass
class JobResult:
    """What happened to one job; serialisable for the batch report.

    ``attempts``: how many times the job was dispatched (0: skipped).
    ``worker``: ``host:pid`` of the process that ran the last attempt.
    """

    name: str
    status: str  # one of STATUSES
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    attempts: int = 1
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def worker_name() -> str:
    """``host:pid`` of this process, as the report shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def remove_stale_temps(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Delete temporaries left beside ``paths`` by writers killed mid-write.

    Atomic writers (ahdr_nodes.core.atomic) write a marked temporary beside
    ``NAME`` and rename it into place; a process killed in between leaves it
    behind. Only such temporaries are removed, never another file named alike.
    Call only while no other process writes these outputs. Returns what was removed.
    """
    removed = []
    for path in paths:
        for temp in stale_temps(path):
            temp.unlink(missing_ok=True)
            removed.append(temp)
    return removed


def _error_message(exc: Exception) -> str:
    if isinstance(exc, GraphValidationError):
        return "; ".join(error.format(exc.source) for error in exc.errors)
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, NodeFailed):
        return f"internal error: {exc}"
    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"internal error: {detail}"


def run_job(graph_path: str, job: Job) -> JobResult:
    """Run one job; any error becomes a failed result with a one-line message.

    Writers whose file exists are left out of the run unless ``job.overwrite``.
    """
    from ahdr_nodes.core.plugins import get_plugins
    from ahdr_nodes.core.runner import prepare

    start = time.perf_counter()
    try:
        remove_stale_temps(job.outputs.values())
        plugins = get_plugins()
        valid = prepare(graph_path, job.inputs, plugins)
        finished = (
            set() if job.overwrite else {n for n, p in job.outputs.items() if Path(p).exists()}
        )
        targets = [node_id for node_id in valid.targets if node_id not in finished]
        if targets:
            Executor(plugins.hook).run(valid, targets)
    except Exception as exc:
        return JobResult(
            job.name,
            "failed",
            time.perf_counter() - start,
            error=_error_message(exc),
            worker=worker_name(),
        )
    return JobResult(
        job.name,
        "done",
        time.perf_counter() - start,
        outputs=list(job.outputs.values()),
        worker=worker_name(),
    )


# Thread-pool sizes read by torch (OpenMP), BLAS and OpenCV when they are imported.
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENCV_FOR_THREADS_NUM",
)


def _warm_worker(threads: int | None = None) -> None:
    """Load plugins once per worker, not once per job.

    ``threads``: the worker's share of the cores, set (unless the user set it)
    before torch or OpenCV load, so N workers do not each start a thread per core
    and fight over them. Dask's nanny does the same for its workers.
    """
    if threads is not None:
        for name in THREAD_ENV:
            os.environ.setdefault(name, str(threads))
    if os.environ.get("AHDR_DEBUG") != "1":  # as in the CLI: library warnings are not for users
        warnings.simplefilter("ignore")
    from ahdr_nodes.core.plugins import get_plugins

    get_plugins()


def _pool_worker(threads: int) -> None:
    """A process-pool worker: warm, and deaf to Ctrl-C. A Ctrl-C reaches every
    process of the terminal's group; the parent decides what becomes of the scenes
    in flight (see run_processes), not each worker with a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_worker(threads)


OnResult = Callable[[JobResult], None]


def run_local(graph_path: str, jobs: Sequence[Job], on_result: OnResult) -> None:
    """Run jobs one after another in this process."""
    for job in jobs:
        on_result(run_job(graph_path, job))


def run_processes(
    graph_path: str, jobs: Sequence[Job], workers: int, on_result: OnResult, max_attempts: int = 3
) -> None:
    """Run jobs on a pool of spawned processes; jobs lost with a dead worker are retried.

    A worker that dies (killed, out of memory) breaks the whole pool, and the
    pool stops its other workers; every job without a result is dispatched again
    to a fresh pool, up to ``max_attempts`` times. Outputs a lost job had already
    written are kept (see run_job).
    """
    # imported here, not at the top: every ``ahdr`` command imports this module
    import concurrent.futures as futures
    import multiprocessing

    attempts = dict.fromkeys((job.name for job in jobs), 0)
    pending = list(jobs)
    context = multiprocessing.get_context("spawn")
    while pending:
        for job in pending:
            attempts[job.name] += 1
        lost: list[Job] = []
        with futures.ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_pool_worker,
            initargs=(max(1, (os.cpu_count() or 1) // workers),),
        ) as pool:
            submitted = {pool.submit(run_job, graph_path, job): job for job in pending}
            try:
                for future in futures.as_completed(submitted):
                    job = submitted.pop(future)
                    try:
                        result = future.result()
                    except futures.process.BrokenProcessPool:
                        lost.append(job)
                        continue
                    result.attempts = attempts[job.name]
                    on_result(result)
            except KeyboardInterrupt:
                _cancel_all(pool)
                raise
        pending = [job for job in lost if attempts[job.name] < max_attempts]
        for job in lost:
            if attempts[job.name] >= max_attempts:
                on_result(
                    JobResult(
                        job.name,
                        "failed",
                        error=f"its worker process died on each of {max_attempts} attempts",
                        attempts=attempts[job.name],
                    )
                )


def _cancel_all(pool: Any) -> None:
    """Ctrl-C: drop the jobs not started and end the workers, cancelling the scenes
    they run (their writers are atomic: nothing partial stays, only marked
    temporaries that stale-temp cleanup removes). Waiting for running scenes
    could take minutes; --resume runs them again."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # gone after shutdown
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def run_dask(
    graph_path: str, jobs: Sequence[Job], address: str, on_result: OnResult, max_attempts: int = 3
) -> None:
    """Run jobs on the Dask distributed cluster at ``address`` (``HOST:PORT``).

    The Dask scheduler reschedules the tasks of a worker that dies (up to its
    ``distributed.scheduler.allowed-failures``); ``retries`` covers other
    transient failures. Each result is released from the cluster once read.
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise UserError(
            "the dask scheduler needs the 'dask' extra: pip install 'ahdr-nodes[dask]'"
        ) from None
    try:
        client = Client(address, timeout=20)
    except OSError as exc:
        raise UserError(f"dask://{address}: cannot connect to the scheduler ({exc})") from None
    with client:
        client.run(_warm_worker)
        stamp = time.time_ns()
        submitted = {
            client.submit(
                run_job,
                graph_path,
                job,
                key=f"ahdr-{job.name}-{stamp}",
                retries=max_attempts - 1,
                pure=False,
            ): job
            for job in jobs
        }
        try:
            _gather_dask(client, submitted, on_result, max_attempts)
        except KeyboardInterrupt:
            client.cancel(list(submitted))
            raise


def _gather_dask(client: Any, submitted: dict, on_result: OnResult, max_attempts: int) -> None:
    """Report each Dask job as it completes, releasing its result from the cluster."""
    from dask.distributed import as_completed

    for future in as_completed(list(submitted)):
        job = submitted.pop(future)
        attempts = client.run_on_scheduler(_dask_attempts, key=future.key, retries=max_attempts - 1)
        try:
            result = future.result()
        except Exception as exc:  # failed on every attempt, or its workers kept dying
            result = JobResult(job.name, "failed", error=f"{type(exc).__name__}: {exc}")
        result.attempts = attempts
        future.release()
        on_result(result)


def _dask_attempts(dask_scheduler: Any, key: str, retries: int) -> int:
    """On the scheduler: how often a task ran (worker deaths plus retries used)."""
    task = dask_scheduler.tasks.get(key)
    if task is None:
        return 1
    return 1 + task.suspicious + (retries - task.retries)


def run_batch(
    graph_path: str | Path, jobs: Iterable[Job], scheduler: str, workers: int, on_result: OnResult
) -> None:
    """Dispatch to the scheduler named by ``local``, ``processes`` or ``dask://HOST:PORT``."""
    check_scheduler(scheduler)
    jobs = list(jobs)
    path = str(graph_path)
    if not jobs:
        return
    if scheduler == "local":
        run_local(path, jobs, on_result)
    elif scheduler == "processes":
        run_processes(path, jobs, max(1, workers), on_result)
    else:
        run_dask(path, jobs, scheduler.removeprefix("dask://"), on_result)


def check_scheduler(scheduler: str) -> None:
    """Refuse a scheduler name before any work starts."""
    known = scheduler in ("local", "processes")
    if not known and not (scheduler.startswith("dask://") and len(scheduler) > len("dask://")):
        raise UserError(f"--scheduler {scheduler!r}: expected local, processes or dask://HOST:PORT")
