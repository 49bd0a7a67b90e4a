# SPDX-License-Identifier: GPL-3.0-or-later
"""The keyframer in real Blender: F-curves equal the core's evaluation at every frame, the user's
animation survives, bad input changes nothing, export gives the timeline back."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import numpy as np
import pytest

from tests.blender.test_panel_support import refused_unchanged

RICH: dict[str, Any] = {
    "format": "facs-timeline", "version": 1, "name": "rich", "fps": 30,
    "events": [
        {"code": "6B+12C", "onset": 0.2, "apex": 0.5, "apex_end": 1.2, "offset": 1.7},  # code, hold
        {"expression": "surprise", "intensity": "C", "onset": 1.0, "apex": 1.15, "offset": 1.9},
        {"au": 12, "side": "L", "intensity": 0.4, "onset": 1.5, "apex": 1.8, "offset": 2.4,
         "ease": "linear"},  # overlaps the smile on the left only
        {"code": "R14A", "onset": 2.0, "apex": 2.1234, "apex_end": 2.3, "offset": 2.6},  # sub-frame
        {"au": 22, "side": "T", "intensity": 0.6, "onset": 2.5, "apex": 2.7, "offset": 3.0},
        {"au": 26, "intensity": "B", "onset": 3.0, "apex": 3.0, "apex_end": 3.3, "offset": 3.6},  # step
        {"au": 27, "intensity": 0.5, "onset": 3.2, "apex": 3.4, "offset": 3.8, "ease": "linear"},
        {"au": 45, "intensity": 1.0, "onset": 3.9, "apex": 4.0, "offset": 4.15},
        {"au": 51, "intensity": 0.7, "onset": 0.1, "apex": 0.6, "apex_end": 1.0, "offset": 1.5},
    ],
    "tracks": [{"au": 4, "side": "both", "times": [4.2, 4.25, 4.3, 4.35, 4.4, 4.45, 4.5],
                "values": [0.0, 0.3, 0.5, None, 0.6, 0.2, 0.0]}],
}


def _head(addon: ModuleType) -> tuple[bpy.types.Object, bpy.types.Object]:
    avatar = importlib.import_module(f"{addon.__name__}.blender.avatar").create_default_avatar(studio=False)
    addon.blender.rig.build_rig(avatar.mesh, "auto")
    bpy.context.view_layer.objects.active = avatar.mesh
    return avatar.mesh, avatar.rig


def _timeline(addon: ModuleType, doc: dict[str, Any] = RICH) -> Any:
    return addon.core.timeline.from_dict(doc)


def _ours(addon: ModuleType, id_data: bpy.types.ID) -> dict[tuple[str, int], bpy.types.FCurve]:
    bag = addon.blender.anim_compat.container(id_data)
    return {(fc.data_path, fc.array_index): fc for fc in (bag.fcurves if bag else [])
            if fc.group is not None and fc.group.name == "facs_rig"}


def _sample(fc: bpy.types.FCurve, frames: np.ndarray) -> np.ndarray:
    return np.array([fc.evaluate(float(f)) for f in frames])


def _reference(addon: ModuleType, timeline: Any, scene: bpy.types.Scene, frames: np.ndarray) -> Any:
    fps = scene.render.fps / scene.render.fps_base
    return addon.core.evaluate.evaluate(timeline, (frames - scene.frame_start) / fps, resolve=False)


def _drivers(id_data: bpy.types.ID) -> list[tuple]:
    return [(d.data_path, d.array_index, d.driver.expression, d.mute) for d in id_data.animation_data.drivers]


def _user_curves(addon: ModuleType, id_data: bpy.types.ID) -> dict[str, list[float]]:
    bag = addon.blender.anim_compat.container(id_data)
    curves = {}
    for fc in bag.fcurves if bag else []:
        if fc.group is None or fc.group.name != "facs_rig":
            co = np.zeros(2 * len(fc.keyframe_points), np.float32)
            fc.keyframe_points.foreach_get("co", co)
            curves[f"{fc.data_path}[{fc.array_index}]"] = co.tolist()
    return curves


@pytest.mark.parametrize(("fps", "fps_base", "frame_start"), [(30, 1.0, 1), (24, 1.0, 101), (30, 1.001, -5)])
def test_live_and_baked_curves_equal_the_core_at_every_frame(
        addon: ModuleType, fps: int, fps_base: float, frame_start: int) -> None:
    mesh, rig = _head(addon)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base, scene.frame_start = fps, fps_base, frame_start
    timeline = _timeline(addon)
    kf = addon.blender.keyframer
    frames = np.arange(frame_start - 3, frame_start + 5 * fps + 3, dtype=float)
    ref = _reference(addon, timeline, scene, frames)

    kf.apply_timeline(mesh, timeline, mode="LIVE")
    live = _ours(addon, mesh)
    assert {path for path, _ in live} == {f'["{c}"]' for c in ref.controls}
    for i, control in enumerate(ref.controls):
        err = np.abs(_sample(live[(f'["{control}"]', 0)], frames) - ref.values[i]).max()
        assert err < 1e-3, (control, err)
    # sparse where events stand alone: the right smile is two events' worth of keys, not samples
    assert len(live[('["AU12_R"]', 0)].keyframe_points) <= 8
    shown = {}
    for f in frames[::9]:
        scene.frame_set(int(f))
        shown[int(f)] = [kb.value for kb in mesh.data.shape_keys.key_blocks]

    kf.apply_timeline(mesh, timeline, mode="BAKE")
    info = addon.blender.rig.rig_info(mesh)
    resolved = addon.blender.rig.rig_mapping(mesh)
    targets = addon.core.mapping.evaluate.evaluate_targets(resolved, ref.as_dict())
    baked = {**_ours(addon, mesh.data.shape_keys), **_ours(addon, rig)}
    assert len(baked) == len(info.shape_drivers) + len(info.bone_drivers)
    for key, target in resolved.targets.items():
        name = bpy.utils.escape_identifier(target.name)
        path = (f'key_blocks["{name}"].value', 0) if target.kind == "shape" else (
            f'pose.bones["{name}"].rotation_euler', target.index)
        err = np.abs(_sample(baked[path], frames) - targets[key]).max()
        assert err < 1e-3, (key, err)
    # with drivers muted the baked curves play, and the face is the one the live rig showed
    for f, values in shown.items():
        scene.frame_set(f)
        now = [kb.value for kb in mesh.data.shape_keys.key_blocks]
        assert np.abs(np.array(now) - values).max() < 1e-3, f


def key_user_animation(mesh: bpy.types.Object, rig: bpy.types.Object) -> None:
    """The user's own animation on all three IDs facs_rig writes to: the object's location, a shape
    key the rig does not drive, a bone's location."""
    key = mesh.data.shape_keys
    driven = {d.data_path for d in key.animation_data.drivers}
    free_shape = next(kb for kb in key.key_blocks[1:] if f'key_blocks["{kb.name}"].value' not in driven)
    for frame, value in ((1, 0.0), (40, 2.0)):
        mesh.location.x = value
        mesh.keyframe_insert("location", index=0, frame=frame)
        free_shape.value = value / 2
        free_shape.keyframe_insert("value", frame=frame)
        rig.pose.bones["root"].location.z = value
        rig.pose.bones["root"].keyframe_insert("location", index=2, frame=frame)


