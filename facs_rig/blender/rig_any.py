# SPDX-License-Identifier: GPL-3.0-or-later
"""Rig any head: give a head mesh without face shapes the default head's 52 ARKit keys and
MakeHuman units, and eye and jaw pivots, so every preset and AU works on it (docs/rig_any_head.md).

1. **Landmarks.** The head is rendered (Workbench, orthographic) from the six axis directions; the
   built-in reader reads each render (in tiles when the face is small) and the most frontal face
   wins. Renders straight at the face and close up give the 478 landmarks, cast back onto the mesh
   through the camera with a BVH tree. The default head (the template) is measured the same way
   once per process.
2. **Fit.** A thin-plate spline (:mod:`..core.warp`) takes the template's landmarks onto the head's;
   the template's skin and every shape's displacements (through the spline's derivative) follow.
3. **Transfer.** The head's face mesh is bound to the fitted template with a Surface Deform
   modifier; each template key in turn is evaluated through it (C speed) and written as a key.
4. **Pivots.** The template's jaw and eye joints, warped, become bones (a new armature, or the ones
   an existing armature lacks); separate eye objects follow the eye bones, objects below the mouth
   the jaw, the face and the rest the head.

Once the transfer has succeeded, the head is turned to Blender's front view (face along -Y, Z up):
the rig's bone axes, the portrait camera and the presets all read the world in that frame.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import cast

import bpy
import numpy as np
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from ..core.errors import FacsError
from ..core.mapping.matching import NameIndex, find_bone
from ..core.warp import LANDMARKS, HandLandmarks, LandmarkError, ThinPlate, fit_landmarks
from ..reader import FaceReading, Landmarker
from .avatar import ASSET_PATH, EYE_BONE_LENGTH, _build_rig, create_default_avatar, load_asset
from .render import render_scene
from .render_images import read_png

MAX_VERTICES = 1_000_000
"""Denser face meshes are refused with advice to decimate: the transfer holds every key in memory."""
VIEWS = {  # name: (view direction, camera up), world axes
    "front (-Y)": ((0, 1, 0), (0, 0, 1)),
    "back (+Y)": ((0, -1, 0), (0, 0, 1)),
    "right (+X)": ((-1, 0, 0), (0, 0, 1)),
    "left (-X)": ((1, 0, 0), (0, 0, 1)),
    "top (+Z, Y up)": ((0, 0, -1), (0, 1, 0)),
    "bottom (-Z, Y up)": ((0, 0, 1), (0, 1, 0)),
}
"""Where a head may face: glTF, FBX and OBJ importers turn Y-up files Z-up, so the front view is
tried first; a file saved Y-up faces +Z or -Z."""
SEARCH_PIXELS = 480
CLOSE_PIXELS = 512
CLOSE_MARGIN = 1.5
"""The close render frames the first read's landmarks grown by this factor."""
SKIN_MATERIAL = "skin"
SMOOTHING = 0.1
"""Thin-plate smoothing: landmarks read on two different heads disagree by a pixel or two."""
TURN_TOLERANCE = 1e-3
"""Heads turned by less than this (radians) from the front view are left as they are."""
TEMPLATE_PREFIX = "FACS_Template"


class NoFaceFound(FacsError):
    """The reader found no face (or several) on the head from any direction."""


@dataclass(frozen=True)
class FaceFound:
    """The face on a head, in world coordinates."""

    points: np.ndarray  # (478, 3), NaN where a landmark's ray missed the mesh
    forward: np.ndarray  # unit vector the face looks along
    up: np.ndarray
    view: str


@dataclass(frozen=True)
class Template:
    """The default head's skin as the transfer's source: neutral positions, faces (loops), each
    shape's displacements, its landmarks and joints (all in the head's own frame)."""

    positions: np.ndarray  # (n, 3)
    face_starts: np.ndarray
    loop_vertices: np.ndarray
    keys: tuple[str, ...]
    deltas: np.ndarray  # (keys, n, 3)
    landmarks: np.ndarray  # (478, 3)
    joints: dict[str, np.ndarray]


