# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig animate``: rig an avatar, apply a timeline, save a .blend.

The timeline is read and checked before Blender starts working, so a bad file costs nothing and
names its problem (file, JSON path). The saved .blend needs no add-on to play: the rig is custom
properties and simple-expression drivers, the animation plain F-curves.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import Any

from ..core.errors import FacsError
from ..core.timeline import load
from .common import CliError, require_bpy

HELP = "rig an avatar, animate it with a timeline and save a .blend"
SCENE_FILES = (".blend",)
IMPORTS = {".glb": "gltf", ".gltf": "gltf", ".fbx": "fbx"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avatar", default="default", metavar="default|FILE",
                        help="'default' for the built-in FACS Head, or a .blend/.glb/.gltf/.fbx file")
    parser.add_argument("--object", default="", metavar="NAME",
                        help="mesh to rig in the avatar file (default: the mesh with the most shape keys)")
    parser.add_argument("--timeline", required=True, metavar="T.json", help="facs-timeline JSON file")
    parser.add_argument("--preset", default="auto", metavar="auto|NAME|FILE",
                        help="mapping preset (default: the one that fits the mesh best)")
    parser.add_argument("--bake", action="store_true",
                        help="also bake per-frame shape-key and bone curves (drivers muted)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.blend", help=".blend file to write")


def _open_avatar(bpy: ModuleType, avatar: str, object_name: str) -> Any:
    """The mesh to rig, from the built-in head or a file; the scene is emptied first."""
    if avatar == "default":
        bpy.ops.wm.read_homefile(use_empty=True)
        from ..blender.avatar import create_default_avatar

        return create_default_avatar(bpy.context).mesh
    path = Path(avatar)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise CliError(f"{path}: no such avatar file")
    if suffix in SCENE_FILES:
        bpy.ops.wm.open_mainfile(filepath=str(path.resolve()), load_ui=False)
    elif suffix in IMPORTS:
        bpy.ops.wm.read_homefile(use_empty=True)
        _import(bpy, path, IMPORTS[suffix])
    else:
        raise CliError(f"{path}: avatar files are .blend, .glb, .gltf or .fbx, not '{suffix}'")
    meshes = [ob for ob in bpy.context.scene.objects if ob.type == "MESH"]
    if object_name:
        found = next((ob for ob in meshes if ob.name == object_name), None)
        if found is None:
            raise CliError(f"{path}: no mesh object named {object_name!r}; meshes: "
                           f"{', '.join(ob.name for ob in meshes) or 'none'}")
        return found
    shaped = [ob for ob in meshes if ob.data.shape_keys is not None]
    if not shaped:
        raise CliError(f"{path}: no mesh with shape keys to rig")
    return max(shaped, key=lambda ob: len(ob.data.shape_keys.key_blocks))


def _import(bpy: ModuleType, path: Path, kind: str) -> None:
    import addon_utils

    module = "io_scene_gltf2" if kind == "gltf" else "io_scene_fbx"
    addon_utils.enable(module, default_set=False)
    if kind == "gltf":
        bpy.ops.import_scene.gltf(filepath=str(path))
    else:
        bpy.ops.import_scene.fbx(filepath=str(path))


def run(args: argparse.Namespace) -> int:
    try:
        timeline = load(args.timeline)
    except FacsError as exc:
        raise CliError(str(exc)) from None
    output = Path(args.output)
    if output.suffix.lower() != ".blend":
        raise CliError(f"{output}: the output must be a .blend file")
    bpy = require_bpy()
    from ..blender import keyframer
    from ..blender.rig import build_rig

    mesh = _open_avatar(bpy, args.avatar, args.object)
    try:
        rig_report = build_rig(mesh, args.preset)
        result = keyframer.apply_timeline(mesh, timeline, mode="BAKE" if args.bake else "LIVE",
                                          scene=bpy.context.scene, set_scene_range=True)
    except FacsError as exc:
        raise CliError(str(exc)) from None
    for warning in [*rig_report.warnings, *result.warnings]:
        print(f"warning: {warning}")
    output.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(output.resolve()), check_existing=False)
    print(rig_report.summary())
    print(f"{mesh.name}: {result.summary()}")
    print(f"wrote {output}")
    return 0
