# SPDX-License-Identifier: GPL-3.0-or-later
"""Live in Blender, through the operators: start, receive, record, stop and apply, with a real
Live Link Face sender on loopback. Headless Blender runs no timers: the tests call the timer's
function (``ops_live.tick``) as Blender would."""

from __future__ import annotations

import importlib
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest

from facs_rig.core.timeline import load
from facs_rig.live import livelink
from tests.blender.test_export_timeline_ops import UNSAVED
from tests.blender.test_panel_support import blender_module, context_for, draw, make_head, plain_mesh
from tests.live.support import LOOPBACK, llf_channels, wait_for


@pytest.fixture
def ops_live(addon: ModuleType) -> Iterator[ModuleType]:
    module = importlib.import_module(f"{addon.__name__}.blender.ops_live")
    yield module
    module.stop_session()


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _settings(port: int) -> None:
    state = bpy.context.scene.facs_rig_live
    state.source, state.host, state.port = "llf", LOOPBACK, port


def _send_until(ops_live: ModuleType, obj: bpy.types.Object, packets: list[bytes], port: int) -> None:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    counters = ops_live.current().session.receiver.counters

    def seen() -> int:
        return counters.received + counters.malformed + counters.empty

    before = seen()
    for packet in packets:
        sender.sendto(packet, (LOOPBACK, port))
        time.sleep(0.001)
    sender.close()
    assert wait_for(lambda: seen() >= before + len(packets))
    assert ops_live.tick() == ops_live.INTERVAL


def test_start_receive_record_stop_apply(addon: ModuleType, ops_live: ModuleType) -> None:
    head = make_head(addon)
    port = _port()
    _settings(port)
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    assert bpy.app.timers.is_registered(ops_live.tick)
    smile = livelink.encode(llf_channels({"MouthSmileLeft": 0.9}, HeadYaw=-0.2), frame=100)
    _send_until(ops_live, head, [smile], port)
    assert head["AU12_L"] > 0.5 > head["AU12_R"]
    assert head["AU51"] == pytest.approx(0.2 / np.radians(30), abs=1e-6)  # turned to the subject's left
    bpy.context.view_layer.update()
    assert head.data.shape_keys.key_blocks["mouthSmileLeft"].value > 0.4  # the rig's drivers follow
    status = ops_live.status()
    assert status.received == 1 and status.latency_ms is not None and not status.no_data

    assert bpy.ops.facs.live_record() == {"FINISHED"}
    ramp = np.linspace(0.0, 1.0, 30)
    packets = [livelink.encode(llf_channels({"MouthSmileLeft": float(v)}), frame=200 + i, rate=(30, 1))
               for i, v in enumerate(ramp)]
    _send_until(ops_live, head, packets, port)
    recorded = ops_live.current().session.take_timeline().tracks
    take = next(t for t in recorded if (t.au, t.side) == (12, "L"))
    assert np.allclose(take.times, np.arange(30) / 30)  # the sender's frame clock
    assert bpy.ops.facs.live_stop() == {"FINISHED"}
    assert ops_live.status() is None and not bpy.app.timers.is_registered(ops_live.tick)
    scene = bpy.context.scene
    assert scene.render.fps == 30
    curve = blender_module(addon).anim_compat.container(head).fcurves.find('["AU12_L"]')
    frames = scene.frame_start + np.arange(30)
    keyed = np.array([curve.evaluate(float(f)) for f in frames])
    assert np.allclose(keyed, take.values, atol=2e-3)
    assert keyed[-1] > 0.7 and keyed[0] < 0.05


