# SPDX-License-Identifier: GPL-3.0-or-later
"""The default avatar in real Blender: names, bones, what each ARKit key and each bone moves, eyes
inside the lids, the camera's framing, the operator, and errors that leave the scene untouched."""

from __future__ import annotations

import math
from types import ModuleType

import bpy
import numpy as np
import pytest

from facs_rig.core.mapping.presets import arkit_names

ARKIT = arkit_names()

# What each ARKit shape does (Apple's ARFaceAnchor.BlendShapeLocation docs), written once for the
# left-side and unsided shapes: region of the face, and the direction of its largest movements.
# "out"/"in" are away from / towards the midline on the shape's side; x is the subject's left, y
# backwards, z up.
EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "browDownLeft": ("brow", ("-z",)),
    "browInnerUp": ("brow", ("+z",)),
    "browOuterUpLeft": ("brow", ("+z",)),
    "cheekPuff": ("cheek", ("-y",)),
    "cheekSquintLeft": ("cheek", ("+z",)),
    "eyeBlinkLeft": ("eye", ("-z",)),
    "eyeLookDownLeft": ("eye", ("-z",)),
    "eyeLookInLeft": ("eye", ("in",)),
    "eyeLookOutLeft": ("eye", ("out",)),
    "eyeLookUpLeft": ("eye", ("+z",)),
    "eyeSquintLeft": ("eye", ("+z",)),
    "eyeWideLeft": ("eye", ("+z",)),
    "jawForward": ("jaw", ("-y",)),
    "jawLeft": ("jaw", ("+x",)),
    "jawRight": ("jaw", ("-x",)),
    "jawOpen": ("jaw", ("-z",)),
    "mouthClose": ("mouth", ("+z",)),
    "mouthDimpleLeft": ("mouth", ("out",)),
    "mouthFrownLeft": ("mouth", ("-z",)),
    "mouthFunnel": ("mouth", ("-y",)),
    "mouthLeft": ("mouth", ("+x",)),
    "mouthRight": ("mouth", ("-x",)),
    "mouthLowerDownLeft": ("mouth", ("-z",)),
    "mouthPressLeft": ("mouth", ()),
    "mouthPucker": ("mouth", ("-y",)),
    "mouthRollLower": ("mouth", ()),
    "mouthRollUpper": ("mouth", ()),
    "mouthShrugLower": ("mouth", ("+z",)),
    "mouthShrugUpper": ("mouth", ("+z",)),
    "mouthSmileLeft": ("mouth", ("+z", "out")),
    "mouthStretchLeft": ("mouth", ("out", "-z")),
    "mouthUpperUpLeft": ("mouth", ("+z",)),
    "noseSneerLeft": ("nose", ()),
    "tongueOut": ("mouth", ("-y",)),
}


MOVE_SIDEWAYS = {"jawLeft", "jawRight", "mouthLeft", "mouthRight"}
"""Named for where they move, not where they sit: centred shapes."""


def side_of(name: str) -> str:
    if name in MOVE_SIDEWAYS:
        return "C"
    return "L" if name.endswith("Left") else "R" if name.endswith("Right") else "C"


def expectation(name: str) -> tuple[str, tuple[str, ...]]:
    return EXPECTED.get(name) or EXPECTED[name.removesuffix("Right") + "Left"]


def evaluated(ob: bpy.types.Object) -> np.ndarray:
    """Vertex positions after shape keys and the armature, in the object's space."""
    me = ob.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
    co = np.empty(len(me.vertices) * 3, dtype=np.float64)
    me.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def material_vertices(ob: bpy.types.Object, part: str, *, only: bool = False) -> np.ndarray:
    """Vertices of the faces whose material is ``<mesh>_<part>``; ``only``: used by no other part."""
    me = ob.data
    slot = [s.material.name for s in ob.material_slots].index(f"{ob.name}_{part}")
    n = len(me.polygons)
    mat, start, total = (np.empty(n, dtype=np.int32) for _ in range(3))
    me.polygons.foreach_get("material_index", mat)
    me.polygons.foreach_get("loop_start", start)
    me.polygons.foreach_get("loop_total", total)
    loop_vert = np.empty(len(me.loops), dtype=np.int32)
    me.loops.foreach_get("vertex_index", loop_vert)
    loop_mat = np.repeat(mat, total)
    verts = np.unique(loop_vert[loop_mat == slot])
    if only:
        verts = np.setdiff1d(verts, loop_vert[loop_mat != slot])
    return verts


