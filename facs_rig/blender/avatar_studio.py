# SPDX-License-Identifier: GPL-3.0-or-later
"""A portrait studio around the FACS Head: an 85 mm camera that frames head and neck whatever the
render's aspect, and three soft area lights (key, fill, rim). Everything is parented to the rig, so
moving the avatar moves its studio.

:func:`portrait_camera` builds the same studio around any imported head that has no camera, framed
on the part of the mesh its shape keys move (the face), so ``render``, ``atlas`` and ``verify`` work
on a .glb straight from Ready Player Me or VRoid."""

from __future__ import annotations

import math
from typing import cast

import bpy
import numpy as np
from mathutils import Vector

from ..core.errors import FacsError

LENS_MM = 85.0
SENSOR_MM = 24.0
FRAME_MARGIN = 1.12
"""Frame height over the head's height (top of the skull to the neck cut)."""
# name: (position relative to the face centre in metres, power in watts, size in metres)
LIGHTS = {
    "Key": ((-0.55, -0.75, 0.45), 12.0, 0.6),
    "Fill": ((0.75, -0.6, 0.05), 4.0, 0.9),
    "Rim": ((0.35, 0.7, 0.45), 15.0, 0.4),
}
WORLD_RGB = (0.05, 0.05, 0.055)
HEAD_HEIGHT = 0.268
"""The FACS Head's height in metres (skull top to neck cut): the studio's lights are set for it and
scale with the head they light."""
FACE_MARGIN = 0.5
"""An imported head is framed on the box its shape keys move (brows to chin on an ARKit head, the
whole face on the FACS Head), grown by this fraction of its height above and below (forehead, hair,
chin) and cut to the mesh's own bounds, so a full-body mesh still gives a head-and-shoulders view."""
MOVED = 1e-4
"""A vertex belongs to the face when a shape key moves it by more than this fraction of the mesh's size."""
NEUTRAL_RGB = (0.72, 0.6, 0.54)


def add(
    context: bpy.types.Context, rig: bpy.types.Object, positions: np.ndarray, collection: bpy.types.Collection
) -> tuple[bpy.types.Object, tuple[bpy.types.Object, ...]]:
    """Camera and lights framed on the head's neutral ``positions`` (its identity's proportions)."""
    lo, hi = positions.min(0), positions.max(0)
    face_centre = Vector(((lo[0] + hi[0]) / 2, float(lo[1]), (lo[2] + hi[2]) / 2))
    camera = _camera(collection, rig, face_centre, float(hi[2] - lo[2]))
    lights = tuple(
        _light(collection, rig, f"FACS_{name}", face_centre + Vector(offset), face_centre, power=w, size=size)
        for name, (offset, w, size) in LIGHTS.items()
    )
    scene = context.scene
    if scene.camera is None:
        scene.camera = camera
    if scene.world is None:
        scene.world = _world()
    scene.display.shading.color_type = "TEXTURE"
    return camera, lights


def _camera(
    collection: bpy.types.Collection, rig: bpy.types.Object | None, face_centre: Vector, height: float
) -> bpy.types.Object:
    data = bpy.data.cameras.new("FACS_Camera")
    data.lens = LENS_MM
    data.sensor_fit = "VERTICAL"
    data.sensor_height = SENSOR_MM
    half_fov = math.atan(SENSOR_MM / 2 / LENS_MM)
    distance = height * FRAME_MARGIN / 2 / math.tan(half_fov)
    data.clip_start, data.clip_end = 0.05, distance * 10
    cam = bpy.data.objects.new("FACS_Camera", data)
    collection.objects.link(cam)
    cam.parent = rig
    cam.location = face_centre + Vector((0.0, -distance, 0.0))
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looking along +Y at the face
    return cam


def _light(
    collection: bpy.types.Collection,
    rig: bpy.types.Object | None,
    name: str,
    location: Vector,
    target: Vector,
    *,
    power: float,
    size: float,
) -> bpy.types.Object:
    data = cast(bpy.types.AreaLight, bpy.data.lights.new(name, "AREA"))
    data.energy = power
    data.shape = "DISK"
    data.size = size
    ob = bpy.data.objects.new(name, data)
    collection.objects.link(ob)
    ob.parent = rig
    ob.location = location
    ob.rotation_euler = (target - location).to_track_quat("-Z", "Y").to_euler()
    return ob


def _world() -> bpy.types.World:
    world = bpy.data.worlds.new("FACS_Studio")
    if world.node_tree is None:  # Blender 4.x; 5.0 always gives worlds a node tree
        world.use_nodes = True
    background = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
    background.inputs["Color"].default_value = (*WORLD_RGB, 1.0)  # type: ignore[attr-defined]
    world.color = WORLD_RGB
    return world


