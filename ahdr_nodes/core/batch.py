"""A graph-level map: run one graph over many jobs, each with its own overrides.

Three schedulers share one job function: ``local`` (this process, one job at a
time), ``processes`` (a pool of spawned worker processes; a worker keeps its
loaded plugins and any model caches across jobs) and ``dask://HOST:PORT`` (an
existing Dask distributed cluster). A failing job is reported, not fatal; a
killed worker process has its jobs retried elsewhere.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ahdr_nodes.core.errors import UserError
from ahdr_nodes.core.validate import GraphValidationError


@dataclass
class Job:
    """One run of the graph: a name, ``--set`` style overrides, expected outputs."""

    name: str
    overrides: list[str]
    outputs: list[str] = field(default_factory=list)


@dataclass
class JobResult:
    """What happened to one job; serialisable for the batch report."""

    name: str
    status: str  # "done", "failed" or "skipped"
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    attempts: int = 1
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(graph_path: str, job: Job) -> JobResult:
    """Run one job; bad input becomes a failed result with its one-line message."""
    from ahdr_nodes.core.runner import run_graph

    start = time.perf_counter()
    try:
        run_graph(graph_path, job.overrides)
    except GraphValidationError as exc:
        message = "; ".join(error.format(exc.source) for error in exc.errors)
        return JobResult(
            job.name, "failed", time.perf_counter() - start, error=message, worker=_worker_name()
        )
    except UserError as exc:
        return JobResult(
            job.name, "failed", time.perf_counter() - start, error=str(exc), worker=_worker_name()
        )
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return JobResult(
            job.name,
            "failed",
            time.perf_counter() - start,
            error=f"internal error: {detail}",
            worker=_worker_name(),
        )
    return JobResult(
        job.name,
        "done",
        time.perf_counter() - start,
        outputs=list(job.outputs),
        worker=_worker_name(),
    )


def _warm_worker() -> None:
    """Pool initializer: load plugins once per worker, not once per job."""
    from ahdr_nodes.core.plugins import get_plugins

    get_plugins()


OnResult = Callable[[JobResult], None]


def run_local(graph_path: str, jobs: Sequence[Job], on_result: OnResult) -> None:
    """Run jobs one after another in this process."""
    for job in jobs:
        on_result(run_job(graph_path, job))


def run_processes(
    graph_path: str, jobs: Sequence[Job], workers: int, on_result: OnResult, max_attempts: int = 3
) -> None:
    """Run jobs on a pool of processes; jobs lost with a dead worker are retried.

    A worker that dies (killed, out of memory) breaks the whole pool; the jobs
    that had not finished are resubmitted to a fresh pool, each up to
    ``max_attempts`` times.
    """
    attempts = {job.name: 0 for job in jobs}
    pending = list(jobs)
    context = multiprocessing.get_context("spawn")
    while pending:
        for job in pending:
            attempts[job.name] += 1
        lost: list[Job] = []
        with futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_warm_worker
        ) as pool:
            submitted = {pool.submit(run_job, graph_path, job): job for job in pending}
            for future in futures.as_completed(submitted):
                job = submitted[future]
                try:
                    result = future.result()
                except futures.process.BrokenProcessPool:
                    lost.append(job)
                    continue
                result.attempts = attempts[job.name]
                on_result(result)
        pending = []
        for job in lost:
            if attempts[job.name] < max_attempts:
                pending.append(job)
            else:
                on_result(
                    JobResult(
                        job.name,
                        "failed",
                        error=f"worker process died {attempts[job.name]} times",
                        attempts=attempts[job.name],
                    )
                )


def run_dask(
    graph_path: str, jobs: Sequence[Job], address: str, on_result: OnResult, max_attempts: int = 3
) -> None:
    """Run jobs on a Dask distributed cluster at ``address`` (``HOST:PORT``).

    Dask's scheduler reschedules the tasks of a worker that dies; ``retries``
    covers transient failures on top of that.
    """
    try:
        from dask.distributed import Client, as_completed
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
        submitted = {
            client.submit(
                run_job,
                graph_path,
                job,
                key=f"ahdr-{job.name}-{time.time_ns()}",
                retries=max_attempts - 1,
                pure=False,
            ): job
            for job in jobs
        }
        for future in as_completed(submitted):
            job = submitted[future]
            try:
                result = future.result()
            except Exception as exc:  # a task that failed on every attempt
                result = JobResult(
                    job.name, "failed", error=f"{type(exc).__name__}: {exc}", attempts=max_attempts
                )
            on_result(result)


def run_batch(
    graph_path: str | Path, jobs: Iterable[Job], scheduler: str, workers: int, on_result: OnResult
) -> None:
    """Dispatch to the scheduler named by ``local``, ``processes`` or ``dask://HOST:PORT``."""
    jobs = list(jobs)
    path = str(graph_path)
    if scheduler == "local":
        run_local(path, jobs, on_result)
    elif scheduler == "processes":
        run_processes(path, jobs, max(1, workers), on_result)
    elif scheduler.startswith("dask://"):
        run_dask(path, jobs, scheduler.removeprefix("dask://"), on_result)
    else:
        raise UserError(f"--scheduler {scheduler!r}: expected local, processes or dask://HOST:PORT")