@pytest.fixture
def head(addon: ModuleType):
    return addon.blender.avatar.create_default_avatar()


@pytest.fixture
def landmarks(head) -> dict[str, float]:
    rest = evaluated(head.mesh)
    eye = np.array(head.rig.data.bones["eye.L"].head_local)
    pupils = rest[material_vertices(head.mesh, "pupil")]
    return {
        "eye_z": float(eye[2]),
        "eye_r": float(np.linalg.norm(pupils[pupils[:, 0] > 0] - eye, axis=1).mean()),
        "mouth_z": float(rest[material_vertices(head.mesh, "teeth")][:, 2].mean()),
    }


def test_shape_keys_are_the_52_arkit_names_then_prefixed_expression_units(head, addon: ModuleType) -> None:
    names = [kb.name for kb in head.mesh.data.shape_keys.key_blocks]
    prefix = addon.blender.avatar.EXPRESSION_PREFIX
    assert names[0] == "Basis"
    assert sorted(names[1:53]) == sorted(ARKIT)
    expression = names[53:]
    assert len(expression) == 34 and all(n.startswith(prefix) for n in expression)
    for unit in ("neck-platysma", "nose-left-dilatation", "nose-compression", "mouth-corner-puller"):
        assert prefix + unit in expression
    assert all(kb.value == 0.0 for kb in head.mesh.data.shape_keys.key_blocks[1:])
    assert head.variant == "mixed"


def test_rig_has_named_bones_and_skins_the_mesh(head) -> None:
    bones = head.rig.data.bones
    assert {b.name: (b.parent.name if b.parent else None) for b in bones} == {
        "root": None,
        "neck": "root",
        "head": "neck",
        "jaw": "head",
        "eye.L": "head",
        "eye.R": "head",
    }
    assert head.mesh.parent == head.rig
    mod = next(m for m in head.mesh.modifiers if m.type == "ARMATURE")
    assert mod.object == head.rig
    assert {g.name for g in head.mesh.vertex_groups} == {b.name for b in bones}
    for bone in bones:  # one sign convention: every bone's local X is the subject's left
        assert np.allclose(bone.matrix_local.col[0][:3], (1.0, 0.0, 0.0), atol=1e-5), bone.name
    rest = evaluated(head.mesh)
    for eye, sign in (("eye.L", 1), ("eye.R", -1)):
        pivot = np.array(bones[eye].head_local)
        assert pivot[0] * sign > 0.02  # the subject's left eye is at +X
        ball = material_vertices(head.mesh, "sclera")
        ball = ball[np.sign(rest[ball, 0]) == sign]
        assert np.linalg.norm(rest[ball].mean(0) - pivot) < 0.003  # pivot at the eyeball's centre
        assert np.ptp(np.linalg.norm(rest[ball] - pivot, axis=1)) < 1e-5  # a sphere about the pivot


def test_mesh_is_z_up_metres_facing_minus_y_with_smooth_shading_and_a_flat_cut(head) -> None:
    rest = evaluated(head.mesh)
    size = np.ptp(rest, axis=0)
    assert 0.2 < size[2] < 0.35 and 0.13 < size[0] < 0.22  # a human head and neck, in metres
    nose = rest[np.argmin(rest[:, 1])]
    assert abs(nose[0]) < 0.005 and nose[2] > rest[:, 2].min() + 0.1  # the nose tip is the most -Y point
    assert all(p.use_smooth for p in head.mesh.data.polygons)
    me = head.mesh.data
    loop_edges = np.empty(len(me.loops), dtype=np.int32)
    me.loops.foreach_get("edge_index", loop_edges)
    edge_verts = np.empty(len(me.edges) * 2, dtype=np.int32)
    me.edges.foreach_get("vertices", edge_verts)
    open_edges = edge_verts.reshape(-1, 2)[np.bincount(loop_edges, minlength=len(me.edges)) == 1]
    ring = np.unique(open_edges[(rest[open_edges, 2] < rest[:, 2].min() + 0.05).all(1)])
    assert len(ring) >= 30  # the cut is one long open loop
    fit = np.c_[rest[ring, :2], np.ones(len(ring))]
    coef = np.linalg.lstsq(fit, rest[ring, 2], rcond=None)[0]
    assert np.abs(fit @ coef - rest[ring, 2]).max() < 1e-4  # ... lying in one plane
    assert (rest[:, 2] >= np.c_[rest[:, :2], np.ones(len(rest))] @ coef - 1e-4).all()  # nothing below it


