# SPDX-License-Identifier: GPL-3.0-or-later
"""An imported head without a camera is framed automatically: ``portrait_camera`` aims the default
head's studio at the face its shape keys move, ``render`` and ``atlas`` use it on a .glb, and
``--camera NAME`` picks a camera the file has."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

from tests.blender.test_panel_support import snapshot

ROOT = Path(__file__).resolve().parents[2]
HEAD_Z = 1.6
"""The head sits where a standing adult's does, far from the origin the FACS Head uses."""


def build_head() -> tuple[bpy.types.Object, bpy.types.Object]:
    """A head that is not the FACS Head: an egg-shaped sphere with ARKit keys that really move its
    face (jaw, smile, brows, blinks), two eye spheres, a torso, all parented to an armature."""
    arm = bpy.data.objects.new("Armature", bpy.data.armatures.new("Armature"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=48, ring_count=32, radius=1.0, location=(0, 0, HEAD_Z))
    head = bpy.context.active_object
    head.name = "Wolf3D_Head"
    head.scale = (0.085, 0.1, 0.12)
    bpy.ops.object.transform_apply(location=False, rotation=False, scale=True)
    head.parent = arm
    n = len(head.data.vertices)
    co = np.empty(3 * n)
    head.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    x, y, z = co[:, 0], co[:, 1], co[:, 2]
    front = y < -0.04
    head.shape_key_add(name="Basis")

    def key(name: str, where: np.ndarray, move: tuple[float, float, float]) -> None:
        shape = co.copy()
        shape[where] += np.array(move)
        head.shape_key_add(name=name, from_mix=False).data.foreach_set("co", shape.ravel())

    key("jawOpen", front & (z < -0.03), (0.0, 0.01, -0.03))
    key("mouthSmileLeft", front & (z < -0.02) & (z > -0.07) & (x > 0.015), (0.01, 0.01, 0.015))
    key("mouthSmileRight", front & (z < -0.02) & (z > -0.07) & (x < -0.015), (-0.01, 0.01, 0.015))
    key("browInnerUp", front & (z > 0.04) & (z < 0.07) & (np.abs(x) < 0.03), (0.0, 0.0, 0.012))
    key("eyeBlinkLeft", front & (z > 0.0) & (z < 0.04) & (x > 0.01), (0.0, 0.005, -0.008))
    key("eyeBlinkRight", front & (z > 0.0) & (z < 0.04) & (x < -0.01), (0.0, 0.005, -0.008))
    for side, sx in (("Left", 1), ("Right", -1)):
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.016, location=(0.035 * sx, -0.085, HEAD_Z + 0.02))
        eye = bpy.context.active_object
        eye.name = f"Eye{side}"
        eye.parent = arm
    bpy.ops.mesh.primitive_cylinder_add(radius=0.16, depth=0.5, location=(0, 0, HEAD_Z - 0.4))
    body = bpy.context.active_object
    body.name = "Wolf3D_Body"
    body.parent = arm
    return head, arm


def _in_view(scene: bpy.types.Scene, camera: bpy.types.Object, point: Vector) -> tuple[float, float]:
    uv = world_to_camera_view(scene, camera, point)
    return uv.x, uv.y


def test_portrait_camera_frames_the_face_of_an_imported_head(addon: ModuleType) -> None:
    studio = addon.blender.avatar_studio
    head, arm = build_head()
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = 512, 512
    camera = studio.portrait_camera(scene, head, arm)
    bpy.context.view_layer.update()
    assert scene.camera == camera and camera.parent == arm
    # the face looks along -Y: the camera is in front of it, looking along +Y
    assert camera.matrix_world.translation.y < -0.3
    assert (camera.matrix_world.to_3x3() @ Vector((0, 0, -1))).y > 0.99
    top = _in_view(scene, camera, Vector((0, 0, HEAD_Z + 0.12)))
    chin = _in_view(scene, camera, Vector((0, -0.05, HEAD_Z - 0.11)))
    for eye in ("EyeLeft", "EyeRight"):
        u, v = _in_view(scene, camera, bpy.data.objects[eye].matrix_world.translation)
        assert 0.25 < u < 0.75 and 0.4 < v < 0.8, (eye, u, v)
    assert 0.85 < top[1] <= 1.0 and 0.0 <= chin[1] < 0.2, (top, chin)  # the whole head, filling the frame
    assert _in_view(scene, camera, Vector((0, 0, HEAD_Z - 0.55)))[1] < 0  # not the torso
    lights = [o for o in scene.objects if o.type == "LIGHT"]
    assert len(lights) == 3 and all(light.parent == arm for light in lights)
    for light in lights:  # every light points at the face
        direction = light.matrix_world.to_3x3() @ Vector((0, 0, -1))
        to_face = (Vector((0, -0.1, HEAD_Z)) - light.matrix_world.translation).normalized()
        assert direction.dot(to_face) > 0.95, light.name
    assert head.active_material is not None and head.active_material.name == "FACS_Neutral"
    assert scene.world is not None
    # moving the avatar moves its studio
    before = camera.matrix_world.translation.copy()
    arm.location.x = 1.0
    bpy.context.view_layer.update()
    assert (camera.matrix_world.translation - before).x == pytest.approx(1.0)
    # once there is a camera, nothing more is made
    count = len(bpy.data.objects)
    assert studio.portrait_camera(scene, head, arm) == camera and len(bpy.data.objects) == count


