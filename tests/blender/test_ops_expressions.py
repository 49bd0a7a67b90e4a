# SPDX-License-Identifier: GPL-3.0-or-later
"""Set Pose, Insert Event and Load Timeline: what they write, and that bad input changes nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_export_timeline_ops import UNSAVED
from tests.blender.test_panel_support import (
    blender_module,
    make_head,
    panel_state,
    plain_mesh,
    refused_unchanged,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "presets" / "timelines" / "demo.json"


def _expected(addon: ModuleType, code_text: str, letter: str) -> dict[str, float]:
    """Control values a code means, from the core's parser and catalogue alone."""
    core = addon.core
    scale = core.intensity.scale_from_spec("facs")
    values: dict[str, float] = {}
    for item in core.codes.parse_code(code_text):
        au = core.catalogue.get_au(item.au)
        for channel, own in item.letters:
            for ch in au.channels if channel == "" else (channel,):
                values[core.model.control_name(item.au, ch)] = scale.to_value(own or letter)
    return values


def _curve(addon: ModuleType, obj: bpy.types.Object, control: str) -> bpy.types.FCurve:
    return blender_module(addon).anim_compat.container(obj).fcurves.find(f'["{control}"]')


def _sided_face(controls: tuple[str, ...] = ("AU12_L", "AU12_R")) -> bpy.types.Object:
    """A mesh with AU controls and nothing else (the operators read controls, not drivers)."""
    obj = plain_mesh("Face")
    for control in controls:
        obj[control] = 0.0
    return obj


# ----------------------------------------------------------------------------------------------
# Set Pose


@pytest.mark.parametrize(("expression", "letter"), [("surprise", "D"), ("happiness", "A"), ("contempt", "E")])
def test_set_pose_from_the_library(addon: ModuleType, expression: str, letter: str) -> None:
    head = make_head(addon)
    controls = blender_module(addon).props.face_controls(head)
    for control in controls:
        head[control] = 0.5
    code = str(addon.core.expressions.get_expression(expression))
    assert bpy.ops.facs.apply_expression(expression=expression, intensity=letter) == {"FINISHED"}
    expected = _expected(addon, code, letter)
    assert {c: pytest.approx(head[c]) for c in controls} == {c: expected.get(c, 0.0) for c in controls}


def test_set_pose_from_a_code_adds_to_the_pose(addon: ModuleType) -> None:
    head = make_head(addon)
    head["AU04_L"] = 0.7
    assert bpy.ops.facs.apply_expression(code="G12D+26", intensity="B", replace=False) == {"FINISHED"}
    expected = _expected(addon, "G12D+26", "B")
    assert expected["AU12_R"] > expected["AU12_L"] > 0  # G: right one level stronger
    for control, value in expected.items():
        assert head[control] == pytest.approx(value)
    assert head["AU04_L"] == pytest.approx(0.7)


def test_set_pose_neutral_code_resets(addon: ModuleType) -> None:
    face = _sided_face()
    face["AU12_L"] = 0.4
    assert bpy.ops.facs.apply_expression(code="0") == {"FINISHED"}
    assert face["AU12_L"] == 0.0


def test_set_pose_warns_about_controls_the_face_lacks(addon: ModuleType) -> None:
    face = _sided_face()
    assert bpy.ops.facs.apply_expression(code="6+12C") == {"FINISHED"}
    assert face["AU12_L"] == face["AU12_R"] == pytest.approx(0.55)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"code": "1+2+99"}, "unknown AU 99"),
    ({"code": "12Q"}, "bad intensity letter"),
    ({"code": "L26"}, "no side prefix"),
    ({"expression": "surprize"}, "did you mean surprise"),
    ({}, "give either an expression or a FACS code"),
    ({"expression": "surprise", "code": "12"}, "give either an expression or a FACS code"),
    ({"code": "1+2"}, "Face has no control for any AU of 1\\+2"),
])
@pytest.mark.parametrize("op", ["apply_expression", "insert_event"])
def test_bad_codes_change_nothing(addon: ModuleType, kwargs: dict[str, str], message: str, op: str) -> None:
    _sided_face()
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=message):
        getattr(bpy.ops.facs, op)(**kwargs)
    assert snapshot(addon) == before


@pytest.mark.parametrize("op", ["apply_expression", "insert_event"])
def test_refused_without_controls(addon: ModuleType, op: str) -> None:
    plain_mesh()
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="no AU controls"):
        getattr(bpy.ops.facs, op)(expression="surprise")
    assert snapshot(addon) == before


