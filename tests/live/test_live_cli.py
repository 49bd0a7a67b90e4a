# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig live``: a real process receiving a real sender, writing the take."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from facs_rig.core.timeline import load
from facs_rig.live import livelink
from tests.live.support import LOOPBACK, llf_channels

ROOT = Path(__file__).resolve().parents[2]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def test_live_records_a_take_from_live_link_face(tmp_path: Path) -> None:
    port, take = free_udp_port(), tmp_path / "takes" / "day 1" / "take.json"  # folders made on writing
    command = [sys.executable, "-m", "facs_rig", "live", "--source", f"llf://{LOOPBACK}:{port}",
               "--record", str(take), "--duration", "4", "--events"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    frame, deadline = 0, time.perf_counter() + 30
    while process.poll() is None and time.perf_counter() < deadline:
        smile = 1.0 if (frame // 30) % 2 else 0.0  # half a second on, half a second off
        sender.sendto(livelink.encode(llf_channels({"MouthSmileLeft": smile}), frame=frame), (LOOPBACK, port))
        frame += 1
        time.sleep(1 / 60)
    sender.close()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"wrote {take}" in out
    timeline = load(take)
    live = timeline.meta["live"]
    assert live["clock"] == "sender" and live["malformed"] == 0 and live["frames"] > 30
    smiles = [e for e in timeline.events if e.au == 12]
    assert smiles and all(e.side == "L" for e in smiles)
    assert not [e for e in timeline.events if e.au == 12 and e.side == "R"]
    starts = np.array([e.onset for e in smiles])[1:]  # the first may be cut by the start of the take
    # a smile starts every second of the sender's frame clock, and lasts half of it
    assert len(starts) >= 2 and np.allclose(np.diff(starts), 1.0, atol=0.1)
    assert all(0.35 < e.offset - e.onset < 0.75 for e in smiles[1:-1])
    assert "llf://" in err and "malformed 0" in err


def test_live_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOOPBACK, 0))
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "facs_rig", "live", "--source", f"llf://{LOOPBACK}:{port}",
                               "--record", str(tmp_path / "new" / "t.json"), "--duration", "1"],
                              check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "already in use" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())  # neither the take nor its folder
