# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch jobs on a Ray cluster (a private local instance here): each job is a Ray task in a worker
process with its own Blender, importing facs_rig from this tree; results come back in job order and
a failing job is reported, not raised. Needs ``ray`` (requirements/dev.txt)."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray

from facs_rig.batch import ray_runner
from facs_rig.render.job import JobError, RenderJob

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

TIMELINE = {"format": "facs-timeline", "version": 1, "fps": 10,
            "events": [{"au": 12, "intensity": "D", "onset": 0.0, "apex": 0.2, "offset": 0.3}]}


def test_jobs_run_as_ray_tasks(tmp_path: Path) -> None:
    # The batch driver is plain Python (``facs_rig.batch``, as the CLI imports it): Ray ships the
    # job functions to workers by that name.
    timeline = tmp_path / "smile.json"
    timeline.write_text(json.dumps(TIMELINE))
    jobs = [
        RenderJob(output=str(tmp_path / "a"), timeline=str(timeline), resolution=(24, 24), frames=(1, 2),
                  name="a"),
        RenderJob(output=str(tmp_path / "b.png"), timeline=str(timeline), resolution=(24, 24),
                  engine="cycles", samples=1, name="b"),
        RenderJob(output=str(tmp_path / "c.png"), avatar=str(tmp_path / "missing.blend"), name="c"),
    ]
    seen: list[int] = []
    results = ray_runner.run_jobs_on_ray(jobs, "local", num_cpus=2, on_result=lambda i, _r: seen.append(i))
    assert sorted(seen) == [0, 1, 2]
    assert [r.name for r in results] == ["a", "b", "c"]
    assert results[0].status == "ok" and results[0].frames == (1, 2)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["frame_0001.png", "frame_0002.png"]
    assert results[1].status == "ok" and results[1].engine == "cycles"
    assert (tmp_path / "b.png").is_file()
    assert results[1].frames == (3, 3)  # a still of a timeline shows its peak (0.2 s at 10 fps)
    assert results[2].status == "failed" and "missing.blend: no such avatar file" in results[2].error


class QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the web server's access log out of the test's output."""


def test_a_listener_that_is_not_ray_is_refused_within_seconds(tmp_path: Path) -> None:
    """A web server and a socket that accepts and never answers, on loopback: Ray would retry either
    for minutes (about 40 s an attempt); the batch refuses both within seconds, naming the address,
    before Ray starts and before anything is written."""
    web = http.server.ThreadingHTTPServer((LOOPBACK, 0), QuietHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    silent = socket.create_server((LOOPBACK, 0))  # the kernel accepts; nobody reads or answers
    timeline = tmp_path / "smile.json"
    timeline.write_text(json.dumps(TIMELINE))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"timelines": ["smile.json"]}))
    try:
        for port, reason in ((web.server_port, "it answered b'<!DOCTYPE', not HTTP/2"),  # its 505 page
                             (silent.getsockname()[1], "it did not answer within 5 s")):
            address = f"{LOOPBACK}:{port}"
            message = (f"{address!r} is not a Ray cluster: something listens there, but {reason} "
                       "(Ray answers in gRPC); check the host and port")
            start = time.monotonic()
            with pytest.raises(JobError) as caught:
                ray_runner.run_jobs_on_ray([RenderJob(output=str(tmp_path / "x.png"))], address)
            assert time.monotonic() - start < 10
            assert str(caught.value) == message
            assert not ray.is_initialized()
            start = time.monotonic()
            run = subprocess.run([sys.executable, "-m", "facs_rig", "batch", str(spec), "--ray", address],
                                 cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
            assert time.monotonic() - start < 30  # the CLI's own start-up included
            assert run.returncode == 2, run.stderr
            assert run.stderr.strip().splitlines() == [f"facs_rig batch: error: {message}"], run.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["smile.json", "spec.json"]
    finally:
        web.shutdown()
        web.server_close()
        silent.close()


def test_a_real_ray_cluster_passes_the_address_check() -> None:
    """The check that refuses other listeners lets Ray's own GCS through (its gRPC answer)."""
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        start = time.monotonic()
        ray_runner.check_reachable(address)
        assert time.monotonic() - start < 1
        assert ray_runner.run_jobs_on_ray([], address) == []  # connected to it: nothing to run
    finally:
        ray.shutdown()
