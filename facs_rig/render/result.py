# SPDX-License-Identifier: GPL-3.0-or-later
"""What one render job did: the record a worker sends back (pickled across processes and to Ray)
and the manifest, the CLI and the benchmarks read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from .job import RenderJob

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class JobResult:
    """A finished job. ``frames`` is the rendered range (first, last), ``fps`` and ``duration``
    (seconds) describe it; ``facs`` scores what the timeline shows over it (``6D+12D+25B``);
    ``seconds`` is the wall time the job took. A failed job has ``error`` (and ``details``, a
    traceback for bugs, not for bad input) and none of the render fields."""

    name: str
    output: str
    status: Status = "ok"
    files: int = 0
    frames: tuple[int, int] | None = None
    fps: float | None = None
    duration: float | None = None
    facs: str = ""
    engine: str = ""
    resolution: tuple[int, int] | None = None
    seconds: float | None = None
    labels: str = ""
    warnings: tuple[str, ...] = ()
    error: str = ""
    details: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def failed(cls, job: RenderJob, message: str, start: float | None = None, details: str = "") -> JobResult:
        """A job that failed: in the worker (``start``, a ``time.perf_counter()``, known) or, when
        the worker itself died, in the process that dispatched it."""
        seconds = None if start is None else round(time.perf_counter() - start, 2)
        return cls(job.name, job.output, "failed", seconds=seconds, error=message, details=details)
