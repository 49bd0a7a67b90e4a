# SPDX-License-Identifier: GPL-3.0-or-later
"""The rig on the default avatar: every AU the makehuman preset covers moves the right part of the
face in the direction FACS describes, on the right side; head and eye positions turn the right way.

Measured on the evaluated mesh (shape keys and armature applied), in the avatar's frame: +X the
subject's left, -Y the front of the face, +Z up.
"""

from __future__ import annotations

from types import ModuleType

import bpy
import numpy as np
import pytest

# Height bands of the head (metres above the neck cut): where an AU's movement must be centred.
REGIONS = {
    "brow": (0.145, 0.2),
    "eye": (0.125, 0.16),
    "mid": (0.09, 0.13),  # cheeks and nose
    "mouth": (0.05, 0.1),
    "low": (-0.05, 0.08),  # chin, jaw, neck
}
# AU -> (regions its movement may centre in, direction of the mean movement). "out" is toward the
# control's own side (+X for _L). From FACS.md section 1 and the FACS descriptions of each AU.
EXPECT: dict[str, tuple[tuple[str, ...], str]] = {
    "AU01": (("brow",), "+z"), "AU02": (("brow",), "+z"), "AU04": (("brow",), "-z"),
    "AU05": (("eye",), "+z"), "AU06": (("mid", "eye"), "+z"), "AU07": (("eye",), "+z"),
    "AU08": (("mouth",), "+z"), "AU09": (("mid",), "+z"), "AU10": (("mouth",), "+z"),
    "AU11": (("mid", "mouth"), "+z"), "AU12": (("mouth",), "+z"), "AU13": (("mouth",), "+z"),
    "AU14": (("mouth",), "out"), "AU15": (("mouth",), "-z"), "AU16": (("mouth", "low"), "-z"),
    "AU17": (("mouth", "low"), "+z"), "AU18": (("mouth",), "-y"), "AU19": (("mouth", "low"), "-y"),
    "AU20": (("mouth",), "out"), "AU21": (("low",), "-z"), "AU22": (("mouth",), "-y"),
    "AU23": (("mouth",), "+z"), "AU24": (("mouth",), "+z"), "AU25": (("mouth", "low"), "-z"),
    "AU23_T": (("mouth",), "-z"), "AU24_T": (("mouth",), "+y"),  # the upper lip narrows down / presses back
    "AU26": (("low", "mouth"), "-z"), "AU27": (("low", "mouth"), "-z"),
    "AU28_T": (("mouth",), "+y"), "AU28_B": (("mouth",), "+z"),  # upper lip rolls in (back), lower rolls up
    "AU29": (("low", "mouth"), "-y"), "AU30": (("low", "mouth"), "out"), "AU32": (("mouth",), "+z"),
    "AU33": (("mouth", "mid", "low"), "-y"), "AU34": (("mouth", "mid", "low"), "-y"),
    "AU38": (("mid",), "out"), "AU39": (("mid",), "-z"),
    "AU43": (("eye",), "-z"), "AU45": (("eye",), "-z"), "AU46": (("eye",), "-z"),
}
AXES = {"x": 0, "y": 1, "z": 2}


@pytest.fixture
def rigged(addon: ModuleType) -> tuple[ModuleType, bpy.types.Object, bpy.types.Object, list[str]]:
    avatar = addon.blender.avatar.create_default_avatar(studio=False)
    report = addon.blender.rig.build_rig(avatar.mesh)
    assert report.preset == "makehuman"
    assert report.coverage.missing == [] and report.coverage.uncovered == [] and not report.skipped
    return addon, avatar.mesh, avatar.rig, report.controls


def _positions(obj: bpy.types.Object, values: dict[str, float], controls: list[str]) -> np.ndarray:
    for control in controls:
        obj[control] = values.get(control, 0.0)
    obj.update_tag()
    dg = bpy.context.evaluated_depsgraph_get()
    mesh = obj.evaluated_get(dg).data
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _names(preset, control: str) -> list[str]:
    return [s.name for s in preset.controls[control]]