# ----------------------------------------------------------------------------------------------
# Insert Event


def _timing(addon: ModuleType) -> tuple[float, float, float]:
    prefs = blender_module(addon).addon.preferences()
    return prefs.event_onset, prefs.event_hold, prefs.event_offset


def test_insert_event_peaks_at_the_current_frame(addon: ModuleType) -> None:
    face = _sided_face()
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start = 24, 1
    scene.frame_set(30)
    onset, hold, offset = _timing(addon)
    assert bpy.ops.facs.insert_event(expression="polite_smile") == {"FINISHED"}
    peak = _expected(addon, "12B", "C")["AU12_L"]
    for control in ("AU12_L", "AU12_R"):
        fc = _curve(addon, face, control)
        assert fc.evaluate(30) == pytest.approx(peak, abs=1e-4)
        assert fc.evaluate(30 + hold * 24) == pytest.approx(peak, abs=1e-4)
        assert fc.evaluate(30 - onset * 24) == pytest.approx(0.0, abs=1e-4)
        assert fc.evaluate(30 + (hold + offset) * 24) == pytest.approx(0.0, abs=1e-4)
        assert 0 < fc.evaluate(30 - onset * 12) < peak
    timeline = blender_module(addon).keyframer.export_timeline(face)
    assert [(e.au, e.side) for e in timeline.events] == [(12, "both")]
    assert timeline.events[0].apex == pytest.approx(29 / 24, abs=1e-3)


def test_second_event_overlaps_as_max_and_early_event_moves_the_start(addon: ModuleType) -> None:
    face = _sided_face()
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start = 24, 1
    assert bpy.ops.facs.insert_event(code="12B", frame=30, onset=0.5, hold=0.5, offset=0.5) == {"FINISHED"}
    assert bpy.ops.facs.insert_event(code="L12D", frame=36, onset=0.25, hold=0.0, offset=0.25) == {"FINISHED"}
    left, right = _curve(addon, face, "AU12_L"), _curve(addon, face, "AU12_R")
    b, d = _expected(addon, "12B", "C")["AU12_L"], _expected(addon, "12D", "C")["AU12_L"]
    assert left.evaluate(36) == pytest.approx(d, abs=1e-4)
    assert right.evaluate(36) == pytest.approx(b, abs=1e-4)
    assert left.evaluate(30) == pytest.approx(b, abs=1e-4)  # before the second rises above the first
    # An apex on the first frame puts the onset before the start: the timeline shifts, keys stay.
    assert bpy.ops.facs.insert_event(code="R12E", frame=1, onset=0.5, hold=0.0, offset=0.25) == {"FINISHED"}
    left, right = _curve(addon, face, "AU12_L"), _curve(addon, face, "AU12_R")  # curves were rewritten
    assert right.evaluate(1) == pytest.approx(1.0, abs=1e-4)
    assert right.evaluate(30) == pytest.approx(b, abs=1e-4)
    assert left.evaluate(36) == pytest.approx(d, abs=1e-4)
    assert right.evaluate(1 - 12) == pytest.approx(0.0, abs=1e-4)
    assert len(blender_module(addon).keyframer.export_timeline(face).events) == 3


def test_insert_event_after_key_all_keeps_the_keyed_pose(addon: ModuleType) -> None:
    """Keyed poses hold outside their keys, as Blender curves do, through the scene's range."""
    face = _sided_face(("AU12_L", "AU12_R", "AU26"))
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 1, 120
    face["AU12_L"], face["AU26"] = 0.3, 0.8
    assert bpy.ops.facs.key_controls(frame=10) == {"FINISHED"}
    face["AU12_L"] = 0.6
    assert bpy.ops.facs.key_controls(frame=20) == {"FINISHED"}
    for frame in (1, 10, 20, 60, 120):
        bpy.ops.facs.insert_event(code="R12C", frame=frame + 30, onset=0.25, hold=0.0, offset=0.25)
        left, right, jaw = (_curve(addon, face, c) for c in ("AU12_L", "AU12_R", "AU26"))
        assert left.evaluate(10) == pytest.approx(0.3, abs=1e-4)
        assert left.evaluate(20) == pytest.approx(0.6, abs=1e-4)
        assert right.evaluate(frame + 30) == pytest.approx(0.55, abs=1e-4)
        assert [jaw.evaluate(f) for f in (1, 15, 60, 120)] == pytest.approx([0.8] * 4, abs=1e-4)
        assert left.evaluate(120) == pytest.approx(0.6, abs=1e-4)


