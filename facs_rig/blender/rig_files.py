# SPDX-License-Identifier: GPL-3.0-or-later
"""Open an avatar for rigging from the command line: the built-in head or a .blend, .glb/.gltf,
.fbx or .obj file, and pick the face mesh and its armature in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import bpy

from ..core.errors import FacsError
from ..core.files import replaced_on_success
from ..core.quiet import messages
from .rig import find_armature

if TYPE_CHECKING:
    from ..core.warp import HandLandmarks
    from .rig_any import Generated

SCENE_FILES = (".blend",)
IMPORTERS = {".glb": "gltf", ".gltf": "gltf", ".fbx": "fbx", ".obj": "obj"}
SUFFIXES = (*SCENE_FILES, *IMPORTERS)


@dataclass(frozen=True)
class OpenedAvatar:
    mesh: bpy.types.Object
    armature: bpy.types.Object | None
    source: str
    generated: str = ""
    """What :func:`.rig_any.generate_shapes` did when the face mesh came without shape keys."""


def _import(path: Path, kind: str) -> None:
    if kind == "obj":
        bpy.ops.wm.obj_import(filepath=str(path))
        return
    import addon_utils

    addon_utils.enable("io_scene_gltf2" if kind == "gltf" else "io_scene_fbx", default_set=False)
    if kind == "gltf":
        bpy.ops.import_scene.gltf(filepath=str(path))
    else:
        bpy.ops.import_scene.fbx(filepath=str(path))


FACE_WORDS = ("head", "face")
"""Words in a mesh's name that settle a tie: a Ready Player Me avatar has the same 52 keys on
``Wolf3D_Head``, ``Wolf3D_Teeth``, ``EyeLeft`` and ``EyeRight``."""


def face_mesh(objects: list[bpy.types.Object], name: str = "") -> bpy.types.Object | None:
    """The mesh named ``name``, else the one with the most shape keys (then the most vertices,
    then one named like a head or face). The rig drives the others that share its keys too."""
    meshes = [ob for ob in objects if ob.type == "MESH"]
    if name:
        return next((ob for ob in meshes if ob.name == name), None)

    def rank(ob: bpy.types.Object) -> tuple[int, int, bool]:
        mesh = cast(bpy.types.Mesh, ob.data)
        keys = mesh.shape_keys
        named = any(word in ob.name.lower() for word in FACE_WORDS)
        return (len(keys.key_blocks) if keys else 0, len(mesh.vertices), named)

    return max(meshes, key=rank, default=None)


def open_avatar(
    avatar: str, object_name: str = "", *, studio: bool = False, identity: str = "", generate: bool = True
) -> OpenedAvatar:
    """Replace the current file with ``avatar`` (``"default"`` or a path) and return its face mesh
    and armature. ``studio`` adds the default head's camera and lights (for files that will be
    rendered); ``identity`` makes the default head in that identity. With ``generate``, a face mesh
    without shape keys gets the face shapes and pivots (:mod:`.rig_any`), said on stderr (also
    inside a quiet block). Raises
    :class:`FacsError` naming the file when it cannot."""
    if identity and avatar != "default":
        raise FacsError(f"{avatar}: an identity shapes the default head only; give --avatar default")
    if avatar == "default":
        from ..io.identity import details_of, parse_identity
        from .avatar import create_default_avatar, load_asset

        made_identity = parse_identity(identity, details_of(load_asset()))  # checked before the scene goes
        bpy.ops.wm.read_homefile(use_empty=True)
        made = create_default_avatar(bpy.context, studio=studio, identity=made_identity)
        return OpenedAvatar(made.mesh, made.rig, "default")
    path = Path(avatar).expanduser()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FacsError(f"{path}: avatar files are {', '.join(SUFFIXES)} (or 'default'), not {suffix!r}")
    if not path.is_file():
        raise FacsError(f"{path}: no such avatar file")
    try:
        if suffix in SCENE_FILES:
            bpy.ops.wm.open_mainfile(filepath=str(path.resolve()), load_ui=False)
        else:
            bpy.ops.wm.read_homefile(use_empty=True)
            _import(path, IMPORTERS[suffix])
    except RuntimeError as exc:
        raise FacsError(f"{path}: cannot open: {str(exc).strip().splitlines()[-1]}") from None
    objects = list(bpy.context.scene.objects)
    mesh = face_mesh(objects, object_name)
    if mesh is None:
        meshes = ", ".join(ob.name for ob in objects if ob.type == "MESH") or "none"
        wanted = f"named {object_name!r}" if object_name else "at all"
        raise FacsError(f"{path}: no mesh object {wanted} (meshes: {meshes})")
    armature = find_armature(mesh)
    if armature is None:
        armatures = [ob for ob in objects if ob.type == "ARMATURE"]
        armature = armatures[0] if len(armatures) == 1 else None
    if generate and cast(bpy.types.Mesh, mesh.data).shape_keys is None:
        from .rig_any import NoFaceFound

        try:
            shaped = generate_face_shapes(mesh, armature)
        except NoFaceFound as exc:  # not a face: the file opens as it is, and the command says what it can
            print(f"note: {path.name} has no face shapes, and none were generated: {exc}", file=messages())
        else:
            print(f"note: {path.name} has no face shapes; {shaped.summary()}", file=messages())
            return OpenedAvatar(mesh, shaped.armature, str(path), shaped.summary())
    return OpenedAvatar(mesh, armature, str(path))


def generate_face_shapes(
    mesh: bpy.types.Object,
    armature: bpy.types.Object | None,
    *,
    landmarks: HandLandmarks | None = None,
    overwrite: bool = False,
) -> Generated:
    """:func:`.rig_any.generate_shapes` for a command (``rig``, and the others when the head they
    open has no face shapes), and the scene set up to render the head as the default head's studio
    does: Workbench shows image textures, so a scan's photo texture carries its brows and lid lines
    into ``atlas``, ``verify`` and ``render`` (a head without a texture keeps its material colours).
    The one place commands set this up, so every one renders a generated head alike."""
    from .rig_any import generate_shapes

    made = generate_shapes(mesh, armature, landmarks=landmarks, overwrite=overwrite)
    bpy.context.scene.display.shading.color_type = "TEXTURE"
    return made


def save_blend(path: Path) -> None:
    """Save the open file as ``path`` under a temporary name beside it, moved into place once
    Blender has written all of it: a failure, a kill or Ctrl-C leaves the previous file whole. The
    empty temporary file is removed first, so Blender's save makes no ``.blend1`` backup of it."""
    with replaced_on_success(path) as (tmp,):
        tmp.unlink()
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp), check_existing=False, copy=True)
