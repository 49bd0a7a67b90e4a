# SPDX-License-Identifier: GPL-3.0-or-later
"""The default head in other identities, in real Blender: the default stays exactly as it was, the
units are their offsets carried onto the new neutral, eyes, bones and studio follow the proportions, the
skin follows the ethnic mix, the operator's fields, the CLI's --identity with its labels, and bad
identities that change nothing."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest

from facs_rig.io import avatar_asset
from facs_rig.io.identity import details_of, parse_identity, shape
from facs_rig.io.identity_units import unit_offsets
from tests.blender.test_avatar import evaluated, material_vertices

ROOT = Path(__file__).resolve().parents[2]
ASSET = avatar_asset.load(avatar_asset.DEFAULT_PATH)
OLD_WOMAN = "gender=0,age=70,asian=1"
YOUNG_MAN = "gender=1,age=20,african=1"


def rest(ob: bpy.types.Object) -> np.ndarray:
    co = np.empty(len(ob.data.vertices) * 3, dtype=np.float32)
    ob.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def key_co(ob: bpy.types.Object, name: str) -> np.ndarray:
    co = np.empty(len(ob.data.vertices) * 3, dtype=np.float32)
    ob.data.shape_keys.key_blocks[name].data.foreach_get("co", co)
    return co.reshape(-1, 3)


def counts() -> dict[str, int]:
    kinds = ("objects", "meshes", "armatures", "materials", "images", "cameras", "lights", "worlds")
    return {kind: len(getattr(bpy.data, kind)) for kind in kinds}


def test_the_default_head_is_unchanged(addon: ModuleType) -> None:
    avatar = addon.blender.avatar
    plain = avatar.create_default_avatar(studio=False)
    assert np.array_equal(rest(plain.mesh), ASSET.positions)  # bit for bit the asset's (= the old head's)
    assert np.array_equal(key_co(plain.mesh, "Basis"), ASSET.positions)
    assert avatar.IDENTITY_PROP not in plain.mesh and plain.identity.is_default
    heads = {b.name: tuple(b.head_local) for b in plain.rig.data.bones}
    assert heads["jaw"] == pytest.approx(tuple(ASSET.joint("mouth")), abs=0)
    stated = avatar.create_default_avatar(studio=False, identity="gender=0.5,age=25,muscle=0.5")
    assert np.array_equal(rest(stated.mesh), ASSET.positions)
    colours = [made.mesh.data.materials[0].diffuse_color[:] for made in (plain, stated)]
    assert colours[0] == pytest.approx(colours[1])


@pytest.mark.parametrize("text", [OLD_WOMAN, YOUNG_MAN, "random:3"])
def test_units_are_their_carried_offsets_on_the_identitys_neutral(addon: ModuleType, text: str) -> None:
    made = addon.blender.avatar.create_default_avatar(studio=False, identity=text)
    identity = parse_identity(text, details_of(ASSET))
    neutral, joints = shape(ASSET, identity)
    assert made.mesh[addon.blender.avatar.IDENTITY_PROP] == identity.text
    assert np.array_equal(rest(made.mesh), neutral)
    assert np.abs(neutral - ASSET.positions).max() > 0.003
    names = ("jawOpen", "eyeBlinkLeft", "mouthSmileRight", "eyeLookUpLeft", "mh_mouth-corner-puller")
    rows = [ASSET.key_names.index(name) for name in names]
    carried_units = unit_offsets(ASSET, identity, neutral, rows)
    for name, row, (idx, delta) in zip(names, rows, carried_units, strict=True):
        carried = np.zeros_like(neutral)
        carried[idx] = delta
        assert np.allclose(key_co(made.mesh, name) - neutral, carried, atol=1e-6), name
        assert not np.allclose(carried, ASSET.key_dense(row), atol=1e-4), name  # not the raw offsets
    bones = made.rig.data.bones
    for bone, joint in (("jaw", "mouth"), ("head", "head"), ("eye.L", "eye.L"), ("eye.R", "eye.R")):
        assert np.allclose(bones[bone].head_local, joints[ASSET.joint_names.index(joint)], atol=1e-6)


def test_eyes_follow_the_identity_and_stay_behind_the_lids(addon: ModuleType) -> None:
    """Each eyeball stays a sphere centred on its bone, scaled with the face, and no more skin
    comes inside it than on the default head."""
    avatar = addon.blender.avatar

    def eye_report(made) -> tuple[float, int]:
        co = evaluated(made.mesh)
        centre = np.array(made.rig.data.bones["eye.L"].head_local)
        ball = material_vertices(made.mesh, "sclera")
        ball = ball[np.linalg.norm(co[ball] - centre, axis=1) < 0.03]
        radius = np.linalg.norm(co[ball] - centre, axis=1)
        assert radius.std() < 1e-5  # still a sphere around the bone's pivot
        skin = np.linalg.norm(co[material_vertices(made.mesh, "skin")] - centre, axis=1)
        return float(radius.mean()), int((skin < radius.mean()).sum())

    default_radius, default_inside = eye_report(avatar.create_default_avatar(studio=False))
    for text in (OLD_WOMAN, YOUNG_MAN, "gender=1,age=70,caucasian=1", "age=90,weight=1"):
        bpy.ops.wm.read_homefile(use_empty=True)
        radius, inside = eye_report(avatar.create_default_avatar(studio=False, identity=text))
        assert inside <= default_inside, text
        assert 0.8 < radius / default_radius < 1.1, text
    bpy.ops.wm.read_homefile(use_empty=True)
    small, _ = eye_report(avatar.create_default_avatar(studio=False, identity=OLD_WOMAN))
    assert small < default_radius * 0.9  # her smaller head has smaller eyes


def test_camera_and_lights_follow_the_head(addon: ModuleType) -> None:
    heights, distances, keys = [], [], []
    for text in ("", OLD_WOMAN):
        bpy.ops.wm.read_homefile(use_empty=True)
        made = addon.blender.avatar.create_default_avatar(identity=text)
        co = rest(made.mesh)
        heights.append(np.ptp(co[:, 2]))
        distances.append(co[:, 1].min() - made.camera.location.y)  # from the face's front
        keys.append(np.array(made.lights[0].location) - np.array(made.camera.location))
    assert heights[1] < heights[0] * 0.92
    assert distances[1] / distances[0] == pytest.approx(heights[1] / heights[0], rel=1e-3)
    assert keys[0] != pytest.approx(keys[1])  # the lights moved with the face centre


def test_skin_follows_the_ethnic_mix(addon: ModuleType) -> None:
    avatar = addon.blender.avatar

    def skin(made) -> tuple[np.ndarray, np.ndarray]:
        material = made.mesh.data.materials[0]
        image = next(n for n in material.node_tree.nodes if n.type == "TEX_IMAGE").image
        px = np.empty(image.size[0] * image.size[1] * 4, dtype=np.float32)
        image.pixels.foreach_get(px)
        return np.array(material.diffuse_color[:3]), px.reshape(-1, 4)[:, :3].mean(0)

    looks = {}
    for text in ("", "african=1", "asian=1", "caucasian=1"):
        bpy.ops.wm.read_homefile(use_empty=True)
        looks[text] = skin(avatar.create_default_avatar(studio=False, identity=text))
    colour, texture = looks["african=1"]
    assert (colour < looks[""][0] * 0.5).all() and (texture < looks[""][1] * 0.75).all()
    assert looks["caucasian=1"][0].sum() > looks[""][0].sum() > looks["african=1"][0].sum()
    asian = looks["asian=1"][0]
    assert asian[1] / asian[2] > looks["caucasian=1"][0][1] / looks["caucasian=1"][0][2]  # more yellow


def test_bad_identities_change_nothing(addon: ModuleType) -> None:
    avatar = addon.blender.avatar
    before = counts()
    for text, message in (("gendr=0.2", "did you mean gender"), ("age=200", "out of range"),
                          ("gender:0.2", "not NAME=VALUE")):
        with pytest.raises(ValueError, match=message):
            avatar.create_default_avatar(identity=text)
    assert counts() == before


def test_operator_has_the_identity_fields(addon: ModuleType) -> None:
    prop = addon.blender.avatar.IDENTITY_PROP
    assert bpy.ops.facs.add_default_head(studio=False) == {"FINISHED"}
    assert prop not in bpy.context.view_layer.objects.active  # the defaults make the default head
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.facs.add_default_head(studio=False, gender=1.0, age=70.0, african=1.0,
                                         details="nose-hump-decr-incr=0.5") == {"FINISHED"}
    mesh = bpy.context.view_layer.objects.active
    assert mesh[prop] == "gender=1,age=70,african=1,asian=0.3333,caucasian=0.3333,nose-hump-decr-incr=0.5"
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.facs.add_default_head(studio=False, details="random:5") == {"FINISHED"}
    assert bpy.context.view_layer.objects.active[prop] == parse_identity("random:5", details_of(ASSET)).text
    bpy.ops.wm.read_homefile(use_empty=True)
    with pytest.raises(RuntimeError, match="did you mean nose-hump-decr-incr"):
        bpy.ops.facs.add_default_head(studio=False, details="nose-hump=0.5")
    assert not bpy.data.objects


def test_cli_renders_an_identity_and_labels_record_it(addon: ModuleType, tmp_path: Path) -> None:
    timeline = ROOT / "presets" / "timelines" / "demo.json"
    cmd = [sys.executable, "-m", "facs_rig", "render", "--timeline", str(timeline), "--resolution", "64x64",
           "--frames", "30-31", "--identity", "random:11"]
    done = subprocess.run([*cmd, "-o", str(tmp_path / "frames"), "--labels", str(tmp_path / "labels.csv")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["identity"] for row in rows] == [parse_identity("random:11", details_of(ASSET)).text] * 2
    bad = subprocess.run([*cmd[:-1], "gender=2", "-o", str(tmp_path / "x.png")], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "gender=2 is out of range; use 0 to 1" in bad.stderr
    assert not (tmp_path / "x.png").exists()
