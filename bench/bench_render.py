# SPDX-License-Identifier: GPL-3.0-or-later
"""Render speed: frames per second of the demo timeline on the default head at 512×512 with
Workbench, and the speed-up of a batch in worker processes (one job after another in one worker,
against two workers), both measured here in the same run.

    .venv/bin/python bench/bench_render.py [--frames 1-120] [--jobs 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facs_rig.batch.pool import run_jobs  # noqa: E402
from facs_rig.render.job import RenderJob, parse_frames  # noqa: E402  (needs ROOT on sys.path)

DEMO = ROOT / "presets" / "timelines" / "demo.json"


def demo_fps(out: Path, frames: tuple[int, int] | None) -> None:
    from facs_rig.blender.render_job import run_render_job

    job = RenderJob(output=str(out / "demo.mp4"), timeline=str(DEMO), resolution=(512, 512), frames=frames)
    start = time.perf_counter()
    result = run_render_job(job, show_progress=False)
    seconds = time.perf_counter() - start  # with building the head, rig and animation (about 0.2 s)
    assert result.frames is not None
    first, last = result.frames
    count = last - first + 1
    print(f"demo, default head, Workbench 512x512, frames {first}-{last} to MP4: "
          f"{count} frames in {seconds:.1f} s = {count / seconds:.2f} frames/s")


def batch_speedup(out: Path, jobs: int) -> None:
    specs = [RenderJob(output=str(out / f"job{i}"), timeline=str(DEMO), resolution=(256, 256),
                       frames=(1 + 40 * i, 24 + 40 * i), name=f"job{i}") for i in range(jobs)]
    times = {}
    for workers in (1, 2):
        start = time.perf_counter()
        batch = [replace(job, output=f"{job.output}_w{workers}") for job in specs]
        results = run_jobs(batch, workers=workers)
        times[workers] = time.perf_counter() - start
        failed = [r for r in results if not r.ok]
        if failed:
            raise SystemExit(f"batch job failed: {failed[0].error}")
        frames = sum(r.frames[1] - r.frames[0] + 1 for r in results if r.frames)
        rate = frames / times[workers]
        print(f"batch of {jobs} jobs ({frames} frames, 256x256), {workers} worker process"
              f"{'es' if workers > 1 else ''}: {times[workers]:.1f} s = {rate:.2f} frames/s")
    print(f"speed-up of 2 workers over 1: {times[1] / times[2]:.2f}x on this {os.cpu_count()}-core machine")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="1-120", help="demo frames to time, or 'all' (default 1-120)")
    parser.add_argument("--jobs", type=int, default=4, help="jobs in the batch comparison (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="facs_rig_bench_") as tmp:
        demo_fps(Path(tmp), None if args.frames == "all" else parse_frames(args.frames))
        batch_speedup(Path(tmp), args.jobs)


if __name__ == "__main__":
    main()
