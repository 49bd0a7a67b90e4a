# SPDX-License-Identifier: GPL-3.0-or-later
"""The default avatar ("FACS Head"): MakeHuman's CC0 head with the 52 ARKit face units and
MakeHuman's expression units as shape keys, on a six-bone armature.

Frame: Z up, metres, the face looking along -Y (Blender's front view), the subject's left at +X,
the rig's origin at the centre of the neck cut. Every bone's local X axis is the world +X axis, so
one sign convention holds for all of them (pose rotations in the bone's local space, Euler XYZ):

- ``neck``, ``head`` (bone Y points up): +X nods down (AU 54), -X raises the face (AU 53);
  +Y turns the face to the subject's left (AU 51), -Y to the right (AU 52);
  -Z tilts the head to the subject's left shoulder (AU 55), +Z to the right (AU 56).
- ``eye.L``, ``eye.R`` (bone Y points along the gaze): +X looks down (AU 64), -X up (AU 63);
  -Z looks to the subject's left (AU 61), +Z to the right (AU 62).
- ``jaw`` (bone Y points from the jaw pivot to the chin): +X opens the mouth.

``tests/blender/test_avatar.py`` checks each of these on the real mesh.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

import bpy
import numpy as np
from mathutils import Vector

from ..core.errors import FacsError
from ..io import avatar_asset
from ..io.avatar_asset import AvatarAsset, AvatarAssetError
from ..io.identity import DEFAULT, Identity, details_of, parse_identity, shape
from ..io.identity_units import unit_offsets
from . import avatar_materials, avatar_studio

ASSET_PATH = avatar_asset.DEFAULT_PATH
MESH_NAME = "FACS_Head"
RIG_NAME = "FACS_Head_Rig"
EXPRESSION_PREFIX = "mh_"
"""Shape keys from MakeHuman's expression units are named ``mh_<unit>``, e.g. ``mh_neck-platysma``."""
AVATAR_PROP = "facs_rig_avatar"
"""Custom property on the mesh and the rig: which built-in avatar they are, and its variant."""
IDENTITY_PROP = "facs_rig_identity"
"""Custom property on the mesh and the rig of a head made in another identity than the default:
the identity's parameters (``gender=0.2,age=67,...``), which read back as the same identity."""
BONES = ("root", "neck", "head", "jaw", "eye.L", "eye.R")
EYE_BONE_LENGTH = 0.02

__all__ = (
    "ASSET_PATH",
    "BONES",
    "EXPRESSION_PREFIX",
    "IDENTITY_PROP",
    "MESH_NAME",
    "RIG_NAME",
    "Avatar",
    "AvatarAssetError",
    "create_default_avatar",
    "load_asset",
    "removed_afterwards",
)


@dataclass(frozen=True)
class Avatar:
    """What :func:`create_default_avatar` made; ``camera`` and ``lights`` only with ``studio=True``."""

    mesh: bpy.types.Object
    rig: bpy.types.Object
    camera: bpy.types.Object | None
    lights: tuple[bpy.types.Object, ...]
    variant: str
    identity: Identity = DEFAULT


def load_asset(path: Path | None = None) -> AvatarAsset:
    """The built asset (``ASSET_PATH`` unless told), read once per file version (it is immutable
    once loaded)."""
    path = path or ASSET_PATH
    try:
        stat = path.stat()
    except OSError:
        return avatar_asset.load(path)  # raises the "not found, run make assets" error
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@cache
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> AvatarAsset:
    return avatar_asset.load(path)