def test_insert_event_refuses_a_users_own_curve(addon: ModuleType) -> None:
    face = _sided_face()
    face.keyframe_insert('["AU12_L"]', frame=5)
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="already have animation facs_rig did not make"):
        bpy.ops.facs.insert_event(code="12C", frame=20)
    assert snapshot(addon) == before


def test_insert_neutral_code_is_refused(addon: ModuleType) -> None:
    _sided_face()
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="neutral face"):
        bpy.ops.facs.insert_event(code="0")
    assert snapshot(addon) == before


def test_insert_event_keeps_an_applied_timeline(addon: ModuleType) -> None:
    head = make_head(addon)
    assert bpy.ops.facs.apply_timeline(filepath=str(DEMO), mode="LIVE") == {"FINISHED"}
    keyframer = blender_module(addon).keyframer
    before = keyframer.export_timeline(head)
    assert bpy.ops.facs.insert_event(code="26B", frame=bpy.context.scene.frame_end + 30) == {"FINISHED"}
    after = keyframer.export_timeline(head)
    assert len(after.events) == len(before.events) + 1

    def same(a: object, b: object) -> bool:
        fields = ("onset", "apex", "apex_end", "offset", "intensity")
        close = all(abs(getattr(a, f) - getattr(b, f)) < 2e-3 for f in fields)
        return close and (a.au, a.side) == (b.au, b.side)

    assert all(any(same(old, new) for new in after.events) for old in before.events)


# ----------------------------------------------------------------------------------------------
# Load Timeline


def test_load_timeline_fills_the_report(addon: ModuleType) -> None:
    assert bpy.ops.facs.load_timeline(filepath=str(DEMO)) == {"FINISHED"}
    state = bpy.context.scene.facs_rig
    timeline = addon.core.timeline.load(DEMO)
    assert state.timeline_ok and state.timeline_checked == state.timeline_path == str(DEMO)
    assert state.timeline_summary.startswith(f"demo: {len(timeline.events)} events")
    assert [line.text for line in state.timeline_report] == timeline.warnings


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read the file"),
    ("{\"format\": \"facs-timeline\",", "invalid JSON"),
    (json.dumps({"format": "facs-timeline", "version": 1,
                 "events": [{"au": 12, "intensity": "Q", "onset": 1, "apex": 0.5, "offset": 2}]}),
     "not an intensity letter"),
])
def test_load_bad_timeline_lists_the_problems(addon: ModuleType, tmp_path: Path, content: str | None,
                                              message: str) -> None:
    head = make_head(addon)
    assert bpy.ops.facs.apply_timeline(filepath=str(DEMO)) == {"FINISHED"}
    path = tmp_path / "broken.json"
    # the face and its animation are untouched
    refused_unchanged(addon, bpy.ops.facs.load_timeline, path, content, message, panel=False)
    state = panel_state(bpy.context.scene)
    errors = addon.core.errors
    with pytest.raises(errors.TimelineError) as caught:
        addon.core.timeline.load(path)
    assert not state["timeline_ok"]
    assert state["timeline_checked"] == str(path)
    assert [text for severity, text in state["timeline_report"] if severity == "ERROR"] == [
        str(p) for p in caught.value.errors]
    assert blender_module(addon).keyframer.has_animation(head)


@pytest.mark.parametrize("operator", ["load_timeline", "apply_timeline"])
def test_a_blend_relative_timeline_needs_a_saved_file(addon: ModuleType, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, operator: str) -> None:
    """Unsaved, ``//demo.json`` would be the working directory's: refused with the panel and the
    face unchanged; once the .blend is saved beside the timeline, the same path reads it."""
    make_head(addon)
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO, tmp_path / "demo.json")
    run = getattr(bpy.ops.facs, operator)
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//demo.json"))):
        run(filepath="//demo.json")
    assert snapshot(addon) == before

    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(DEMO, saved / "demo.json")
    bpy.ops.wm.save_as_mainfile(filepath=str(saved / "scene.blend"))
    assert run(filepath="//demo.json") == {"FINISHED"}
    assert snapshot(addon) != before


def test_load_without_a_path(addon: ModuleType) -> None:
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="No timeline file given"):
        bpy.ops.facs.load_timeline()
    assert snapshot(addon) == before