def test_a_camera_by_name_and_materials_the_file_has(addon: ModuleType) -> None:
    studio = addon.blender.avatar_studio
    head, arm = build_head()
    skin = bpy.data.materials.new("Skin")
    head.data.materials.append(skin)
    mine = bpy.data.objects.new("Closeup", bpy.data.cameras.new("Closeup"))
    bpy.context.scene.collection.objects.link(mine)
    scene = bpy.context.scene
    before = snapshot(addon, panel=False)
    with pytest.raises(addon.core.errors.FacsError, match=r"no camera named 'Nope'.*cameras: Closeup"):
        studio.portrait_camera(scene, head, arm, "Nope")
    with pytest.raises(addon.core.errors.FacsError, match="no camera named 'Wolf3D_Body'"):
        studio.portrait_camera(scene, head, arm, "Wolf3D_Body")  # not a camera
    assert snapshot(addon, panel=False) == before and scene.camera is None
    assert studio.portrait_camera(scene, head, arm, "Closeup") == mine == scene.camera
    assert len(bpy.data.objects) == len(before["objects"])
    scene.camera = None
    studio.portrait_camera(scene, head, arm)
    assert head.active_material == skin  # the head's own material stays
    assert bpy.data.objects["EyeLeft"].active_material.name == "FACS_Neutral"


GLB_EXPORT = """
import os, sys
import bpy, addon_utils
bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
addon_utils.enable("io_scene_gltf2", default_set=False)
bpy.ops.export_scene.gltf(filepath=sys.argv[2], export_format="GLB", export_morph=True)
sys.stdout.flush()
os._exit(0)
"""


@pytest.fixture
def head_glb(addon: ModuleType, tmp_path: Path) -> Path:
    """The test head as a .glb, exported by a throw-away process (Blender 4.2's glTF exporter
    crashes the interpreter at exit)."""
    build_head()
    blend, glb = tmp_path / "head.blend", tmp_path / "head.glb"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    subprocess.run([sys.executable, "-c", GLB_EXPORT, str(blend), str(glb)], check=True, capture_output=True,
                   timeout=120)
    return glb


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facs_rig", *args], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=600)


def _face_pixels(path: Path) -> tuple[float, float, float]:
    """Share of the image that is not background, and the centre of those pixels (x, y in 0..1)."""
    image = bpy.data.images.load(str(path))
    w, h = image.size
    px = np.empty(w * h * 4, np.float32)
    image.pixels.foreach_get(px)
    rgb = px.reshape(h, w, 4)[:, :, :3]
    background = rgb[0, 0]
    lit = np.abs(rgb - background).max(axis=2) > 0.05
    ys, xs = np.nonzero(lit)
    return float(lit.mean()), float(xs.mean() / w), float(ys.mean() / h)


def test_render_and_atlas_frame_a_glb_head_without_a_camera(head_glb: Path, tmp_path: Path) -> None:
    timeline = tmp_path / "smile.json"
    timeline.write_text(json.dumps({
        "format": "facs-timeline", "version": 1, "name": "smile", "fps": 24,
        "events": [{"code": "12E+26C", "onset": 0.0, "apex": 0.3, "apex_end": 0.6, "offset": 0.9}]}))
    still = tmp_path / "head.png"
    proc = _cli("render", "--avatar", str(head_glb), "--timeline", str(timeline), "-o", str(still),
                "--resolution", "320x320")
    assert proc.returncode == 0, proc.stderr
    assert "no camera" not in proc.stderr and still.is_file()
    covered, cx, cy = _face_pixels(still)
    assert 0.2 < covered < 0.9, covered  # the head fills the frame, it is not a speck
    assert abs(cx - 0.5) < 0.1 and abs(cy - 0.5) < 0.2, (cx, cy)

    atlas = tmp_path / "atlas.png"
    proc = _cli("atlas", "--avatar", str(head_glb), "-o", str(atlas), "--aus", "12,26", "--levels", "E",
                "--tile", "96")
    assert proc.returncode == 0, proc.stderr
    assert atlas.is_file()

    never = tmp_path / "never.png"
    proc = _cli("render", "--avatar", str(head_glb), "--timeline", str(timeline), "-o", str(never),
                "--camera", "Nope")
    assert proc.returncode == 2 and "no camera named 'Nope'" in proc.stderr
    assert "Traceback" not in proc.stderr and not never.exists()