def test_user_animation_survives_apply_and_clear(addon: ModuleType) -> None:
    mesh, rig = _head(addon)
    kf = addon.blender.keyframer
    key = mesh.data.shape_keys
    key_user_animation(mesh, rig)
    mesh["AU12_L"] = 0.25  # a static pose the user set on a control the timeline moves too
    ids = (mesh, key, rig)
    before = [_user_curves(addon, i) for i in ids]
    actions = [i.animation_data.action.name for i in ids]
    drivers = _drivers(key)

    timeline = _timeline(addon)
    for mode in ("LIVE", "BAKE", "LIVE", "BAKE"):
        kf.apply_timeline(mesh, timeline, mode=mode)
        assert [_user_curves(addon, i) for i in ids] == before
        assert [i.animation_data.action.name for i in ids] == actions
        assert _ours(addon, mesh)
        assert any(d.mute for d in key.animation_data.drivers) == (mode == "BAKE")
    assert any(d.mute for d in key.animation_data.drivers)
    for i in ids:  # renaming between bake and clear must not strand muted drivers
        i.name = f"renamed {i.name}"
    removed = kf.clear_animation(mesh)
    assert removed > 0
    assert not kf.has_animation(mesh)
    assert [_user_curves(addon, i) for i in ids] == before
    assert [i.animation_data.action.name for i in ids] == actions
    assert _drivers(key) == drivers
    assert not any(d.mute for d in rig.animation_data.drivers)
    assert mesh["AU12_L"] == 0.0
    assert not [a for a in bpy.data.actions if a.get("facs_rig")]