@dataclass(frozen=True)
class Generated:
    """What :func:`generate_shapes` did, for the command's report."""

    mesh: bpy.types.Object
    armature: bpy.types.Object
    added: tuple[str, ...]
    kept: tuple[str, ...]
    view: str
    turned_degrees: float
    followers: dict[str, str]  # object name -> bone it follows

    def summary(self) -> str:
        kept = f", kept {len(self.kept)} of the head's own" if self.kept else ""
        turned = f", turned {self.turned_degrees:.0f}° to face -Y" if self.turned_degrees >= 0.5 else ""
        follow = "".join(f"; {name} follows {bone}" for name, bone in sorted(self.followers.items()))
        return (
            f"{self.mesh.name}: generated {len(self.added)} face shapes{kept} (face read from the "
            f"{self.view}{turned}){follow}"
        )


def _world_points(ob: bpy.types.Object) -> np.ndarray:
    world = np.array(ob.matrix_world)
    return _local(ob) @ world[:3, :3].T + world[:3, 3]


@contextmanager
def _studio(objects: Sequence[bpy.types.Object]) -> Iterator[tuple[bpy.types.Scene, bpy.types.Object]]:
    """A temporary scene holding only ``objects`` (linked, not copied) and an orthographic camera,
    lit by Workbench's studio light in one skin colour: the same look for every head and the template."""
    scene = bpy.data.scenes.new("FACS_Landmarks")
    camera_data = bpy.data.cameras.new("FACS_Landmarks")
    camera_data.type = "ORTHO"
    camera = bpy.data.objects.new("FACS_Landmarks", camera_data)
    try:
        scene.collection.objects.link(camera)
        for ob in objects:
            scene.collection.objects.link(ob)
        scene.camera = camera
        scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]  # stubs: EEVEE only
        shading = scene.display.shading
        shading.light, shading.color_type = "STUDIO", "SINGLE"
        shading.single_color = (0.8, 0.62, 0.52)
        shading.show_cavity = True
        scene.display.render_aa = "5"  # 5 samples: FXAA alone loses small faces, 8 (the default) costs more
        scene.render.film_transparent = False
        yield scene, camera
    finally:
        bpy.data.objects.remove(camera)
        bpy.data.cameras.remove(camera_data)
        bpy.data.scenes.remove(scene)