@pytest.mark.parametrize("name", ARKIT)
def test_each_arkit_key_moves_its_region(head, landmarks: dict[str, float], name: str) -> None:
    rest = evaluated(head.mesh)
    head.mesh.data.shape_keys.key_blocks[name].value = 1.0
    moved = evaluated(head.mesh) - rest
    size = np.linalg.norm(moved, axis=1)
    assert (size > 0.0005).sum() >= 20, "moves at least a patch of the face by half a millimetre"
    centre = (rest * size[:, None]).sum(0) / size.sum()
    x, z = centre[0], centre[2]
    side = side_of(name)
    assert {"L": x > 0.005, "R": x < -0.005, "C": abs(x) < 0.005}[side], f"centre x={x:.4f} for side {side}"
    eye_z, r, mouth_z = landmarks["eye_z"], landmarks["eye_r"], landmarks["mouth_z"]
    region, directions = expectation(name)
    assert {
        "brow": z > eye_z,
        "eye": abs(z - eye_z) < r,
        "cheek": mouth_z < z < eye_z,
        "nose": mouth_z < z < eye_z and abs(x) < 2 * r,
        "mouth": abs(z - mouth_z) < 1.5 * r,
        "jaw": z < mouth_z + 0.5 * r,
    }[region], f"centre z={z:.4f} not in the {region} region"
    top = moved[np.argsort(-size)[:20]].mean(0)
    outward = {"L": 1.0, "R": -1.0}.get(side, 0.0)
    for direction in directions:
        if direction in ("out", "in"):
            value = top[0] * outward * (1 if direction == "out" else -1)
        else:
            value = top["xyz".index(direction[1])] * (1 if direction[0] == "+" else -1)
        assert value > 0.0005, f"{name} does not move {direction}: mean of its largest moves {top}"


def test_expression_units_keep_makehumans_sides(head, addon: ModuleType) -> None:
    """MakeHuman's "left" is the subject's left too: its one-sided units move the +X half."""
    keys = head.mesh.data.shape_keys.key_blocks
    basis = np.empty(len(head.mesh.data.vertices) * 3)
    keys[0].data.foreach_get("co", basis)
    basis = basis.reshape(-1, 3)
    sided = 0
    for key in keys:
        if not key.name.startswith(addon.blender.avatar.EXPRESSION_PREFIX):
            continue
        co = np.empty(basis.size)
        key.data.foreach_get("co", co)
        size = np.linalg.norm(co.reshape(-1, 3) - basis, axis=1)
        assert size.max() > 0.001, key.name
        x = (basis[:, 0] * size).sum() / size.sum()
        if "-left-" in key.name or "-right-" in key.name:
            sided += 1
            assert x * (1 if "-left-" in key.name else -1) > 0.005, key.name
    assert sided == 18  # eye x3, eyebrows x4, nose x2, per side


def test_left_and_right_keys_mirror_each_other(head) -> None:
    rest = evaluated(head.mesh)
    keys = head.mesh.data.shape_keys.key_blocks
    for left in (n for n in ARKIT if n.endswith("Left")):
        fields = []
        for name in (left, left.removesuffix("Left") + "Right"):
            keys[name].value = 1.0
            fields.append(evaluated(head.mesh) - rest)
            keys[name].value = 0.0
        sizes = [np.linalg.norm(f, axis=1) for f in fields]
        centres = [(rest * size[:, None]).sum(0) / size.sum() for size in sizes]
        assert np.allclose(centres[0] * [-1, 1, 1], centres[1], atol=0.002), left


