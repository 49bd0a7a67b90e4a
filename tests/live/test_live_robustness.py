# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input is counted and reported, never a crash or a stall; memory stays flat."""

from __future__ import annotations

import gc
import socket
import time
import tracemalloc

import pytest
from pythonosc.udp_client import SimpleUDPClient

from facs_rig.live import LiveError, Session, livelink, parse_source
from facs_rig.live.session import NO_DATA_AFTER
from tests.live.support import LOOPBACK, llf_channels, received, value, wait_for


def test_truncated_garbage_and_wrong_protocol_are_counted_and_the_stream_goes_on(start) -> None:
    session = start("llf")
    port = session.receiver.port
    good = livelink.encode(llf_channels({"JawOpen": 0.5}), frame=1)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad = [good[:30], good[:-4], b"\x06" + b"\xff" * 80, bytes(range(256)), b"", good + b"xx"]
    for packet in bad:
        sender.sendto(packet, (LOOPBACK, port))
    SimpleUDPClient(LOOPBACK, port).send_message("/W", [3, 0.5])  # Face Cap on the Live Link port
    sender.sendto(b"mouthSmile_L-50|", (LOOPBACK, port))  # iFacialMocap on it
    sender.sendto(good, (LOOPBACK, port))
    sender.close()
    assert received(session, len(bad) + 3)
    counters = session.receiver.counters
    assert counters.malformed == len(bad) + 2
    assert counters.received == 1
    assert "Live Link" in counters.last_error
    session.poll()
    assert value(session, 26, "both") > 0.2
    assert session.status().malformed == len(bad) + 2
    assert session.receiver.running


@pytest.mark.parametrize("kind", ["osc", "ifm"])
def test_other_decoders_count_garbage(start, kind: str) -> None:
    session = start(kind)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for packet in (b"\x00\x01garbage", livelink.encode(llf_channels(), frame=1), b"/W\x00\x00,if\x00\x00"):
        sender.sendto(packet, (LOOPBACK, session.receiver.port))
    sender.close()
    assert received(session, 3)
    assert session.receiver.counters.malformed == 3
    assert session.receiver.running


def test_a_sender_that_stops_shows_no_data_and_the_values_hold(start) -> None:
    session = start("llf")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    packet = livelink.encode(llf_channels({"MouthSmileRight": 0.9}), frame=1)
    sender.sendto(packet, (LOOPBACK, session.receiver.port))
    sender.close()
    assert received(session, 1)
    held = session.poll()
    assert held is not None
    assert not session.status().no_data
    assert wait_for(lambda: session.status().no_data, timeout=NO_DATA_AFTER + 1.0)
    assert session.poll() is None
    assert value(session, 12, "R") == pytest.approx(float(held[session.processor.keys.index((12, "R"))]))
    assert "no data" in session.status().line()


def test_a_port_in_use_is_a_clear_error(start) -> None:
    session = start("llf")
    with pytest.raises(LiveError, match=f"UDP port {session.receiver.port} .* already in use"):
        Session(f"llf://{LOOPBACK}:{session.receiver.port}").start()


@pytest.mark.parametrize("text", ["http://x:1", "llf://h:99999", "video:", "llf://h:1/path", "llf"])
def test_bad_source_texts(text: str) -> None:
    with pytest.raises(LiveError):
        parse_source(text)


def test_default_ports() -> None:
    assert parse_source("llf://").port == 11111
    assert parse_source("ifm://0.0.0.0").port == 49983
    assert parse_source("zmq://10.0.0.2:5571").host == "10.0.0.2"
    assert str(parse_source("video:take.mp4")) == "video:take.mp4"


def test_memory_stays_flat_over_a_long_run(start) -> None:
    """6,000 frames (100 s at 60 Hz) through receiver, solver, smoothing and status, without
    recording: what the tracer holds after 1,000 and after 6,000 frames differs by under 64 KiB."""
    from facs_rig.live import Options

    session = start("llf", options=Options(smoothing=True, mirror=True))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    address = (LOOPBACK, session.receiver.port)
    tracemalloc.start()
    try:
        sizes = []
        for frame in range(6000):
            smile = (frame % 60) / 60
            sender.sendto(livelink.encode(llf_channels({"MouthSmileLeft": smile}), frame=frame), address)
            if frame % 20 == 19:
                assert received(session, frame + 1)
                session.poll()
                session.applied()
                session.status()
            if frame in (999, 5999):
                gc.collect()
                time.sleep(0.01)
                sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        sender.close()
    assert session.receiver.counters.received == 6000
    assert sizes[1] - sizes[0] < 64 * 1024, sizes


def test_facs_rig_loads_without_the_wire_libraries_and_says_what_to_install() -> None:
    """python-osc and pyzmq are imported when their source starts: the add-on loads without them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['pythonosc'] = None\n"
        "sys.modules['zmq'] = None\n"
        "from facs_rig.live import LiveError, Session\n"
        "for source, package in (('osc://127.0.0.1:0', 'python-osc'), ('zmq://127.0.0.1:5571', 'pyzmq')):\n"
        "    try:\n"
        "        Session(source).start()\n"
        "    except LiveError as exc:\n"
        "        assert repr(package) in str(exc), exc\n"
        "    else:\n"
        "        raise SystemExit(source + ' started')\n"
        "Session('llf://127.0.0.1:0').start()\n"
    )
    from tests.live.test_live_cli import ROOT

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
