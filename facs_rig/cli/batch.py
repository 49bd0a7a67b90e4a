# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig batch SPEC.json``: many renders (timelines × avatars × settings) in
parallel worker processes, or on a Ray cluster, with a manifest of what each file shows.

The spec is checked completely before any Blender starts; the manifest is rewritten as renders
finish, so an interrupted batch still documents what it made. Exit status 1 if any render failed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from ..batch.manifest import manifest_row, write_manifest
from ..batch.ray_runner import check_reachable
from ..batch.spec import load_spec
from ..render.result import JobResult
from .common import CliError

HELP = "render many timelines × avatars × settings in parallel, with a manifest"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC.json", help="batch spec (see docs/rendering.md)")
    parser.add_argument("-j", "--workers", type=int, metavar="N",
                        help="worker processes on this machine (default: one per core); with --ray local, "
                             "the local Ray instance's CPUs (one job each); a Ray cluster address ignores it")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run on a Ray cluster instead ('auto', 'ray://host:10001', or 'local')")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the spec and print each job as its own render command")


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    spec.check_files()
    if args.ray:
        check_reachable(args.ray)
    if args.workers is not None and args.workers < 1:
        raise CliError(f"--workers {args.workers}: give at least 1")
    if args.dry_run:
        for job in spec.jobs:
            print(shlex.join(["python", "-m", "facs_rig", *job.cli_args()]))
        print(f"{len(spec.jobs)} jobs, manifest {spec.manifest}")
        return 0

    rows = [manifest_row(job, None, spec.meta.get(job.name)) for job in spec.jobs]
    start = time.perf_counter()
    done = 0

    def finished(index: int, result: JobResult) -> None:
        nonlocal done
        done += 1
        job = spec.jobs[index]
        rows[index] = manifest_row(job, result, spec.meta.get(job.name))
        write_manifest(spec.manifest, rows)
        status = "ok" if result.ok else f"FAILED: {result.error}"
        elapsed = time.perf_counter() - start
        print(f"[{done}/{len(spec.jobs)} {elapsed:.1f} s] {job.name}: {status}", file=sys.stderr)

    def started() -> None:  # once the runner is ready: a batch that never starts writes nothing
        write_manifest(spec.manifest, rows)

    if args.ray:
        from ..batch.ray_runner import run_jobs_on_ray

        results = run_jobs_on_ray(spec.jobs, args.ray, on_result=finished, on_start=started,
                                  num_cpus=args.workers)
    else:
        from ..batch.pool import run_jobs

        results = run_jobs(spec.jobs, workers=args.workers, on_result=finished, on_start=started)
    failed = sum(1 for r in results if not r.ok)
    print(f"{len(results) - failed} of {len(results)} renders written in "
          f"{time.perf_counter() - start:.1f} s; manifest {spec.manifest}")
    return 1 if failed else 0