def test_eye_bones_rotate_the_eyeballs_inside_the_lids(head) -> None:
    rest = evaluated(head.mesh)
    pupils = material_vertices(head.mesh, "pupil")
    left, right = pupils[rest[pupils, 0] > 0], pupils[rest[pupils, 0] < 0]
    pivot = np.array(head.rig.data.bones["eye.L"].head_local)
    eye = head.rig.pose.bones["eye.L"]
    eye.rotation_euler = (0.0, 0.0, math.radians(-20))  # -Z: look to the subject's left
    looked = evaluated(head.mesh)
    assert looked[left, 0].mean() - rest[left, 0].mean() > 0.003
    assert np.allclose(looked[right], rest[right])  # the other eye stays
    radii = np.linalg.norm(looked[left] - pivot, axis=1), np.linalg.norm(rest[left] - pivot, axis=1)
    assert np.allclose(*radii)  # turned about its centre
    eye.rotation_euler = (math.radians(-20), 0.0, 0.0)  # -X: look up
    assert evaluated(head.mesh)[left, 2].mean() - rest[left, 2].mean() > 0.003
    eye.rotation_euler = (math.radians(20), 0.0, 0.0)  # +X: look down
    assert evaluated(head.mesh)[left, 2].mean() - rest[left, 2].mean() < -0.003
    eye.rotation_euler = (0.0, 0.0, math.radians(20))  # +Z: look to the subject's right
    assert evaluated(head.mesh)[left, 0].mean() - rest[left, 0].mean() < -0.003


@pytest.mark.parametrize("name", [None, *(n for n in ARKIT if n.startswith(("eye", "brow", "cheekSquint")))])
def test_no_lid_cuts_into_an_eyeball(head, name: str | None) -> None:
    """A sphere turning about its centre stays in the same volume, so with every skin vertex outside
    both eyeball spheres no gaze rotation can push an eyeball through the lids."""
    if name:
        head.mesh.data.shape_keys.key_blocks[name].value = 1.0
    co = evaluated(head.mesh)
    skin = material_vertices(head.mesh, "skin", only=True)
    sclera = material_vertices(head.mesh, "sclera")
    for bone in ("eye.L", "eye.R"):
        pivot = np.array(head.rig.data.bones[bone].head_local)
        radius = np.linalg.norm(co[sclera] - pivot, axis=1).min()
        assert np.linalg.norm(co[skin] - pivot, axis=1).min() > radius, bone


def test_head_bone_axes_turn_nod_and_tilt_as_documented(head) -> None:
    rest = evaluated(head.mesh)
    nose = int(np.argmin(rest[:, 1]))
    crown = int(np.argmax(rest[:, 2]))
    pose = head.rig.pose.bones["head"]

    def moved(rotation: tuple[float, float, float]) -> np.ndarray:
        pose.rotation_euler = tuple(math.radians(a) for a in rotation)
        return evaluated(head.mesh) - rest

    assert moved((0, 20, 0))[nose, 0] > 0.01  # +Y: face turns to the subject's left (AU 51)
    assert moved((0, -20, 0))[nose, 0] < -0.01  # -Y: to the right (AU 52)
    assert moved((-20, 0, 0))[nose, 2] > 0.01  # -X: face up (AU 53)
    assert moved((20, 0, 0))[nose, 2] < -0.01  # +X: face down (AU 54)
    assert moved((0, 0, -20))[crown, 0] > 0.01  # -Z: tilt to the subject's left (AU 55)
    assert moved((0, 0, 20))[crown, 0] < -0.01  # +Z: tilt to the right (AU 56)

    # The neck bends smoothly: along the back of the neck, a head turn moves each vertex at least as
    # much as the ones below it and nothing at the cut moves.
    turned = np.linalg.norm(moved((0, 30, 0)), axis=1)
    neck_top = np.array(head.rig.data.bones["head"].head_local)[2]
    back = np.flatnonzero((rest[:, 1] > 0.02) & (np.abs(rest[:, 0]) < 0.01) & (rest[:, 2] < neck_top))
    back = back[np.argsort(rest[back, 2])]
    assert turned[back[0]] < 1e-4
    steps = np.diff(turned[back])
    assert (steps > -0.0005).all() and turned[back[-1]] > 0.005
    assert np.ptp(turned[back]) / len(back) < 0.01  # no single step carries the whole turn


def test_jaw_bone_opens_the_mouth(head, landmarks: dict[str, float]) -> None:
    rest = evaluated(head.mesh)
    head.rig.pose.bones["jaw"].rotation_euler = (math.radians(15), 0.0, 0.0)
    moved = evaluated(head.mesh) - rest
    chin = int(np.argmin(np.where(np.abs(rest[:, 0]) < 0.005, rest[:, 2] + 10 * (rest[:, 1] > -0.08), 1.0)))
    assert moved[chin, 2] < -0.005
    above = rest[:, 2] > landmarks["eye_z"]
    assert np.abs(moved[above]).max() < 1e-6  # the skull stays