def portrait_camera(
    scene: bpy.types.Scene, mesh: bpy.types.Object, armature: bpy.types.Object | None = None, name: str = ""
) -> bpy.types.Object:
    """The camera that renders ``mesh``'s face, made the scene camera.

    ``name`` picks an existing camera object. Without one the scene's camera stays; a scene without
    any gets the FACS Head's studio around the face (an 85 mm camera on the face frame's -Y side,
    key, fill and rim lights scaled to the head, a dark world if it has none), parented to
    ``armature`` so it follows the avatar, and meshes without materials get a neutral one so they
    do not render in Blender's default grey. Raises :class:`FacsError` for an unknown camera name,
    before anything changes."""
    if name:
        camera: bpy.types.Object | None = scene.objects.get(name)
        if camera is None or camera.type != "CAMERA":
            cameras = ", ".join(sorted(o.name for o in scene.objects if o.type == "CAMERA")) or "none"
            raise FacsError(f"no camera named {name!r} in scene {scene.name!r} (cameras: {cameras})")
        scene.camera = camera
        return camera
    if scene.camera is not None:
        return scene.camera
    lo, hi = _face_box(mesh)
    height = float(hi[2] - lo[2])
    centre = Vector(((lo[0] + hi[0]) / 2, float(lo[1]), (lo[2] + hi[2]) / 2))
    scale = height / HEAD_HEIGHT
    collection = scene.collection
    camera = _camera(collection, None, centre, height)
    cast(bpy.types.Camera, camera.data).clip_start = min(0.05, height / 10)
    made = [camera] + [
        _light(collection, None, f"FACS_{light}", centre + Vector(offset) * scale, centre, power=w * scale**2,
               size=size * scale)
        for light, (offset, w, size) in LIGHTS.items()
    ]
    if armature is not None:
        for ob in made:
            ob.parent = armature
            ob.matrix_parent_inverse = armature.matrix_world.inverted()
    scene.camera = camera
    if scene.world is None:
        scene.world = _world()
    _neutral_materials(scene)
    return camera


def _face_box(mesh: bpy.types.Object) -> tuple[np.ndarray, np.ndarray]:
    """World-space bounds of the head to frame: the vertices ``mesh``'s shape keys move (the whole
    mesh if none move), grown by :data:`FACE_MARGIN` up and down and cut to the mesh's bounds."""
    data = cast(bpy.types.Mesh, mesh.data)
    n = len(data.vertices)
    if n == 0:
        raise FacsError(f"{mesh.name!r} has no vertices to frame")
    rest = np.empty(3 * n, np.float32)
    data.vertices.foreach_get("co", rest)
    rest = rest.reshape(-1, 3)
    moved = np.zeros(n, bool)
    key = data.shape_keys
    if key is not None:
        tolerance = MOVED * float(np.linalg.norm(rest.max(0) - rest.min(0)))
        shape = np.empty(3 * n, np.float32)
        for block in key.key_blocks:
            if block != key.reference_key:
                block.data.foreach_get("co", shape)
                moved |= np.abs(shape.reshape(-1, 3) - rest).max(1) > tolerance
    world = np.array(mesh.matrix_world)
    points = rest @ world[:3, :3].T + world[:3, 3]
    face = points[moved] if moved.any() else points
    lo, hi = face.min(0), face.max(0)
    grow = FACE_MARGIN * (hi[2] - lo[2])
    lo[2], hi[2] = max(lo[2] - grow, points[:, 2].min()), min(hi[2] + grow, points[:, 2].max())
    return lo, hi


def _neutral_materials(scene: bpy.types.Scene) -> None:
    material = None
    for ob in scene.objects:
        if ob.type == "MESH" and not any(slot.material for slot in ob.material_slots):
            if material is None:
                material = bpy.data.materials.new("FACS_Neutral")
                material.diffuse_color = (*NEUTRAL_RGB, 1.0)
                if material.node_tree is None:  # Blender 4.x; 5.0 always gives materials a node tree
                    material.use_nodes = True
                shader = next(n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
                shader.inputs["Base Color"].default_value = (*NEUTRAL_RGB, 1.0)  # type: ignore[attr-defined]
                shader.inputs["Roughness"].default_value = 0.6  # type: ignore[attr-defined]
            cast(bpy.types.Mesh, ob.data).materials.clear()
            cast(bpy.types.Mesh, ob.data).materials.append(material)
