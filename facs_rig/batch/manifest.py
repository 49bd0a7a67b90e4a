# SPDX-License-Identifier: GPL-3.0-or-later
"""The manifest of a batch: one row per render, what a stimulus set is documented and analysed by.

Each row says which file holds which expression (FACS code), on which avatar and identity (its
name in the spec and its parameters), from which timeline, with which frames and settings, and
whether it rendered. Written as CSV (spreadsheets, R) or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_text
from ..render.job import RenderJob
from ..render.result import JobResult

COLUMNS = (
    "output", "labels", "avatar", "avatar_file", "identity", "identity_parameters", "timeline",
    "timeline_file", "settings", "facs",
    "frames", "frame_count", "fps", "duration", "engine", "resolution", "samples", "status",
    "seconds", "error",
)


def manifest_row(
    job: RenderJob, result: JobResult | None, names: Mapping[str, str] | None = None
) -> dict[str, str | int | float]:
    """One manifest row from a job and what its worker reported (see ``worker.run_job``); None
    while the job is pending."""
    names = names or {}
    done = result or JobResult(job.name, job.output)
    frames = done.frames
    resolution = done.resolution or job.resolution
    return {
        "output": job.output,
        "labels": job.labels or "",
        "avatar": names.get("avatar", job.avatar),
        "avatar_file": job.avatar,
        "identity": names.get("identity", ""),
        "identity_parameters": job.identity or ("default" if job.avatar == "default" else ""),
        "timeline": names.get("timeline", ""),
        "timeline_file": job.timeline or "",
        "settings": names.get("settings", ""),
        "facs": done.facs,
        "frames": f"{frames[0]}-{frames[1]}" if frames else "",
        "frame_count": frames[1] - frames[0] + 1 if frames else "",
        "fps": "" if done.fps is None else done.fps,
        "duration": "" if done.duration is None else done.duration,
        "engine": done.engine or job.engine or "",
        "resolution": f"{resolution[0]}x{resolution[1]}" if resolution else "",
        "samples": job.samples or "",
        "status": "pending" if result is None else result.status,
        "seconds": "" if done.seconds is None else done.seconds,
        "error": done.error,
    }


def write_manifest(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows as ``.csv`` or ``.json`` (by suffix), atomically so a reader never sees half."""
    path = Path(path)
    text = io.StringIO(newline="")
    if path.suffix == ".json":
        json.dump({"renders": [dict(row) for row in rows]}, text, indent=2, ensure_ascii=False)
        text.write("\n")
    else:
        writer = csv.DictWriter(text, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    atomic_write_text(path, text.getvalue())
    return path


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        if path.suffix == ".json":
            return list(json.load(fh)["renders"])
        return list(csv.DictReader(fh))