def test_expression_variants_differ_and_bad_variant_changes_nothing(addon: ModuleType) -> None:
    avatar = addon.blender.avatar
    mixed = avatar.create_default_avatar(studio=False)
    caucasian = avatar.create_default_avatar(variant="caucasian", studio=False)
    assert caucasian.variant == "caucasian"

    def key(ob: bpy.types.Object, name: str) -> np.ndarray:
        co = np.empty(len(ob.data.vertices) * 3)
        ob.data.shape_keys.key_blocks[name].data.foreach_get("co", co)
        return co

    unit = "mh_mouth-corner-puller"
    assert not np.allclose(key(mixed.mesh, unit), key(caucasian.mesh, unit))
    assert np.allclose(key(mixed.mesh, "jawOpen"), key(caucasian.mesh, "jawOpen"))
    kinds = ("objects", "meshes", "armatures", "materials", "images")
    before = {kind: len(getattr(bpy.data, kind)) for kind in kinds}
    with pytest.raises(ValueError, match="unknown expression variant 'martian'"):
        avatar.create_default_avatar(variant="martian")
    assert {kind: len(getattr(bpy.data, kind)) for kind in before} == before


def test_a_failure_midway_leaves_nothing_behind(addon: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    avatar = addon.blender.avatar
    kinds = ("objects", "meshes", "armatures", "materials", "images", "cameras", "lights")
    before = {kind: len(getattr(bpy.data, kind)) for kind in kinds}

    def broken(*_args: object) -> None:
        raise RuntimeError("material trouble")

    monkeypatch.setattr(avatar.avatar_materials, "assign", broken)
    with pytest.raises(RuntimeError, match="material trouble"):
        avatar.create_default_avatar()
    assert {kind: len(getattr(bpy.data, kind)) for kind in kinds} == before


def test_studio_camera_frames_the_head_as_a_portrait(head) -> None:
    from bpy_extras.object_utils import world_to_camera_view

    scene = bpy.context.scene
    assert scene.camera == head.camera and len(head.lights) == 3
    scene.render.resolution_x, scene.render.resolution_y = 600, 800
    bpy.context.view_layer.update()
    world = np.array(head.mesh.matrix_world)
    co = evaluated(head.mesh) @ world[:3, :3].T + world[:3, 3]
    from mathutils import Vector

    uv = np.array([world_to_camera_view(scene, head.camera, Vector(p))[:] for p in co[::7]])
    assert (uv[:, :2] > 0.0).all() and (uv[:, :2] < 1.0).all() and (uv[:, 2] > 0).all()
    assert np.ptp(uv[:, 1]) > 0.75  # the head and neck fill the frame's height
    centre_x = (uv[:, 0].min() + uv[:, 0].max()) / 2
    assert abs(centre_x - 0.5) < 0.02


def test_avatar_follows_the_location_and_renders(addon: ModuleType, tmp_path) -> None:
    made = addon.blender.avatar.create_default_avatar(location=(1.0, 2.0, 0.5))
    assert tuple(made.rig.location) == pytest.approx((1.0, 2.0, 0.5))
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = 48, 64
    scene.render.filepath = str(tmp_path / "head.png")
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(str(tmp_path / "head.png"))
    px = np.array(image.pixels[:]).reshape(64, 48, 4)
    centre, corner = px[24:40, 16:32, :3].mean((0, 1)), px[:6, :6, :3].mean((0, 1))
    assert centre[0] > centre[2] + 0.05  # warm skin in the middle of the frame
    assert np.abs(centre - corner).sum() > 0.2  # and not the background


def test_operator_adds_the_head_at_the_cursor_from_the_add_menu(addon: ModuleType) -> None:
    op = addon.blender.avatar_operator
    assert {"REGISTER", "UNDO"} <= op.FACS_OT_add_default_head.bl_options
    assert op._menu_entry in bpy.types.VIEW3D_MT_add.draw._draw_funcs
    bpy.context.scene.cursor.location = (0.5, 0.0, 1.0)
    assert bpy.ops.facs.add_default_head(variant="asian", studio=False) == {"FINISHED"}
    mesh = bpy.context.view_layer.objects.active
    assert mesh.name == "FACS_Head" and mesh.select_get()
    assert tuple(mesh.parent.location) == pytest.approx((0.5, 0.0, 1.0))
    assert mesh["facs_rig_avatar"] == "default_head:asian"
    assert not [ob for ob in bpy.data.objects if ob.type in {"CAMERA", "LIGHT"}]
