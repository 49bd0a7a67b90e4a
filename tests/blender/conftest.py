# SPDX-License-Identifier: GPL-3.0-or-later
"""Real-Blender fixtures: the add-on is enabled as an extension from the source tree, the way
Blender loads an installed extension, and every test starts from an empty file."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import pytest

ROOT = Path(__file__).resolve().parents[2]
REPO_MODULE = "facs_dev"
ADDON_MODULE = f"bl_ext.{REPO_MODULE}.facs_rig"


def _raise(exc: BaseException) -> None:
    raise exc


@pytest.fixture(scope="session")
def addon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The enabled extension's ``facs_rig`` package (``bl_ext.facs_dev.facs_rig.facs_rig``)."""
    import addon_utils  # on sys.path only once bpy is imported

    repo_dir = tmp_path_factory.mktemp("extensions")
    (repo_dir / "facs_rig").symlink_to(ROOT, target_is_directory=True)
    repos = bpy.context.preferences.extensions.repos
    repo = repos.new(name="facs_dev", module=REPO_MODULE, custom_directory=str(repo_dir), source="USER")
    addon_utils.enable(ADDON_MODULE, default_set=True, handle_error=_raise)
    assert ADDON_MODULE in bpy.context.preferences.addons
    yield importlib.import_module(f"{ADDON_MODULE}.facs_rig")
    addon_utils.disable(ADDON_MODULE, default_set=True, handle_error=_raise)
    repos.remove(repo)


@pytest.fixture(autouse=True)
def empty_file(addon: ModuleType) -> Iterator[None]:
    bpy.ops.wm.read_homefile(use_empty=True)
    yield


SMILE = {"format": "facs-timeline", "version": 1, "name": "smile", "fps": 10,
         "events": [{"au": 12, "intensity": "E", "onset": 0.0, "apex": 0.2, "offset": 0.3}]}
"""Four frames of a full smile: the shortest animation the render tests need."""


@pytest.fixture
def animated_head(addon: ModuleType) -> Callable[[dict[str, Any], int], bpy.types.Object]:
    """Make the default head, rigged and playing a timeline (a dict), set to render size×size with
    Workbench (the cheapest real render); returns its mesh."""

    def make(timeline: dict[str, Any], size: int) -> bpy.types.Object:
        avatar = importlib.import_module(f"{addon.__name__}.blender.avatar").create_default_avatar()
        addon.blender.rig.build_rig(avatar.mesh)
        keyframer = importlib.import_module(f"{addon.__name__}.blender.keyframer")
        keyframer.apply_timeline(avatar.mesh, addon.core.timeline.from_dict(timeline), set_scene_range=True)
        scene = bpy.context.scene
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.render.resolution_x = scene.render.resolution_y = size
        return avatar.mesh

    return make


@pytest.fixture
def smiling_head(animated_head: Callable[[dict[str, Any], int], bpy.types.Object]) -> bpy.types.Object:
    """The default head, rigged, active and playing :data:`SMILE`, set to render 32×32 with
    Workbench (the cheapest real render)."""
    mesh = animated_head(SMILE, 32)
    bpy.context.view_layer.objects.active = mesh
    return mesh