def test_dedicated_action_is_named_after_the_timeline_and_goes_away_on_clear(addon: ModuleType) -> None:
    mesh, _ = _head(addon)
    kf = addon.blender.keyframer
    kf.apply_timeline(mesh, _timeline(addon), mode="LIVE")
    result = kf.apply_timeline(mesh, _timeline(addon), mode="BAKE")
    assert result.action == "FACS rich"
    assert mesh.animation_data.action.name == "FACS rich"
    ours = [a for a in bpy.data.actions if a.get("facs_rig")]
    assert ours and all(a.name.startswith("FACS rich") for a in ours)
    if addon.blender.anim_compat.SLOTTED:
        assert len(ours) == 1  # one action, a slot per animated ID
        assert mesh.animation_data.action_slot is not None
        assert mesh.data.shape_keys.animation_data.action_slot is not None
    kf.apply_timeline(mesh, _timeline(addon, {**RICH, "name": "second"}))
    assert mesh.animation_data.action.name == "FACS second"
    assert mesh.data.shape_keys.animation_data.action is None  # live after bake: nothing left there
    kf.clear_animation(mesh)
    assert mesh.animation_data is None or mesh.animation_data.action is None
    assert not list(bpy.data.actions)


def test_reapply_replaces_only_the_previous_keys(addon: ModuleType) -> None:
    mesh, _ = _head(addon)
    kf = addon.blender.keyframer
    kf.apply_timeline(mesh, _timeline(addon))
    small = {**RICH, "events": RICH["events"][:1], "tracks": []}
    kf.apply_timeline(mesh, _timeline(addon, small))
    assert {p for p, _ in _ours(addon, mesh)} == {'["AU06_L"]', '["AU06_R"]', '["AU12_L"]', '["AU12_R"]'}


def test_bad_input_changes_nothing(addon: ModuleType, tmp_path: Path) -> None:
    mesh, rig = _head(addon)
    kf = addon.blender.keyframer
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**RICH, "events": [*RICH["events"], {"au": 12, "onset": 2, "apex": 1,
                                                                      "offset": 3, "intensity": 0.5}]}))
    state = (len(bpy.data.actions), mesh.animation_data, dict(mesh.items()).keys())
    with pytest.raises(RuntimeError, match=r"bad\.json: events\[9\]\.apex: 1 is before onset 2"):
        bpy.ops.facs.apply_timeline(filepath=str(bad), mode="BAKE")  # the operator's ERROR report
    assert (len(bpy.data.actions), mesh.animation_data, dict(mesh.items()).keys()) == state
    assert not kf.has_animation(mesh)

    mesh.keyframe_insert('["AU26"]', frame=5)  # the user keyed a control by hand
    user = _user_curves(addon, mesh)
    with pytest.raises(kf.KeyframerError, match="AU26"):
        kf.apply_timeline(mesh, _timeline(addon), mode="BAKE")
    assert _user_curves(addon, mesh) == user
    assert not _ours(addon, mesh) and not _ours(addon, mesh.data.shape_keys)
    assert not any(d.mute for d in mesh.data.shape_keys.animation_data.drivers)
    assert rig.animation_data is None or rig.animation_data.action is None


@pytest.mark.parametrize(("content", "kwargs", "message"), [
    (None, {}, r"take\.json"),  # no such file
    ('{"format": "facs-timeline", "events": [', {}, r"take\.json: line 1 column 40: invalid JSON"),
    ("x", {"filepath": ""}, "No timeline file given"),
])
def test_apply_operator_on_bad_files_changes_nothing(addon: ModuleType, tmp_path: Path, content: str | None,
                                                     kwargs: dict[str, str], message: str) -> None:
    _head(addon)
    refused_unchanged(addon, bpy.ops.facs.apply_timeline, tmp_path / "take.json", content, message, **kwargs)


