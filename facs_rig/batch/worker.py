# SPDX-License-Identifier: GPL-3.0-or-later
"""The code a worker process (or a Ray task) runs: one Blender, many jobs, one after another.

Blender allows one instance per process and no threads, so parallel renders are separate
processes; each imports bpy once and resets the file between jobs (``render_job`` starts every job
from an empty file or the job's .blend). A failing job becomes a ``failed`` result with its message,
so one bad avatar does not stop a stimulus set.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from ..core.errors import FacsError
from ..core.interrupt import stop_on_signals
from ..render.job import RenderJob
from ..render.result import JobResult


def run_job(job_data: dict[str, Any]) -> JobResult:
    """Render one job given as a dict (picklable across processes and to Ray workers)."""
    start = time.perf_counter()
    job = RenderJob.from_dict(job_data)
    try:
        from ..blender.render_job import run_render_job

        try:
            with stop_on_signals(""):  # Ctrl-C reaches every worker: stop at the next frame, cleanly
                return run_render_job(job, quiet=True, show_progress=False)
        except FacsError as exc:
            return JobResult.failed(job, str(exc), start)
    except Exception as exc:  # a worker reports every failure instead of dying
        return JobResult.failed(job, f"{type(exc).__name__}: {exc}", start, traceback.format_exc())

