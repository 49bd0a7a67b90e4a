# SPDX-License-Identifier: GPL-3.0-or-later
"""Run render jobs in parallel worker processes on this machine.

Blender is one instance per process, so parallelism means processes; the spawn start method gives
each worker a clean interpreter (fork would copy a running Blender). Workers live for the whole
batch and take jobs as they free up, so bpy is imported once per worker, not once per job. Each
worker renders with its share of the cores: a renderer that took all of them in every worker would
only make the workers fight.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from types import FrameType

from ..render.job import RenderJob
from ..render.result import JobResult
from .worker import run_job

ResultCallback = Callable[[int, JobResult], None]


def _blender_paths() -> list[str]:
    """Folders Blender put on ``sys.path`` in this process (its ``scripts/modules`` holds a ``bpy``
    package of its own); spawned workers inherit ``sys.path`` and would import that one instead
    of the bpy module, so they drop these first."""
    bpy = sys.modules.get("bpy")
    if bpy is None:
        return []
    roots = [bpy.utils.resource_path(kind) for kind in ("LOCAL", "USER", "SYSTEM")]
    roots = [root.rstrip(os.sep) + os.sep for root in roots if root]
    return [p for p in sys.path if p.startswith(tuple(roots))]


def _start_worker(paths: list[str], threads: int) -> None:
    """Runs first in each worker: drop Blender's paths, and give Mesa's software OpenGL (which
    Workbench renders with here) its share of the cores, as ``RenderJob.threads`` does for Cycles."""
    sys.path[:] = [p for p in sys.path if p not in paths]
    os.environ.setdefault("LP_NUM_THREADS", str(threads))
    signal.signal(signal.SIGINT, _between_jobs)


def _between_jobs(_signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C reaches the whole process group. A worker waiting for its next job leaves it to the
    batch, which cancels what is queued; a job in progress stops (``worker.run_job``)."""


def record(results: list[JobResult | None], index: int, result: JobResult,
           on_result: ResultCallback | None) -> None:
    """Store a finished job's result in job order and tell the caller (both runners do this)."""
    results[index] = result
    if on_result:
        on_result(index, result)


def finished(results: list[JobResult | None]) -> list[JobResult]:
    """The results once every job has reported (a runner returns only then)."""
    done = [result for result in results if result is not None]
    if len(done) != len(results):
        raise RuntimeError(f"{len(results) - len(done)} jobs never reported")  # a runner bug, not bad input
    return done


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_jobs(
    jobs: Sequence[RenderJob],
    *,
    workers: int | None = None,
    on_result: ResultCallback | None = None,
    on_start: Callable[[], None] | None = None,
) -> list[JobResult]:
    """Render ``jobs`` in ``workers`` processes (default: one per core); results in job order.

    ``on_result(index, result)`` is called in this process as each job finishes, for progress and
    for writing the manifest as the batch goes; ``on_start()`` once, before the first job starts.
    """
    results: list[JobResult | None] = [None] * len(jobs)
    if on_start is not None:
        on_start()
    if not jobs:
        return []
    count = min(workers or default_workers(), len(jobs))
    threads = max(1, default_workers() // count)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_start_worker,
                             initargs=(_blender_paths(), threads)) as pool:
        futures = {pool.submit(run_job, replace(job, threads=job.threads or threads).to_dict()): i
                   for i, job in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool as exc:  # a worker died (crash in Blender, out of memory)
                    result = JobResult.failed(jobs[index], f"worker process died: {exc}")
                record(results, index, result, on_result)
        except KeyboardInterrupt:  # queued jobs never start; running ones stop or finish whole
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return finished(results)