def _close_events(a: list[Any], b: list[Any], frame: float) -> None:
    def order(e: Any) -> tuple:
        return (e.au, e.side, e.onset)

    a, b = sorted(a, key=order), sorted(b, key=order)
    assert [(e.au, e.side, e.ease) for e in a] == [(e.au, e.side, e.ease) for e in b]
    for x, y in zip(a, b, strict=True):
        for attr in ("onset", "apex", "apex_end", "offset"):
            assert abs(getattr(x, attr) - getattr(y, attr)) < frame, (x, y, attr)
        assert abs(x.intensity - y.intensity) < 1e-3


@pytest.mark.parametrize("mode", ["LIVE", "BAKE"])
def test_load_apply_export_load_gives_the_same_events(addon: ModuleType, tmp_path: Path, mode: str) -> None:
    _head(addon)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(RICH))
    bpy.context.scene.render.fps = 24  # the scene's rate differs from the file's: keys land between frames
    assert bpy.ops.facs.apply_timeline(filepath=str(source), mode=mode, set_scene_range=False) == {"FINISHED"}
    out = tmp_path / "out.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    first = addon.core.timeline.load(source)
    back = addon.core.timeline.load(out)
    _close_events(first.events, back.events, 1 / 24)
    assert [(t.au, t.side) for t in back.tracks] == [(4, "both")]
    times = back.tracks[0].times
    ref = addon.core.evaluate.evaluate(first, times, resolve=False).get("AU04_L")
    np.testing.assert_allclose(back.tracks[0].values, ref, atol=1e-3)


def test_export_reads_the_keys_not_the_file(addon: ModuleType) -> None:
    mesh, _ = _head(addon)
    kf = addon.blender.keyframer
    doc = {**RICH, "events": [RICH["events"][0]], "tracks": []}
    kf.apply_timeline(mesh, _timeline(addon, doc))
    fps = bpy.context.scene.render.fps
    for fc in _ours(addon, mesh).values():  # the animator slides the whole smile 12 frames later
        for point in fc.keyframe_points:
            for attr in ("co", "handle_left", "handle_right"):
                getattr(point, attr).x += 12
        fc.update()
    back = kf.export_timeline(mesh)
    moved = list(_timeline(addon, doc).events)
    assert len(back.events) == len(moved)
    for e, b in zip(sorted(moved, key=lambda e: e.au), sorted(back.events, key=lambda e: e.au), strict=True):
        assert abs(b.onset - (e.onset + 12 / fps)) < 1e-4
        assert abs(b.offset - (e.offset + 12 / fps)) < 1e-4
        assert b.side == "both"


def test_set_scene_range_uses_the_timeline_rate(addon: ModuleType) -> None:
    mesh, _ = _head(addon)
    scene = bpy.context.scene
    scene.frame_start = 10
    result = addon.blender.keyframer.apply_timeline(mesh, _timeline(addon, {**RICH, "fps": 29.97}),
                                                    set_scene_range=True)
    assert scene.render.fps == 30 and abs(scene.render.fps_base - 30 / 29.97) < 1e-6
    assert (scene.frame_start, scene.frame_end) == (10, result.frame_end)
    assert result.frame_end == int(np.ceil(10 + 4.5 * 29.97))
    onset = _ours(addon, mesh)[('["AU51"]', 0)].keyframe_points[0].co.x
    assert abs(onset - (10 + 0.1 * 29.97)) < 1e-3


def test_operators_poll_and_clear(addon: ModuleType) -> None:
    assert not bpy.ops.facs.apply_timeline.poll()
    mesh, _ = _head(addon)
    assert bpy.ops.facs.apply_timeline.poll()
    assert not bpy.ops.facs.clear_animation.poll() and not bpy.ops.facs.export_timeline.poll()
    addon.blender.keyframer.apply_timeline(mesh, _timeline(addon))
    assert bpy.ops.facs.clear_animation.poll() and bpy.ops.facs.export_timeline.poll()
    assert bpy.ops.facs.clear_animation() == {"FINISHED"}
    assert not addon.blender.keyframer.has_animation(mesh)