def create_default_avatar(
    context: bpy.types.Context | None = None,
    *,
    variant: str | None = None,
    location: Sequence[float] = (0.0, 0.0, 0.0),
    collection: bpy.types.Collection | None = None,
    studio: bool = True,
    asset: AvatarAsset | None = None,
    identity: Identity | str | None = None,
) -> Avatar:
    """Add the FACS Head (mesh ``FACS_Head`` parented to armature ``FACS_Head_Rig``) to the scene.

    ``variant`` picks MakeHuman's expression-unit variant (``mixed``, the default, is the blend of
    ``african``, ``asian`` and ``caucasian`` that MakeHuman applies to its default human).
    ``studio`` also adds a portrait camera (made the scene camera if it has none), three area
    lights and, when the scene has no world, a neutral one, all parented to the rig; it also makes
    Workbench show textures so the painted brows and lips read there too.

    ``identity`` (an :class:`~facs_rig.io.identity.Identity` or its text, ``gender=0.2,age=67,african=1``
    or ``random:SEED``) reshapes the neutral head, its eyes, teeth, bones and studio and tints the
    skin; the shape keys' offsets are carried onto the new neutral (they turn and scale with the
    face, and an eye closure closes where its lids meet). None is the default head.

    Raises ``AvatarAssetError`` when the asset is missing or stale and ``FacsError`` for an unknown
    variant, a bad identity or a context not in Object Mode, before anything is created.
    """
    context = context or bpy.context
    asset = asset or load_asset()
    if not isinstance(identity, Identity):
        identity = parse_identity(identity or "", details_of(asset))
    variant = variant or asset.variants[0]
    if variant not in asset.variants:
        raise FacsError(f"unknown expression variant {variant!r}; choose one of {', '.join(asset.variants)}")
    if context.mode != "OBJECT":
        raise FacsError("the FACS Head can only be added in Object Mode")
    collection = collection or context.collection or context.scene.collection

    positions, joints = shape(asset, identity)
    with _removed_on_error():
        mesh = _build_mesh(asset, positions, collection)
        _add_shape_keys(mesh, asset, positions, variant, identity)
        rig = _build_rig(context, dict(zip(asset.joint_names, joints.tolist(), strict=True)), collection)
        rig.location = Vector(location)
        mesh.parent = rig
        _skin(mesh, rig, asset)
        avatar_materials.assign(mesh, asset, identity)
        for ob in (mesh, rig):
            ob[AVATAR_PROP] = f"default_head:{variant}"
            if not identity.is_default:
                ob[IDENTITY_PROP] = identity.text
        camera: bpy.types.Object | None = None
        lights: tuple[bpy.types.Object, ...] = ()
        if studio:
            camera, lights = avatar_studio.add(context, rig, positions, collection)
    return Avatar(mesh=mesh, rig=rig, camera=camera, lights=lights, variant=variant, identity=identity)


_CREATED_KINDS = ("objects", "meshes", "armatures", "materials", "images", "cameras", "lights", "worlds")


def _blocks() -> dict[str, set[bpy.types.ID]]:
    return {kind: set(getattr(bpy.data, kind)) for kind in _CREATED_KINDS}


def _remove_made_since(before: dict[str, set[bpy.types.ID]]) -> None:
    for kind in _CREATED_KINDS:  # objects first, so their data is no longer used
        collection = getattr(bpy.data, kind)
        for block in set(collection) - before[kind]:
            collection.remove(block)


@contextmanager
def _removed_on_error() -> Iterator[None]:
    """Nothing half-made: if building fails midway, remove every datablock made since entering."""
    before = _blocks()
    try:
        yield
    except BaseException:
        _remove_made_since(before)
        raise


@contextmanager
def removed_afterwards() -> Iterator[None]:
    """A scratch build: every datablock made since entering is removed on leaving, however it ends."""
    before = _blocks()
    try:
        yield
    finally:
        _remove_made_since(before)


