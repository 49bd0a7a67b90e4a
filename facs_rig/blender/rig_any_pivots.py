# SPDX-License-Identifier: GPL-3.0-or-later
"""The head's frame and pivots (docs/rig_any_head.md, steps 3 and 7): the turn to Blender's front
view, the meshes that belong to the head, the warped jaw and eye joints, and which bone each
separate mesh follows (new bones added to an existing armature where it lacks them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..core.mapping.matching import NameIndex, find_bone
from .avatar import EYE_BONE_LENGTH
from .rig_any_landmarks import FaceFound
from .rig_any_template import TEMPLATE_PREFIX

TURN_TOLERANCE = 1e-3
"""Heads turned by less than this (radians) from the front view are left as they are."""


def turn_to_front(objects: Sequence[bpy.types.Object], found: FaceFound) -> tuple[np.ndarray, float]:
    """Turn the head's top-level objects about the face's centre so it looks along -Y with Z up
    (the frame the rig and camera read). Returns the world-space turn (4×4, identity when the head
    is within :data:`TURN_TOLERANCE` of it) and its angle in degrees."""
    left = np.cross(found.up, found.forward)
    up = np.cross(found.forward, left)
    source = np.column_stack([left / np.linalg.norm(left), found.forward, up / np.linalg.norm(up)])
    turn = np.column_stack([(1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)]) @ source.T
    angle = float(np.arccos(np.clip((np.trace(turn) - 1) / 2, -1.0, 1.0)))
    if angle < TURN_TOLERANCE:
        return np.eye(4), 0.0
    centre = Vector(np.nanmean(found.points, axis=0).tolist())
    matrix = Matrix.Translation(centre) @ Matrix(turn.tolist()).to_4x4() @ Matrix.Translation(-centre)
    chosen = set(objects)
    for ob in objects:
        if ob.parent not in chosen:
            ob.matrix_world = matrix @ ob.matrix_world
    bpy.context.view_layer.update()
    return np.array(matrix), float(np.degrees(angle))


def head_objects(mesh: bpy.types.Object) -> list[bpy.types.Object]:
    """The face mesh and the meshes that belong to its head: in the same hierarchy, or close enough
    to overlap its bounds (separate eyes, teeth, lashes imported as loose objects)."""
    lo, hi = _bounds(mesh)
    found = [mesh]
    for ob in bpy.context.scene.objects:
        if ob.type == "MESH" and ob != mesh and not ob.name.startswith(TEMPLATE_PREFIX):
            a, b = _bounds(ob)
            if (a >= lo).all() and (b <= hi).all():
                found.append(ob)
    return found


def eye_meshes(
    joints: dict[str, np.ndarray], others: Sequence[bpy.types.Object]
) -> dict[str, bpy.types.Object]:
    """The separate mesh around each eye joint (``eye.L``/``eye.R`` -> object), where the head has
    one: its bounds hold the joint and are smaller than the eyes' spacing."""
    spacing = float(np.linalg.norm(joints["eye.L"] - joints["eye.R"]))
    found = {}
    for side in ("eye.L", "eye.R"):
        for ob in others:
            lo, hi = _bounds(ob)
            if (lo <= joints[side]).all() and (joints[side] <= hi).all() and (hi - lo).max() < spacing:
                found[side] = ob
                break
    return found


def eye_pivots(
    spline_joints: dict[str, np.ndarray], others: Sequence[bpy.types.Object]
) -> dict[str, np.ndarray]:
    """The warped template joints, with each eye moved to the centre of the separate eye object
    around it when the head has one."""
    joints = dict(spline_joints)
    for side, ob in eye_meshes(joints, others).items():
        lo, hi = _bounds(ob)
        joints[side] = (lo + hi) / 2
    return joints


def _bounds(ob: bpy.types.Object) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([ob.matrix_world @ Vector(c) for c in ob.bound_box])
    return corners.min(0), corners.max(0)


def followers(
    objects: Sequence[bpy.types.Object], mesh: bpy.types.Object, joints: dict[str, np.ndarray]
) -> dict[bpy.types.Object, str]:
    """Which pivot each top-level object of the head follows: an eye whose joint is inside it (and
    that is smaller than the eyes' spacing), the jaw when it sits below the mouth pivot between
    the eyes (lower teeth, tongue, beard), else the head (the face mesh too: head turns move it)."""
    spacing = float(np.linalg.norm(joints["eye.L"] - joints["eye.R"]))
    middle = (joints["eye.L"] + joints["eye.R"]) / 2
    follow = {}
    for ob in objects:
        if ob.parent is not None:
            continue
        lo, hi = _bounds(ob)
        centre = (lo + hi) / 2
        inside = [s for s in ("eye.L", "eye.R") if (lo <= joints[s]).all() and (joints[s] <= hi).all()]
        if ob != mesh and len(inside) == 1 and (hi - lo).max() < spacing:
            follow[ob] = inside[0]
        elif ob != mesh and centre[2] < joints["mouth"][2] and abs(centre[0] - middle[0]) < spacing / 2:
            follow[ob] = "jaw"
        else:
            follow[ob] = "head"
    return follow


def pivot_bones(armature: bpy.types.Object, joints: dict[str, np.ndarray]) -> dict[str, str]:
    """The existing armature's bones for the head, jaw and eye pivots (by the bone table's names,
    as the presets find them); the jaw and eyes it lacks are added at the warped joints, under
    its head bone. Returns pivot -> bone name (no ``head`` entry when it has no head bone)."""
    data = cast(bpy.types.Armature, armature.data)
    index = NameIndex(list(data.bones.keys()))
    roles = {"head": "Head", "jaw": "Jaw", "eye.L": "LeftEye", "eye.R": "RightEye"}
    found = {pivot: bone for pivot, role in roles.items() if (bone := find_bone(index, role)) is not None}
    missing = [p for p in ("jaw", "eye.L", "eye.R") if p not in found]
    if not missing:
        return found
    inverse = armature.matrix_world.inverted()
    forward = np.array((0.0, -EYE_BONE_LENGTH, 0.0))
    ends = {
        "jaw": (joints["mouth"], joints["jaw"]),
        "eye.L": (joints["eye.L"], joints["eye.L"] + forward),
        "eye.R": (joints["eye.R"], joints["eye.R"] + forward),
    }
    view_layer = bpy.context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = armature
    with bpy.context.temp_override(active_object=armature, object=armature):
        bpy.ops.object.mode_set(mode="EDIT")
        try:
            for pivot in missing:
                edit = data.edit_bones.new(pivot)
                edit.head, edit.tail = (inverse @ Vector(end.tolist()) for end in ends[pivot])
                edit.align_roll(Vector((1.0, 0.0, 0.0)).cross(edit.tail - edit.head))
                if "head" in found:
                    edit.parent = data.edit_bones[found["head"]]
                found[pivot] = pivot
        finally:
            bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = previous
    for pivot in missing:
        armature.pose.bones[pivot].rotation_mode = "XYZ"
    return found


def parent_to_bone(ob: bpy.types.Object, armature: bpy.types.Object, bone: str) -> None:
    world = ob.matrix_world.copy()
    ob.parent = armature
    ob.parent_type = "BONE"
    ob.parent_bone = bone
    bpy.context.view_layer.update()
    ob.matrix_world = world
