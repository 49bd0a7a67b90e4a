# SPDX-License-Identifier: GPL-3.0-or-later
"""The AU atlas rendered: tiles that show each AU growing with intensity beside an unchanged
neutral face, readable labels, and the user's scene (values, animation) left alone."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest


def _atlas(addon: ModuleType) -> ModuleType:
    return importlib.import_module(f"{addon.__name__}.blender.atlas")


def _layout(addon: ModuleType) -> ModuleType:
    return importlib.import_module(f"{addon.__name__}.render.atlas")


def test_atlas_of_the_default_head(addon: ModuleType, tmp_path: Path) -> None:
    atlas = _atlas(addon)
    avatar = importlib.import_module(f"{addon.__name__}.blender.avatar").create_default_avatar()
    face = avatar.mesh
    addon.blender.rig.build_rig(face)
    face["AU04_L"] = 0.3  # a user's value, and an action on the face: both must survive
    face.keyframe_insert('["AU09_L"]', frame=1)
    action = face.animation_data.action
    scene = bpy.context.scene
    settings_before = (scene.render.resolution_x, scene.render.use_border, scene.render.filepath)

    out = atlas.render_atlas(scene, tmp_path / "atlas.png", obj=face, aus=[12, 26], levels=("A", "E"),
                             tile=64)
    image = importlib.import_module(f"{addon.__name__}.blender.render_images").read_png(out)[..., :3]
    tile_h = 64  # the crop is square
    layout = _layout(addon).atlas_layout([3, 3], (64, tile_h))
    assert image.shape == (layout.height, layout.width, 3)

    def tile(i: int) -> np.ndarray:
        box = layout.tiles[i]
        return image[box.y:box.y + box.h, box.x:box.x + box.w]

    neutral_12, weak_12, strong_12, neutral_26, _weak_26, strong_26 = (tile(i) for i in range(6))
    assert np.array_equal(neutral_12, neutral_26)
    change = [np.abs(t - neutral_12).mean() for t in (weak_12, strong_12)]
    assert 0 < change[0] < change[1]  # A shows less than E
    assert np.abs(strong_26 - neutral_12).mean() > 0
    assert not np.array_equal(strong_12, strong_26)

    def ink(box: object) -> np.ndarray:
        return image[box.y:box.y + box.h, box.x:box.x + box.w].min(axis=2) < 0.8

    labels = [ink(box) for box in layout.labels]
    assert all(mask.sum() > 40 for mask in labels)  # every tile has a label drawn in ink
    assert not np.array_equal(labels[1], labels[2])  # "— A" and "— E" differ
    assert ink(layout.title).sum() > labels[1].sum()
    assert image[layout.height - 2, layout.width - 2].min() > 0.99  # the sheet is white

    assert face["AU04_L"] == pytest.approx(0.3) and face["AU12_L"] == 0.0
    assert face.animation_data.action == action
    assert (scene.render.resolution_x, scene.render.use_border, scene.render.filepath) == settings_before
    assert not [s for s in bpy.data.scenes if s != scene]
    assert not [c for c in bpy.data.curves if c.name.startswith("facs_rig_label")]
