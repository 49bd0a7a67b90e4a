# SPDX-License-Identifier: GPL-3.0-or-later
"""A portrait studio around the FACS Head: an 85 mm camera that frames head and neck whatever the
render's aspect, and three soft area lights (key, fill, rim). Everything is parented to the rig, so
moving the avatar moves its studio."""

from __future__ import annotations

import math
from typing import cast

import bpy
from mathutils import Vector

from ..io.avatar_asset import AvatarAsset

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


def add(
    context: bpy.types.Context, rig: bpy.types.Object, asset: AvatarAsset, collection: bpy.types.Collection
) -> tuple[bpy.types.Object, tuple[bpy.types.Object, ...]]:
    lo, hi = asset.positions.min(0), asset.positions.max(0)
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
    collection: bpy.types.Collection, rig: bpy.types.Object, face_centre: Vector, height: float
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
    rig: bpy.types.Object,
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