def test_save_take_writes_a_timeline_and_an_unwritable_one_keeps_live_running(
        addon: ModuleType, ops_live: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unwritable: a folder that is a file, or ``//`` in an unsaved .blend (not the working
    directory, where Blender would resolve it)."""
    monkeypatch.chdir(tmp_path)
    head = make_head(addon)
    scene = bpy.context.scene
    port = _port()
    _settings(port)
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    assert bpy.ops.facs.live_record() == {"FINISHED"}
    ramp = np.linspace(0.0, 0.9, 12)
    _send_until(ops_live, head, [livelink.encode(llf_channels({"MouthSmileLeft": float(v)}), frame=i,
                                                 rate=(30, 1)) for i, v in enumerate(ramp)], port)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    before = sorted(tmp_path.rglob("*"))
    fps = scene.render.fps
    unwritable = tmp_path / "notes.txt" / "take.json"
    for path, message in ((str(unwritable), f"{unwritable}: cannot write there"),
                          ("//take.json", UNSAVED.format("//take.json"))):
        scene.facs_rig_live.take_path = path
        with pytest.raises(RuntimeError, match=re.escape(message) + ".*Live keeps"):
            bpy.ops.facs.live_stop()
        assert sorted(tmp_path.rglob("*")) == before  # no file, no temporary, no folder
        assert ops_live.current() is not None and ops_live.status().recorded == len(ramp)  # the take is kept
        assert head.animation_data is None and scene.render.fps == fps  # nothing keyed

    target = tmp_path / "takes" / "take.json"
    scene.facs_rig_live.take_path = str(target)
    assert bpy.ops.facs.live_stop() == {"FINISHED"}
    assert ops_live.current() is None
    saved = load(target)
    smile = next(t for t in saved.tracks if (t.au, t.side) == (12, "L"))
    assert np.allclose(smile.times, np.arange(len(ramp)) / 30)
    curve = blender_module(addon).anim_compat.container(head).fcurves.find('["AU12_L"]')
    keyed = np.array([curve.evaluate(float(f)) for f in scene.frame_start + np.arange(len(ramp))])
    assert np.allclose(keyed, smile.values, atol=2e-3)  # the file holds what was keyed
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.txt", "take.json", "takes"]


def test_no_data_holds_the_pose_and_stop_without_a_take_keys_nothing(addon: ModuleType,
                                                                    ops_live: ModuleType) -> None:
    head = make_head(addon)
    port = _port()
    _settings(port)
    bpy.context.scene.facs_rig_live.smoothing = True
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    _send_until(ops_live, head, [livelink.encode(llf_channels({"JawOpen": 0.6}), frame=1)], port)
    held = head["AU26"]
    assert held > 0.2
    assert wait_for(lambda: ops_live.status().no_data, timeout=3.0)
    ops_live.tick()
    assert head["AU26"] == held
    assert bpy.ops.facs.live_calibrate() == {"FINISHED"}
    assert bpy.ops.facs.live_stop() == {"FINISHED"}
    assert head.animation_data is None or head.animation_data.action is None


def test_calibrate_refuses_bad_gains_and_changes_nothing(addon: ModuleType, ops_live: ModuleType) -> None:
    head = make_head(addon)
    port = _port()
    _settings(port)
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    _send_until(ops_live, head, [livelink.encode(llf_channels({"JawOpen": 0.6}), frame=1)], port)
    bpy.context.scene.facs_rig_live.gains = "smile=2"
    with pytest.raises(RuntimeError, match="is not AU=FACTOR"):
        bpy.ops.facs.live_calibrate()
    assert ops_live.current().session.processor.neutral is None
    bpy.context.scene.facs_rig_live.gains = "26=2"
    assert bpy.ops.facs.live_calibrate() == {"FINISHED"}
    assert ops_live.current().session.processor.options.gains == {26: 2.0}
    assert ops_live.current().session.processor.neutral is not None


def test_the_live_section_draws_idle_running_and_no_data(addon: ModuleType, ops_live: ModuleType) -> None:
    head = make_head(addon)
    panel = importlib.import_module(f"{addon.__name__}.blender.panel_live").FACS_PT_live
    idle = draw(panel, context_for(head))
    assert idle.operator("facs.live_start", "Start")
    assert [path for _, path, _ in idle.props][:4] == ["source", "host", "port", "passthrough"]
    port = _port()
    _settings(port)
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    _send_until(ops_live, head, [livelink.encode(llf_channels(), frame=1), b"junk"], port)
    running = draw(panel, context_for(head))
    assert running.operator("facs.live_stop", "Stop") and running.operator("facs.live_record")
    assert any(label.startswith("Latency ") and "malformed 1" in label for label in running.labels)
    assert wait_for(lambda: "No data: the rig holds its last pose" in draw(panel, context_for(head)).labels,
                    timeout=3.0)
    assert "Build a FACS rig to drive it live, or use Passthrough on an ARKit head" in draw(
        panel, context_for(None)).labels


def test_passthrough_drives_an_arkit_head_one_to_one(addon: ModuleType, ops_live: ModuleType) -> None:
    head = plain_mesh("ARKit head")
    head.shape_key_add(name="Basis")
    for name in ("jawOpen", "eyeBlink_L", "mouthSmileRight"):
        head.shape_key_add(name=name)
    port = _port()
    _settings(port)
    with pytest.raises(RuntimeError, match="no AU controls"):
        bpy.ops.facs.live_start()
    bpy.context.scene.facs_rig_live.passthrough = True
    assert bpy.ops.facs.live_start() == {"FINISHED"}
    weights = {"JawOpen": 0.25, "EyeBlinkLeft": 0.75, "MouthSmileRight": 0.5}
    _send_until(ops_live, head, [livelink.encode(llf_channels(weights), frame=1)], port)
    blocks = head.data.shape_keys.key_blocks
    assert blocks["jawOpen"].value == pytest.approx(0.25)
    assert blocks["eyeBlink_L"].value == pytest.approx(0.75)
    assert blocks["mouthSmileRight"].value == pytest.approx(0.5)


def test_a_port_in_use_is_reported_and_nothing_starts(addon: ModuleType, ops_live: ModuleType) -> None:
    make_head(addon)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOOPBACK, 0))
        _settings(taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="already in use"):
            bpy.ops.facs.live_start()
    assert ops_live.current() is None and not bpy.app.timers.is_registered(ops_live.tick)


def test_gains_text() -> None:
    from facs_rig.blender.ops_live import parse_gains

    assert parse_gains("12=1.5 AU26:0.8, 4=2") == {12: 1.5, 26: 0.8, 4: 2.0}
    with pytest.raises(ValueError, match="AU=FACTOR"):
        parse_gains("smile=2")


def test_a_blend_relative_video_needs_a_saved_file(addon: ModuleType, ops_live: ModuleType, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsaved, ``//`` would mean the working directory: Start refuses it before any session opens."""
    monkeypatch.chdir(tmp_path)
    make_head(addon)
    state = bpy.context.scene.facs_rig_live
    state.source, state.video = "video", "//take.mp4"
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//take.mp4"))):
        bpy.ops.facs.live_start()
    assert ops_live.current() is None
