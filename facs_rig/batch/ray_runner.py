# SPDX-License-Identifier: GPL-3.0-or-later
"""Run render jobs on a Ray cluster: one Ray task per job, each in a Ray worker process that
imports bpy once and keeps it for the tasks after.

The cluster's nodes need Python with the ``bpy`` wheel (the same Blender version) and ``ray``, and
must see this facs_rig (with its built assets) and the job's files (avatars, timelines, outputs)
at the same paths: shared storage, as on any render farm. The workers import facs_rig from there
(``PYTHONPATH``); nothing is uploaded. ``address="local"`` starts a private Ray instance on this
machine (what the tests do).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

from ..paths import ROOT
from ..render.job import JobError, RenderJob
from ..render.result import JobResult
from .pool import ResultCallback, finished, record
from .worker import run_job

REACH_SECONDS = 5.0
"""How long a cluster's address may take to accept a connection, and then to answer as Ray does.
Ray itself retries an address where nothing listens for a minute or more, and spends about 40 s an
attempt on one where something else listens (``RAY_gcs_rpc_server_connect_timeout_s``, 5 s, to
connect, as long again for its pubsub, then ``RAY_py_gcs_connect_timeout_s``, 30 s, waiting for a
cluster ID), ``RAY_NUM_REDIS_GET_RETRIES`` attempts: 206 s measured with them cut from 20 to 5."""
RAY_ATTEMPTS = 5
"""``RAY_NUM_REDIS_GET_RETRIES`` for a cluster that goes away after :func:`check_reachable` (Ray's
default is 20)."""

GRPC_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
"""What a gRPC client sends first: the HTTP/2 connection preface and an empty SETTINGS frame. Ray's
GCS and its Ray Client server speak gRPC, so their first frame back is a SETTINGS frame (type 4 on
stream 0); a web server, a database or a silent socket gives anything else."""


def _answers_like_ray(sock: socket.socket) -> str | None:
    """None when the peer speaks HTTP/2 (gRPC), else what it did instead."""
    try:
        sock.sendall(GRPC_HELLO)
        header = b""
        while len(header) < 9:
            chunk = sock.recv(9 - len(header))
            if not chunk:
                return "it closed the connection" if not header else "it answered too little"
            header += chunk
    except TimeoutError:
        return f"it did not answer within {REACH_SECONDS:g} s"
    except OSError as exc:
        return f"reading from it failed ({exc.strerror or exc})"
    if header[3] == 4 and header[5:9] == bytes(4):
        return None
    return f"it answered {header!r}, not HTTP/2"


def check_reachable(address: str) -> None:
    """Refuse, within about :data:`REACH_SECONDS` each, a ``host:port`` or ``ray://host:port``
    address that accepts no connection or does not answer as Ray's gRPC servers do (``auto`` is
    found by Ray itself, from this machine's running cluster, and ``local`` starts one). With TLS
    (``RAY_USE_TLS``) the answer cannot be read without Ray's certificates, so only the connection
    is checked."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise JobError(f"--ray {address!r}: expected 'auto', 'local', HOST:PORT or ray://HOST:PORT")
    try:
        sock = socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_SECONDS)
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise JobError(f"cannot reach the Ray cluster at {address!r}: {reason}") from None
    with sock:
        tls = os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true")
        problem = None if tls else _answers_like_ray(sock)
    if problem is not None:
        raise JobError(f"{address!r} is not a Ray cluster: something listens there, but {problem} "
                       "(Ray answers in gRPC); check the host and port")


def run_jobs_on_ray(
    jobs: Sequence[RenderJob],
    address: str,
    *,
    on_result: ResultCallback | None = None,
    on_start: Callable[[], None] | None = None,
    num_cpus: int | None = None,
) -> list[JobResult]:
    """Render ``jobs`` as Ray tasks on the cluster at ``address`` (``auto``, ``ray://host:10001``
    or ``local``); results in job order, ``on_result`` called as each finishes, ``on_start`` once
    the cluster is reached (so nothing is written for a batch that never starts)."""
    if address != "local":  # should the cluster go away after the check
        os.environ.setdefault("RAY_NUM_REDIS_GET_RETRIES", str(RAY_ATTEMPTS))
    try:
        import ray
    except ImportError:
        raise JobError("--ray needs the 'ray' package: pip install ray (beside bpy)") from None
    runtime_env = {"env_vars": {"PYTHONPATH": str(ROOT)}}
    options: dict[str, Any] = {"runtime_env": runtime_env, "log_to_driver": False}
    check_reachable(address)
    if address == "local":
        options.update(num_cpus=num_cpus, include_dashboard=False)
    else:
        options["address"] = address
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise JobError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    try:
        if on_start is not None:
            on_start()
        task = ray.remote(num_cpus=1, max_retries=0)(run_job)
        pending = {task.remote(job.to_dict()): i for i, job in enumerate(jobs)}
        results: list[JobResult | None] = [None] * len(jobs)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as exc:
                result = JobResult.failed(jobs[index], f"Ray task failed: {str(exc).splitlines()[0]}")
            record(results, index, result, on_result)
        return finished(results)
    finally:
        if started:
            ray.shutdown()