def _aim(
    camera: bpy.types.Object,
    centre: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    *,
    width: float,
    depth: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Point the orthographic camera along ``direction`` at ``centre``, ``width`` wide; returns the
    image plane's right and up axes."""
    direction = direction / np.linalg.norm(direction)
    right = np.cross(direction, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, direction)
    rotation = Matrix(np.column_stack([right, true_up, -direction]).tolist()).to_4x4()
    camera.matrix_world = Matrix.Translation(Vector(centre - direction * depth)) @ rotation
    data = cast(bpy.types.Camera, camera.data)
    data.ortho_scale = width
    data.clip_start, data.clip_end = depth * 1e-3, depth * 4
    return right, true_up


def _read(scene: bpy.types.Scene, pixels: int, landmarker: Landmarker, workdir: Path) -> list[FaceReading]:
    scene.render.resolution_x = scene.render.resolution_y = pixels
    scene.render.resolution_percentage = 100
    path = render_scene(scene, workdir / "view.png", engine="workbench", show_progress=False).files[0]
    image = np.clip(read_png(path)[..., :3] * 255 + 0.5, 0, 255).astype(np.uint8)
    return landmarker.read(image) or _read_tiles(image, landmarker)


def _read_tiles(image: np.ndarray, landmarker: Landmarker) -> list[FaceReading]:
    """Faces too small for the reader's detector (it sees the image at 128 px): read overlapping
    half-size tiles, map their landmarks back to the whole image, and count a face seen by two
    tiles once (its centres within half its size)."""
    height, width = image.shape[:2]
    half_h, half_w = height // 2, width // 2
    found: list[FaceReading] = []
    for top in (0, height // 4, height - half_h):
        for left in (0, width // 4, width - half_w):
            for face in landmarker.read(image[top : top + half_h, left : left + half_w]):
                scale = np.array((half_w / width, half_h / height, half_w / width))
                landmarks = face.landmarks * scale + (left / width, top / height, 0.0)
                whole = replace(face, landmarks=landmarks, width=width, height=height)
                if all(np.linalg.norm(whole.centre - other.centre) > other.size / 2 for other in found):
                    found.append(whole)
    return found


def _frontal(
    reading: FaceReading, right: np.ndarray, up: np.ndarray, direction: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """How squarely the face looks at the camera (1 = straight at it) and its forward and up axes
    in the world: the reader's matrix takes the canonical face (looking along its +z, towards the
    viewer) into camera space (x right, y up, z towards the viewer)."""
    rotation = reading.matrix[:3, :3] / np.linalg.norm(reading.matrix[:3, 0])
    to_world = np.column_stack([right, up, -direction])
    forward = to_world @ rotation[:, 2]
    face_up = to_world @ rotation[:, 1]
    return float(rotation[2, 2]), forward / np.linalg.norm(forward), face_up / np.linalg.norm(face_up)


def _one_or_none(faces: list[FaceReading], what: str, view: str) -> list[FaceReading]:
    if len(faces) > 1:
        raise NoFaceFound(
            f"{what}: {len(faces)} faces seen from the {view}: give one head per file "
            "(or pick its mesh with --object)"
        )
    return faces


def find_face(
    objects: Sequence[bpy.types.Object], surface: bpy.types.Object, *, what: str = "the head"
) -> FaceFound:
    """The 478 landmarks of the one face among ``objects``, cast onto ``surface``. Raises
    :class:`NoFaceFound` when no view shows a face, or one shows several."""
    points = np.vstack([_world_points(ob) for ob in objects if ob.type == "MESH"])
    lo, hi = points.min(0), points.max(0)
    centre, size = (lo + hi) / 2, float(np.linalg.norm(hi - lo))
    best: tuple[float, str, np.ndarray, np.ndarray, _Shot] | None = None
    with (
        _studio(objects) as (scene, camera),
        Landmarker(faces=2) as landmarker,
        tempfile.TemporaryDirectory(prefix="facs_rig_face_", dir=bpy.app.tempdir) as tmp,
    ):
        workdir = Path(tmp)

        def shoot(
            at: np.ndarray, direction: np.ndarray, up: np.ndarray, width: float, *, pixels: int, view: str
        ) -> _Shot | None:
            right, true_up = _aim(camera, at, direction, up, width=width, depth=size)
            faces = _one_or_none(_read(scene, pixels, landmarker, workdir), what, view)
            return _Shot(faces[0], at, width, right, true_up, direction) if faces else None

        for view, (direction, up) in VIEWS.items():
            shot = shoot(
                centre, np.array(direction, float), np.array(up, float), size, pixels=SEARCH_PIXELS, view=view
            )
            if shot is not None:
                score, forward, face_up = _frontal(shot.reading, shot.right, shot.up, shot.direction)
                if best is None or score > best[0]:
                    best = (score, view, forward, face_up, shot)
                if score > 0.97:
                    break
        if best is None:
            raise NoFaceFound(
                f"{what}: no face found from any side ({', '.join(VIEWS)}); "
                "place the landmarks by hand with --landmarks"
            )
        _, view, forward, face_up, shot = best
        # Straight at the face, then close up: landmarks to a fraction of a pixel of the head. A
        # stylised face may read only from where it was first seen; that read then stands.
        shot = shoot(centre, -forward, face_up, size, pixels=CLOSE_PIXELS, view=view) or shot
        xy = (shot.reading.landmarks[:, :2] - 0.5) * shot.width
        middle = (xy.min(0) + xy.max(0)) / 2
        close_at = shot.at + middle[0] * shot.right - middle[1] * shot.up
        close_width = float((xy.max(0) - xy.min(0)).max()) * CLOSE_MARGIN
        shot = shoot(close_at, shot.direction, shot.up, close_width, pixels=CLOSE_PIXELS, view=view) or shot
    xy = (shot.reading.landmarks[:, :2] - 0.5) * shot.width
    origins = shot.at[None] + xy[:, :1] * shot.right - xy[:, 1:2] * shot.up - shot.direction * size
    return FaceFound(_cast(surface, origins, shot.direction), forward, face_up, view)


@dataclass(frozen=True)
class _Shot:
    """One read of the face and the orthographic camera it was read through."""

    reading: FaceReading
    at: np.ndarray
    width: float
    right: np.ndarray
    up: np.ndarray
    direction: np.ndarray


def _cast(surface: bpy.types.Object, origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Where rays from ``origins`` along ``direction`` first meet ``surface`` (world; NaN for a miss):
    one BVH query per landmark."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    tree = cast(BVHTree, BVHTree.FromObject(surface, depsgraph))  # type: ignore[arg-type]  # stubs: two Objects
    inverse = surface.matrix_world.inverted()
    local_direction = (inverse.to_3x3() @ Vector(direction.tolist())).normalized()
    hits = np.full((len(origins), 3), np.nan)
    for i, origin in enumerate(origins):
        location = tree.ray_cast(inverse @ Vector(origin.tolist()), local_direction)[0]
        if location is not None:
            hits[i] = surface.matrix_world @ location
    return hits


@cache
def _template(asset_key: tuple[str, int]) -> Template:
    """The default head's skin, shapes, landmarks and joints, measured once per asset file."""
    asset = load_asset()
    before = {
        kind: set(getattr(bpy.data, kind))
        for kind in ("objects", "meshes", "armatures", "materials", "images")
    }
    try:
        made = create_default_avatar(
            bpy.context, collection=bpy.context.scene.collection, studio=False, asset=asset
        )
        mesh = cast(bpy.types.Mesh, made.mesh.data)
        skin = asset.face_materials == asset.material_names.index(SKIN_MATERIAL)
        keep = np.zeros(asset.vertex_count, bool)
        starts = np.append(asset.face_starts, len(asset.loop_vertices))
        loop_face = np.repeat(np.arange(len(asset.face_starts)), np.diff(starts))
        keep[asset.loop_vertices[skin[loop_face]]] = True
        found = find_face([made.mesh], made.mesh, what="the default head")
        blocks = [b for b in mesh.shape_keys.key_blocks if b != mesh.shape_keys.reference_key]
        names = tuple(b.name for b in blocks)  # read now: the blocks are freed with the mesh below
        rest = np.empty(3 * len(mesh.vertices))
        mesh.vertices.foreach_get("co", rest)
        rest = rest.reshape(-1, 3)
        deltas = np.empty((len(blocks), len(rest), 3))
        co = np.empty(3 * len(rest))
        for k, block in enumerate(blocks):
            block.data.foreach_get("co", co)
            deltas[k] = co.reshape(-1, 3) - rest
    finally:
        for kind, old in before.items():
            collection = getattr(bpy.data, kind)
            for block in set(collection) - old:
                collection.remove(block)
    renumber = np.cumsum(keep) - 1
    # Fans of triangles: a warped quad may turn concave, which Surface Deform refuses to bind to.
    first = starts[:-1][skin]
    counts = np.diff(starts)[skin]
    fan = np.repeat(np.arange(len(first)), counts - 2)
    corner = np.arange(len(fan)) - np.repeat(np.cumsum(counts - 2) - (counts - 2), counts - 2) + 1
    triangles = np.stack([first[fan], first[fan] + corner, first[fan] + corner + 1], axis=1)
    return Template(
        positions=rest[keep],
        face_starts=np.arange(0, 3 * len(triangles), 3, dtype=np.int32),
        loop_vertices=renumber[asset.loop_vertices[triangles.ravel()]].astype(np.int32),
        keys=names,
        deltas=deltas[:, keep],
        landmarks=found.points,
        joints={
            name: np.asarray(p, float)
            for name, p in zip(asset.joint_names, asset.joint_positions, strict=True)
        },
    )


def template() -> Template:
    """The template for the asset file as it is now (measured again when the asset is rebuilt)."""
    return _template((str(ASSET_PATH), ASSET_PATH.stat().st_mtime_ns))


def _turn_to_front(objects: Sequence[bpy.types.Object], found: FaceFound) -> tuple[np.ndarray, float]:
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


def _template_object(
    head: bpy.types.Object, fitted: np.ndarray, deltas: np.ndarray, names: Sequence[str], tmpl: Template
) -> bpy.types.Object:
    """The fitted template as a mesh in ``head``'s space, with its shapes as keys (all at 0)."""
    inverse = np.array(head.matrix_world.inverted())
    local = fitted @ inverse[:3, :3].T + inverse[:3, 3]
    local_deltas = deltas @ inverse[:3, :3].T
    me = bpy.data.meshes.new(TEMPLATE_PREFIX)
    me.vertices.add(len(local))
    me.vertices.foreach_set("co", local.astype(np.float32).ravel())
    me.loops.add(len(tmpl.loop_vertices))
    me.loops.foreach_set("vertex_index", tmpl.loop_vertices)
    me.polygons.add(len(tmpl.face_starts))
    me.polygons.foreach_set("loop_start", tmpl.face_starts)
    me.update(calc_edges=True)
    ob = bpy.data.objects.new(TEMPLATE_PREFIX, me)
    bpy.context.scene.collection.objects.link(ob)
    ob.matrix_world = head.matrix_world.copy()
    ob.shape_key_add(name="Basis", from_mix=False)
    for name, delta in zip(names, local_deltas, strict=True):
        block = ob.shape_key_add(name=name, from_mix=False)
        block.data.foreach_set("co", (local + delta).astype(np.float32).ravel())
        block.value = 0.0
    return ob


@contextmanager
def _only_modifier(
    head: bpy.types.Object, target: bpy.types.Object
) -> Iterator[bpy.types.SurfaceDeformModifier]:
    """A bound Surface Deform from ``head`` to ``target``, the head's own modifiers switched off
    meanwhile; everything is put back (and the modifier removed) afterwards."""
    saved = [(m, m.show_viewport) for m in head.modifiers]
    for m, _ in saved:
        m.show_viewport = False
    mod = cast(bpy.types.SurfaceDeformModifier, head.modifiers.new("FACS_Transfer", "SURFACE_DEFORM"))
    try:
        mod.target = target
        mod.falloff = 4.0
        with bpy.context.temp_override(object=head, active_object=head):
            bpy.ops.object.surfacedeform_bind(modifier=mod.name)
        if not mod.is_bound:
            raise FacsError(f"{head.name}: Blender could not bind the face mesh to the fitted template")
        yield mod
    finally:
        head.modifiers.remove(mod)
        for m, shown in saved:
            m.show_viewport = shown


def _evaluated(head: bpy.types.Object, count: int) -> np.ndarray:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    mesh = head.evaluated_get(depsgraph).data
    co = np.empty(3 * count, np.float32)
    cast(bpy.types.Mesh, mesh).vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def transfer(
    head: bpy.types.Object, spline: ThinPlate, names: Sequence[str], tmpl: Template
) -> dict[str, np.ndarray]:
    """Each template shape in ``names`` as displacements of ``head``'s vertices (in its own space),
    through ``spline`` (template landmarks to the head's, world)."""
    rows = [tmpl.keys.index(n) for n in names]
    fitted = spline(tmpl.positions)
    jacobian = spline.jacobian(tmpl.positions)
    deltas = np.einsum("vcd,kvd->kvc", jacobian, tmpl.deltas[rows])
    count = len(cast(bpy.types.Mesh, head.data).vertices)
    fitted_ob = _template_object(head, fitted, deltas, names, tmpl)
    out: dict[str, np.ndarray] = {}
    try:
        with _only_modifier(head, fitted_ob):
            blocks = cast(bpy.types.Mesh, fitted_ob.data).shape_keys.key_blocks
            rest = _evaluated(head, count)
            for name in names:
                blocks[name].value = 1.0
                out[name] = _evaluated(head, count) - rest
                blocks[name].value = 0.0
    finally:
        mesh = fitted_ob.data
        bpy.data.objects.remove(fitted_ob)
        bpy.data.meshes.remove(cast(bpy.types.Mesh, mesh))
    return out


def head_objects(mesh: bpy.types.Object) -> list[bpy.types.Object]:
    """The face mesh and the meshes that belong to its head: in the same hierarchy, or close enough
    to overlap its bounds (separate eyes, teeth, lashes imported as loose objects)."""

    def box(ob: bpy.types.Object) -> tuple[np.ndarray, np.ndarray]:
        corners = np.array([ob.matrix_world @ Vector(c) for c in ob.bound_box])
        return corners.min(0), corners.max(0)

    lo, hi = box(mesh)
    found = [mesh]
    for ob in bpy.context.scene.objects:
        if ob.type == "MESH" and ob != mesh and not ob.name.startswith(TEMPLATE_PREFIX):
            a, b = box(ob)
            if (a >= lo).all() and (b <= hi).all():
                found.append(ob)
    return found


def _pivots(
    spline_joints: dict[str, np.ndarray], others: Sequence[bpy.types.Object]
) -> dict[str, np.ndarray]:
    """The warped template joints, with each eye moved to the centre of the separate eye object
    around it when the head has one."""
    joints = dict(spline_joints)
    for side in ("eye.L", "eye.R"):
        for ob in others:
            corners = np.array([ob.matrix_world @ Vector(c) for c in ob.bound_box])
            lo, hi = corners.min(0), corners.max(0)
            if (lo <= joints[side]).all() and (joints[side] <= hi).all():
                joints[side] = (lo + hi) / 2
                break
    return joints


def _followers(
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
        corners = np.array([ob.matrix_world @ Vector(c) for c in ob.bound_box])
        lo, hi = corners.min(0), corners.max(0)
        centre = (lo + hi) / 2
        inside = [s for s in ("eye.L", "eye.R") if (lo <= joints[s]).all() and (joints[s] <= hi).all()]
        if ob != mesh and len(inside) == 1 and (hi - lo).max() < spacing:
            follow[ob] = inside[0]
        elif ob != mesh and centre[2] < joints["mouth"][2] and abs(centre[0] - middle[0]) < spacing / 2:
            follow[ob] = "jaw"
        else:
            follow[ob] = "head"
    return follow


def _pivot_bones(armature: bpy.types.Object, joints: dict[str, np.ndarray]) -> dict[str, str]:
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


def _parent_to_bone(ob: bpy.types.Object, armature: bpy.types.Object, bone: str) -> None:
    world = ob.matrix_world.copy()
    ob.parent = armature
    ob.parent_type = "BONE"
    ob.parent_bone = bone
    bpy.context.view_layer.update()
    ob.matrix_world = world


def generate_shapes(
    mesh: bpy.types.Object,
    armature: bpy.types.Object | None = None,
    *,
    landmarks: HandLandmarks | None = None,
    overwrite: bool = False,
) -> Generated:
    """Give ``mesh`` the template's face shapes and ``armature`` (a new one if None) jaw and eye
    bones; see the module docstring. Keys the mesh already has are kept unless ``overwrite``.
    Raises :class:`NoFaceFound`, :class:`LandmarkError` or :class:`FacsError` before changing
    anything."""
    data = cast(bpy.types.Mesh, mesh.data)
    if len(data.vertices) > MAX_VERTICES:
        raise FacsError(
            f"{mesh.name}: {len(data.vertices):,} vertices is more than the {MAX_VERTICES:,} "
            "a face mesh may have here; decimate it first (Decimate modifier, ratio 0.1)"
        )
    if not data.polygons:
        raise FacsError(f"{mesh.name}: the mesh has no faces to rig")
    tmpl = template()
    objects = head_objects(mesh)
    if landmarks is not None:
        points = landmarks.positions(_local(mesh), mesh.name)
        world = np.array(mesh.matrix_world)
        points = points @ world[:3, :3].T + world[:3, 3]
        full = np.full((LANDMARKS, 3), np.nan)
        full[landmarks.indices] = points
        found = FaceFound(full, *_hand_frame(full), view="hand-placed landmarks")
    else:
        found = find_face(objects, mesh, what=mesh.name)
    existing = set(data.shape_keys.key_blocks.keys()) if data.shape_keys else set()
    wanted = [n for n in tmpl.keys if overwrite or n not in existing]
    kept = tuple(n for n in tmpl.keys if n in existing and not overwrite)
    spline = fit_landmarks(tmpl.landmarks, found.points, SMOOTHING)
    shapes = transfer(mesh, spline, wanted, tmpl)  # the last step that may fail: nothing changed yet
    names = ("neck", "head", "head-2", "mouth", "jaw", "eye.L", "eye.R")
    turn, degrees = _turn_to_front(objects, found)
    warped = spline(np.array([tmpl.joints[n] for n in names])) @ turn[:3, :3].T + turn[:3, 3]
    others = [ob for ob in objects if ob != mesh]
    joints = _pivots(dict(zip(names, warped, strict=True)), others)
    rest = _local(mesh)
    if data.shape_keys is None:
        mesh.shape_key_add(name="Basis", from_mix=False)
    blocks = data.shape_keys.key_blocks
    for name in wanted:
        block = blocks.get(name) or mesh.shape_key_add(name=name, from_mix=False)
        block.data.foreach_set("co", (rest + shapes[name]).astype(np.float32).ravel())
        block.value = 0.0
    follow = _followers(objects, mesh, joints)
    if armature is None:
        joint_lists = {k: v.tolist() for k, v in joints.items()}
        armature = _build_rig(bpy.context, joint_lists, bpy.context.scene.collection)
        armature.name = f"{mesh.name}_FACS_Rig"
        bones = {pivot: pivot for pivot in ("head", "jaw", "eye.L", "eye.R")}
    else:
        bones = _pivot_bones(armature, joints)
    follow = {ob: bones[pivot] for ob, pivot in follow.items() if pivot in bones}
    for ob, bone in follow.items():
        _parent_to_bone(ob, armature, bone)
    return Generated(
        mesh=mesh,
        armature=armature,
        added=tuple(wanted),
        kept=kept,
        view=found.view,
        turned_degrees=degrees,
        followers={ob.name: bone for ob, bone in follow.items() if ob != mesh},
    )


def _local(mesh: bpy.types.Object) -> np.ndarray:
    data = cast(bpy.types.Mesh, mesh.data)
    co = np.empty(3 * len(data.vertices), np.float64)
    data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _hand_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and up of a face from hand-placed landmarks: the eyes' line and the chin-to-forehead
    line span the face; forward is their normal."""

    def mean(*indices: int) -> np.ndarray:
        picked = points[list(indices)]
        picked = picked[~np.isnan(picked).any(1)]
        if not len(picked):
            raise LandmarkError(
                "hand-placed landmarks need at least one point of each eye, the chin and "
                "the forehead or nose tip (e.g. eye_outer.L, eye_outer.R, chin, nose_tip)"
            )
        return np.asarray(picked.mean(0))

    left = mean(263, 362, 386, 374) - mean(33, 133, 159, 145)
    up = mean(10, 1) - mean(152, 17)
    forward = np.cross(left, up)
    up = np.cross(forward, left)
    return forward / np.linalg.norm(forward), up / np.linalg.norm(up)