def _expectation(control: str) -> tuple[tuple[str, ...], str]:
    return EXPECT.get(control) or EXPECT[control.split("_", maxsplit=1)[0]]


def test_every_covered_au_moves_the_right_region_the_right_way(rigged) -> None:
    addon, obj, _rig, controls = rigged
    preset = addon.core.mapping.load_preset("makehuman")
    base = _positions(obj, {}, controls)
    checked = []
    for control in controls:
        number, channel = addon.core.model.parse_control_name(control)
        if number >= 51:
            continue
        d = _positions(obj, {control: 1.0}, controls) - base
        size = np.linalg.norm(d, axis=1)
        assert size.max() > 5e-4, f"{control} moves nothing"
        moved = size > 0.25 * size.max()
        w = size[moved] / size[moved].sum()
        centre = (base[moved] * w[:, None]).sum(0)
        mean = (d[moved] * w[:, None]).sum(0)
        regions, direction = _expectation(control)
        assert any(lo <= centre[2] < hi for lo, hi in (REGIONS[r] for r in regions)), (control, centre)
        if direction == "out":
            assert channel in "LR" and mean[0] * (1 if channel == "L" else -1) > 0, (control, mean)
        else:
            assert np.sign(mean[AXES[direction[1]]]) == (1 if direction[0] == "+" else -1), (control, mean)
        other = control[:-1] + {"L": "R", "R": "L"}.get(channel, "")
        # a one-sided AU moves its own side more (30 moves the whole jaw: its side is its direction)
        if channel in ("L", "R") and number != 30 and _names(preset, control) != _names(preset, other):
            left = size[base[:, 0] > 1e-4].sum()
            right = size[base[:, 0] < -1e-4].sum()
            own, opposite = (left, right) if channel == "L" else (right, left)
            assert own > 1.5 * opposite, (control, left, right)
        checked.append(control)
    assert len(checked) >= 60


def test_head_and_eye_positions(rigged) -> None:
    addon, obj, _rig, controls = rigged
    asset = addon.blender.avatar.load_asset()
    base = _positions(obj, {}, controls)
    nose = int(np.argmin(base[:, 1]))  # the most forward point of the face
    top = int(np.argmax(base[:, 2]))
    iris = asset.material_vertices("iris")
    left_iris, right_iris = iris[base[iris, 0] > 0], iris[base[iris, 0] < 0]

    def moved(au: str) -> np.ndarray:
        return _positions(obj, {au: 1.0}, controls) - base

    assert moved("AU51")[nose, 0] > 0.02  # toward the subject's left
    assert moved("AU52")[nose, 0] < -0.02
    assert moved("AU53")[nose, 2] > 0.01 and moved("AU54")[nose, 2] < -0.01
    assert moved("AU55")[top, 0] > 0.02 and moved("AU56")[top, 0] < -0.02
    assert moved("AU57")[nose, 1] < -0.005 and moved("AU58")[nose, 1] > 0.005
    for au, lx, rx in (("AU61", 1, 1), ("AU62", -1, -1), ("AU65", 1, -1), ("AU66", -1, 1)):
        d = moved(au)
        assert np.sign(d[left_iris, 0].mean()) == lx and np.sign(d[right_iris, 0].mean()) == rx, au
        assert abs(d[left_iris, 0].mean()) > 0.002
    assert moved("AU63")[iris, 2].mean() > 0.002 and moved("AU64")[iris, 2].mean() < -0.002
    # the eyes turn with the bones only: the skin stays put
    skin = asset.material_vertices("skin")
    assert np.abs(moved("AU61")[skin]).max() < 1e-6


def test_remove_restores_the_avatar(rigged) -> None:
    addon, obj, rig, _controls = rigged
    addon.blender.rig.remove_rig(obj)
    assert not [k for k, _ in obj.items() if k.startswith("AU") or k == "facs_rig"]
    assert obj.data.shape_keys.animation_data is None and rig.animation_data is None
    assert all(pb.rotation_mode == "XYZ" and not any(pb.rotation_euler) for pb in rig.pose.bones)
