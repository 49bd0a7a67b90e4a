# SPDX-License-Identifier: GPL-3.0-or-later
"""Each source with its real sender on loopback: values land on the right AU and side, equal to
what the batch importers' solver makes of the same weights, and the recorded take keeps the
sender's timing."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
import zmq
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from facs_rig.core.mapping.presets import arkit_names
from facs_rig.io.blendshapes import solve_shapes
from facs_rig.live import facecap, facsvatar, ifacialmocap, livelink
from tests.live.support import LOOPBACK, llf_channels, received, value, wait_for

SOLVER_TOLERANCE = 1e-4
"""The live solver against the batch one on the same weights (same minimiser, other iterations)."""


def batch(names: list[str], weights: dict[str, float]) -> dict[tuple[int, str], float]:
    row = np.array([[weights.get(n, 0.0) for n in names]])
    return {k: float(v[0]) for k, v in solve_shapes(names, row).tracks.items()}


def test_live_link_face_values_sides_and_timing(start) -> None:
    session = start("llf")
    session.record()
    shapes = {"MouthSmileLeft": 0.8, "BrowDownRight": 0.6, "JawOpen": 0.4}
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    frames = [216000 + i for i in range(20)]
    for frame in frames:
        packet = livelink.encode(llf_channels(shapes, HeadYaw=0.25, LeftEyePitch=0.3, RightEyePitch=0.3),
                                 frame=frame, rate=(60, 1))
        sender.sendto(packet, (LOOPBACK, session.receiver.port))
        time.sleep(0.002)
    sender.close()
    assert received(session, len(frames))
    session.poll()
    expected = batch(list(livelink.SHAPES), shapes)
    assert value(session, 12, "L") == pytest.approx(expected[(12, "L")], abs=SOLVER_TOLERANCE)
    assert value(session, 12, "L") > 0.5 > value(session, 12, "R")
    assert value(session, 4, "R") == pytest.approx(expected[(4, "R")], abs=SOLVER_TOLERANCE)
    assert value(session, 4, "R") > 0.3 > value(session, 4, "L")
    assert value(session, 26, "both") == pytest.approx(expected[(26, "both")], abs=SOLVER_TOLERANCE)
    # head yaw +0.25 rad turns to the subject's right (AU 52) at 0.25 / 30°; eyes down (AU 64)
    assert value(session, 52, "both") == pytest.approx(0.25 / np.radians(30), abs=1e-6)
    assert value(session, 51, "both") == 0.0
    assert value(session, 64, "both") == pytest.approx(0.3 / np.radians(35), abs=1e-6)
    timeline = session.take_timeline()
    assert timeline.meta["live"]["clock"] == "sender"
    track = next(t for t in timeline.tracks if (t.au, t.side) == (12, "L"))
    assert np.allclose(track.times, np.arange(len(frames)) / 60, atol=1e-9)
    assert np.allclose(track.values, expected[(12, "L")], atol=SOLVER_TOLERANCE)
    assert timeline.fps == 60.0
    assert {(t.au, t.side) for t in timeline.tracks} >= {(12, "L"), (4, "R"), (26, "both"), (52, "both")}


def test_live_link_face_counts_frames_lost_on_the_way_and_no_face_packets(start) -> None:
    session = start("llf")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for frame in (10, 11, 15, 16):  # 12, 13, 14 never sent
        sender.sendto(livelink.encode(llf_channels(), frame=frame), (LOOPBACK, session.receiver.port))
    header = livelink.encode(llf_channels(), frame=0)[: 1 + 4 + 36 + 4 + 6]  # version and ids: no face
    sender.sendto(header, (LOOPBACK, session.receiver.port))
    sender.close()
    assert received(session, 5)
    counters = session.receiver.counters
    assert (counters.received, counters.lost, counters.empty, counters.malformed) == (4, 3, 1, 0)
    session.poll()
    assert session.status().dropped == 3


def test_face_cap_osc_bundles_through_python_osc(start) -> None:
    session = start("osc")
    session.record()
    client = SimpleUDPClient(LOOPBACK, session.receiver.port)
    weights = {"mouthSmile_R": 0.7, "eyeBlink_L": 0.9, "browInnerUp": 0.5}
    for _ in range(5):
        bundle = OscBundleBuilder(IMMEDIATELY)
        for address, args in [("/HR", [0.0, -20.0, 0.0]), ("/ELR", [0.0, 10.0]), ("/ERR", [0.0, 10.0])]:
            message = OscMessageBuilder(address)
            for a in args:
                message.add_arg(a)
            bundle.add_content(message.build())
        for index, name in enumerate(facecap.SHAPES):
            message = OscMessageBuilder("/W")
            message.add_arg(index)
            message.add_arg(weights.get(name, 0.0))
            bundle.add_content(message.build())
        client.send(bundle.build())
        time.sleep(0.005)
    assert received(session, 5)
    session.poll()
    assert session.receiver.counters.malformed == 0
    expected = batch(list(facecap.SHAPES), weights)
    assert value(session, 12, "R") == pytest.approx(expected[(12, "R")], abs=SOLVER_TOLERANCE)
    assert value(session, 12, "R") > 0.4 > value(session, 12, "L")
    assert value(session, 43, "L") == pytest.approx(expected[(43, "L")], abs=SOLVER_TOLERANCE)
    assert value(session, 43, "L") > 0.5 > value(session, 43, "R")
    assert value(session, 1, "L") == pytest.approx(value(session, 1, "R"), abs=1e-9)
    assert value(session, 1, "L") > 0.2
    assert value(session, 51, "both") == pytest.approx(20 / 30, abs=1e-6)  # yaw -20°: turned left
    assert value(session, 62, "both") == pytest.approx(10 / 35, abs=1e-6)  # eyes yaw +10°: right
    assert len(session.take) == 5


def test_face_cap_loose_messages_make_a_frame_at_the_last_shape(start) -> None:
    session = start("osc")
    client = SimpleUDPClient(LOOPBACK, session.receiver.port)
    for index in range(len(facecap.SHAPES)):
        client.send_message("/W", [index, 0.6 if facecap.SHAPES[index] == "jawOpen" else 0.0])
    assert received(session, len(facecap.SHAPES))
    assert session.receiver.counters.received == 1
    session.poll()
    assert value(session, 26, "both") > 0.3


def test_ifacialmocap_text_over_udp(start) -> None:
    session = start("ifm")
    weights = {"mouthSmileLeft": 0.35, "mouthSmileRight": 0.35, "eyeWideRight": 0.8}
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    text = ifacialmocap.encode({n: weights.get(n, 0.0) for n in arkit_names()}, head=(10.0, 0, 0, 0, 0, 0))
    assert text.startswith(b"browDown_L-0|")
    sender.sendto(text, (LOOPBACK, session.receiver.port))
    sender.close()
    assert received(session, 1)
    session.poll()
    expected = batch(list(arkit_names()), weights)
    for key in ((12, "L"), (12, "R"), (5, "R")):
        assert value(session, *key) == pytest.approx(expected[key], abs=SOLVER_TOLERANCE)
    assert value(session, 5, "R") > 0.5 > value(session, 5, "L")
    assert value(session, 54, "both") == pytest.approx(10 / 20, abs=1e-6)  # pitch +10°: head down


def test_facsvatar_over_zeromq(start) -> None:
    context = zmq.Context()
    publisher = context.socket(zmq.PUB)
    publisher.setsockopt(zmq.LINGER, 0)
    try:
        port = publisher.bind_to_random_port(f"tcp://{LOOPBACK}")
        session = start("zmq", port)
        session.record()
        message = facsvatar.encode("openface", 1000.0, {"AU01": 0.2, "AU12": 0.6, "AU26": 3.0},
                                   pose={"pose_Ry": 0.3}, gaze={"gaze_angle_x": 0.2})
        # a SUB socket joins a moment after connecting: send until the first message is in
        assert wait_for(lambda: bool(publisher.send_multipart(message))
                        or session.receiver.counters.received > 0)
        time.sleep(0.05)
        session.receiver.drain()
        session.record()
        for i in range(10):
            message = facsvatar.encode("openface", 1000.0 + i / 30, {"AU12": 0.1 * i}, frame=i)
            publisher.send_multipart(message)
        assert wait_for(lambda: len(session.receiver._pending) >= 10)
    finally:
        publisher.close()
        context.term()
    session.poll()
    assert value(session, 12, "both") == pytest.approx(0.9)
    track = next(t for t in session.take_timeline().tracks if t.au == 12)
    assert np.allclose(track.times, np.arange(10) / 30, atol=1e-6)
    assert np.allclose(track.values, 0.1 * np.arange(10))


def test_facsvatar_scales_openface_values_and_reads_pose_and_gaze() -> None:
    frame = facsvatar.Decoder().decode_parts(
        facsvatar.encode("t", 5.0, {"AU01": 0.2, "AU26": 3.0}, pose={"pose_Ry": 0.3},
                         gaze={"gaze_angle_x": 0.2}), 0.0)
    assert frame.time == 5.0
    assert frame.direct[(1, "both")] == 0.2
    assert frame.direct[(26, "both")] == pytest.approx(0.6)  # 3 on OpenFace's 0..5
    assert frame.direct[(52, "both")] == pytest.approx(0.3 / np.radians(30))  # +Ry: turned right
    assert frame.direct[(61, "both")] == pytest.approx(0.2 / np.radians(35))  # +x: looks left