def _build_mesh(
    asset: AvatarAsset, positions: np.ndarray, collection: bpy.types.Collection
) -> bpy.types.Object:
    me = bpy.data.meshes.new(MESH_NAME)
    me.vertices.add(asset.vertex_count)
    me.vertices.foreach_set("co", positions.ravel())
    me.loops.add(len(asset.loop_vertices))
    me.loops.foreach_set("vertex_index", asset.loop_vertices)
    me.polygons.add(len(asset.face_starts))
    me.polygons.foreach_set("loop_start", asset.face_starts)
    me.polygons.foreach_set("material_index", asset.face_materials)
    me.polygons.foreach_set("use_smooth", np.ones(len(asset.face_starts), dtype=bool))
    me.update(calc_edges=True)
    uv = me.uv_layers.new(name="UVMap")
    uv.data.foreach_set("uv", asset.loop_uvs.ravel())
    ob = bpy.data.objects.new(MESH_NAME, me)
    collection.objects.link(ob)
    return ob


def _add_shape_keys(
    ob: bpy.types.Object, asset: AvatarAsset, base: np.ndarray, variant: str, identity: Identity
) -> None:
    """ARKit keys under their exact names, then the variant's expression units (prefixed in the
    asset), each its offsets carried onto the identity's neutral ``base`` (``io/identity_units.py``;
    the asset's own offsets on the default head)."""
    ob.shape_key_add(name="Basis", from_mix=False)
    rows = asset.key_rows(avatar_asset.ARKIT_SET) + asset.key_rows(variant)
    for row, (idx, delta) in zip(rows, unit_offsets(asset, identity, base, rows), strict=True):
        co = base.copy()
        co[idx] += delta
        key = ob.shape_key_add(name=asset.key_names[row], from_mix=False)
        key.data.foreach_set("co", co.ravel())
        key.value = 0.0  # bpy gives keys added from Python a value of 1


def _build_rig(
    context: bpy.types.Context, joints: dict[str, list[float]], collection: bpy.types.Collection
) -> bpy.types.Object:
    arm = bpy.data.armatures.new(RIG_NAME)
    rig = bpy.data.objects.new(RIG_NAME, arm)
    collection.objects.link(rig)
    rig.show_in_front = True
    j = {name: Vector(position) for name, position in joints.items()}
    forward = Vector((0.0, -EYE_BONE_LENGTH, 0.0))
    layout = {  # bone: (head, tail, parent)
        "root": (Vector((0.0, 0.0, 0.0)), Vector((0.0, 0.08, 0.0)), None),
        "neck": (j["neck"], j["head"], "root"),
        "head": (j["head"], j["head-2"], "neck"),
        "jaw": (j["mouth"], j["jaw"], "head"),
        "eye.L": (j["eye.L"], j["eye.L"] + forward, "head"),
        "eye.R": (j["eye.R"], j["eye.R"] + forward, "head"),
    }
    view_layer = context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = rig
    with context.temp_override(active_object=rig, object=rig):
        bpy.ops.object.mode_set(mode="EDIT")
        try:
            for name in BONES:
                head, tail, parent = layout[name]
                eb = arm.edit_bones.new(name)
                eb.head, eb.tail = head, tail
                # Local X = world +X for every bone: Z = X x Y (see the module docstring).
                eb.align_roll(Vector((1.0, 0.0, 0.0)).cross(tail - head))
                if parent:
                    eb.parent = arm.edit_bones[parent]
                    eb.use_connect = (eb.parent.tail - head).length < 1e-6
        finally:
            bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = previous
    for pb in rig.pose.bones:
        pb.rotation_mode = "XYZ"
    return rig


def _skin(mesh: bpy.types.Object, rig: bpy.types.Object, asset: AvatarAsset) -> None:
    """Vertex groups from the asset's weights (one call per distinct weight) and an Armature modifier."""
    for b, name in enumerate(asset.bone_names):
        group = mesh.vertex_groups.new(name=name)
        column = asset.bone_weights[:, b]
        values, inverse = np.unique(column, return_inverse=True)
        for i, value in enumerate(values):
            if value > 0:
                group.add(np.flatnonzero(inverse == i).tolist(), float(value), "REPLACE")
    mod = cast(bpy.types.ArmatureModifier, mesh.modifiers.new("Armature", "ARMATURE"))
    mod.object = rig
